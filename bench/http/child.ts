// Servers under test and baselines, each in its own process: `node --import tsx <script>` from the
// repository root, so the load generator in this process and the server never share an event loop
// (and, on two cores, each has one). The child announces {port, pid, …} as a JSON line on stdout and
// takes commands over the IPC channel; its memory is read from /proc/<pid>/status.
//
// BENCH_CPU_PROF=<dir> starts every Seatkeeper server with --cpu-prof, writing its profile there
// when the scenario stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CommandReply, CommandRequest } from './child-side.js';
import { READY_KEY } from './child-side.js';

/** The repository root: every child runs from here. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPTS = {
  seatkeeper: 'bench/http/seatkeeper-server.ts',
  echo: 'bench/http/echo-server.ts',
  scimmy: 'bench/http/scimmy-server.ts',
} as const;
export type ServerKind = keyof typeof SCRIPTS;

const STARTUP_TIMEOUT_MS = 60_000;
const COMMAND_TIMEOUT_MS = 300_000;

export interface Memory {
  /** Resident set size now, MB. */
  readonly rssMb: number;
  /** Peak resident set size over the process's life (VmHWM), MB. */
  readonly hwmMb: number;
}

/** User + system CPU seconds from a /proc stat file (Linux; USER_HZ is 100). */
function cpuSecondsIn(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds a live process has used: all its threads (those ended included), and its main thread. */
export function cpuSecondsOf(pid: number): { total: number; main: number } {
  return { total: cpuSecondsIn(`/proc/${pid}/stat`), main: cpuSecondsIn(`/proc/${pid}/task/${pid}/stat`) };
}

/** VmRSS and VmHWM of a live process, from /proc (Linux). */
export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

export class ChildServer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private peakSampledMb = 0;
  private sampler: NodeJS.Timeout | undefined;
  private readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
    readonly info: Readonly<Record<string, unknown>> & { readonly port: number; readonly pid: number },
  ) {
    this.exited = new Promise((resolve) => {
      if (proc.exitCode !== null) resolve(proc.exitCode);
      else proc.once('exit', (code) => resolve(code));
    });
    proc.on('message', (raw: CommandReply) => {
      const waiter = this.pending.get(raw.id);
      if (!waiter) return;
      this.pending.delete(raw.id);
      if (raw.ok) waiter.resolve(raw.result);
      else waiter.reject(new Error(`${name}: ${raw.error}`));
    });
    proc.once('exit', (code, signal) => {
      for (const waiter of this.pending.values())
        waiter.reject(new Error(`${name} exited (${code ?? signal}) with a command pending`));
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.info.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.info.port}`;
  }

  /** Sends a command and waits for its reply. */
  call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: command ${cmd} timed out`));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const request: CommandRequest = { id, cmd, args };
      this.proc.send(request);
    });
  }

  memory(): Memory {
    return memoryOf(this.pid);
  }

  /** Samples VmRSS every `intervalMs` until stopSampling(); the peak is kept. */
  startSampling(intervalMs = 200): void {
    this.stopSampling();
    this.peakSampledMb = 0;
    const sample = () => {
      try {
        this.peakSampledMb = Math.max(this.peakSampledMb, this.memory().rssMb);
      } catch {
        // the process is gone; the last peak stands
      }
    };
    sample();
    this.sampler = setInterval(sample, intervalMs);
  }

  /** Stops sampling; returns the highest VmRSS sampled and VmHWM now. */
  stopSampling(): { peakSampledMb: number; hwmMb: number } {
    clearInterval(this.sampler);
    this.sampler = undefined;
    return { peakSampledMb: this.peakSampledMb, hwmMb: this.memory().hwmMb };
  }

  /** Asks the process to close and exit; kills it (this process's own child) if it does not. */
  async stop(): Promise<void> {
    clearInterval(this.sampler);
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref());
    try {
      await Promise.race([this.call('exit'), timeout]);
    } catch {
      // it may exit before it replies
    }
    if ((await Promise.race([this.exited, timeout])) === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Starts one of the bench servers and waits for its announcement. */
export function startServer(
  kind: ServerKind,
  name: string,
  options: Record<string, unknown> = {},
): Promise<ChildServer> {
  return startScript(SCRIPTS[kind], name, options, kind === 'seatkeeper');
}

/** --cpu-prof and its directory when BENCH_CPU_PROF is set and the process is one to profile. */
export function profileArgs(profiled: boolean): string[] {
  const profileDir = process.env.BENCH_CPU_PROF;
  if (!profiled || !profileDir) return [];
  mkdirSync(resolve(profileDir), { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`];
}

/**
 * Starts `script` (a path below the repository) as a server process speaking the announcement
 * protocol of child-side.ts, and waits for it; `profiled` honours BENCH_CPU_PROF.
 */
export async function startScript(
  script: string,
  name: string,
  options: Readonly<Record<string, unknown>>,
  profiled: boolean,
): Promise<ChildServer> {
  const proc = spawn(
    process.execPath,
    [...profileArgs(profiled), '--import', 'tsx', script, JSON.stringify(options)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  const lines = createInterface({ input: proc.stdout! });
  const info = await new Promise<ChildServer['info']>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${STARTUP_TIMEOUT_MS / 1000} s`));
    }, STARTUP_TIMEOUT_MS);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it announced itself`));
    };
    proc.once('exit', onExit);
    lines.on('line', (line) => {
      if (line.includes(`"${READY_KEY}":true`)) {
        clearTimeout(timer);
        proc.off('exit', onExit);
        resolve(JSON.parse(line) as ChildServer['info']);
      } else {
        process.stderr.write(`[${name}] ${line}\n`);
      }
    });
  });
  return new ChildServer(name, proc, info);
}

/** Children started by a scenario, stopped together however the scenario ends. */
export class Servers {
  private readonly started: { stop(): Promise<void> }[] = [];

  async start(kind: ServerKind, name: string, options: Record<string, unknown> = {}): Promise<ChildServer> {
    return this.track(await startServer(kind, name, options));
  }

  /** A child started some other way (bench/http/entry-server.ts), stopped with the rest. */
  track<T extends { stop(): Promise<void> }>(server: T): T {
    this.started.push(server);
    return server;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((s) => s.stop()));
  }
}
