// The real entry point, server/main.ts, as a child process configured by its environment the way an
// operator runs it: WORKERS=1 serves in that one process; WORKERS=2 makes it a cluster primary that
// migrates the database and forks two workers sharing the port and the database file.
//
// It speaks none of the announcement/IPC protocol of child-side.ts, so everything is read from
// outside: its log (JSON lines, which it writes to a file the parent never reads while it serves,
// so logging costs the server what it costs in production and the load generator nothing) names
// the port and the serving processes; its own /metrics counts its answers (in cluster mode, every
// worker's summed by the primary); its rows are read once it has stopped, by a bench server over
// the same file (templates.ts, seatkeeper-server.ts `counts`).
//
// Configuration that matches the bench's own server (seatkeeper-server.ts): SCIM rate limit off,
// the clock-driven jobs' and the mail worker's timers off (each runs once at start, before any
// load), logging at info. BENCH_CPU_PROF=<dir> profiles every process (cluster workers inherit
// the flags).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CONFIG_KEYS } from '../../server/config.js';
import { cpuSecondsOf, memoryOf, profileArgs, ROOT } from './child.js';

const ENTRY = 'server/main.ts';
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface EntryOptions {
  readonly databasePath: string;
  readonly workers: number;
  /** Where its log and mail directory go. */
  readonly dir: string;
}

export interface LogSummary {
  readonly lines: number;
  /** Lines at warn or above; each was copied to stderr. */
  readonly problems: number;
  /** Request log lines by the pid that served them. */
  readonly requestsByPid: ReadonlyMap<number, number>;
  /** Request log lines by status, /metrics scrapes left out. */
  readonly requestStatuses: Readonly<Record<string, number>>;
}

interface LogLine {
  readonly level?: number;
  readonly pid?: number;
  readonly msg?: string;
  readonly port?: number;
  readonly route?: string;
  readonly status?: number;
}

/** A free port of 127.0.0.1, so PUBLIC_BASE_URL (http://HOST:PORT by default) names the server. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const parseLines = (text: string): LogLine[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return {};
      }
    });

/** The last lines of a log, for an error message (the run's directory is gone when it ends). */
const tail = (path: string): string =>
  readFileSync(path, 'utf8').trimEnd().split('\n').slice(-10).join('\n  ');

export class EntryServer {
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly workers: number,
    readonly port: number,
    readonly databasePath: string,
    private readonly proc: ChildProcess,
    private readonly logPath: string,
    /** The processes that serve requests: the one server, or the cluster's workers. */
    readonly servingPids: readonly number[],
  ) {
    this.exited = new Promise((resolve) => {
      if (proc.exitCode !== null) resolve(proc.exitCode);
      else proc.once('exit', (code) => resolve(code));
    });
  }

  static async start(name: string, options: EntryOptions): Promise<EntryServer> {
    const port = await freePort();
    mkdirSync(join(options.dir, 'mail'), { recursive: true });
    const logPath = join(options.dir, `${name.replace(/\W+/g, '-')}-${port}.log`);
    // An operator's own settings in this shell (WORKERS, LOG_LEVEL, …) must not change what is measured.
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !(key in CONFIG_KEYS)),
    );
    Object.assign(env, {
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKERS: String(options.workers),
      DATA_DIR: options.dir,
      DATABASE_PATH: options.databasePath,
      MAIL_DIR: join(options.dir, 'mail'),
      LOG_LEVEL: 'info',
      SCIM_RATE_LIMIT_PER_SECOND: '0',
      SCIM_ORG_RATE_LIMIT_PER_SECOND: '0',
      JOBS_INTERVAL_SECONDS: '0',
      // Every background worker's poll timer (mail, and any added later) off, as in the bench server.
      ...Object.fromEntries(
        Object.keys(CONFIG_KEYS)
          .filter((key) => key.endsWith('_POLL_INTERVAL_SECONDS'))
          .map((key) => [key, '0']),
      ),
    });
    const logFd = openSync(logPath, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(process.execPath, [...profileArgs(true), '--import', 'tsx', ENTRY], {
        cwd: ROOT,
        env,
        stdio: ['ignore', logFd, 'inherit'],
      });
    } finally {
      closeSync(logFd); // the child has its own copy
    }

    // Ready when every serving process has logged "listening" (the cluster's workers each do).
    const started = performance.now();
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(
          `${name} exited (${proc.exitCode ?? proc.signalCode}) before it listened; its log ends:\n  ${tail(logPath)}`,
        );
      const listening = parseLines(readFileSync(logPath, 'utf8')).filter((l) =>
        l.msg?.startsWith('listening on'),
      );
      if (listening.length >= options.workers) {
        const wrong = listening.filter((l) => l.port !== port);
        if (wrong.length > 0) {
          proc.kill('SIGKILL');
          throw new Error(`${name} listens on ${wrong.map((l) => l.port).join(', ')}, not ${port}`);
        }
        return new EntryServer(
          name,
          options.workers,
          port,
          options.databasePath,
          proc,
          logPath,
          listening.map((l) => l.pid!),
        );
      }
      if (performance.now() - started > STARTUP_TIMEOUT_MS) {
        proc.kill('SIGKILL');
        throw new Error(
          `${name} did not start within ${STARTUP_TIMEOUT_MS / 1000} s; its log ends:\n  ${tail(logPath)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every process it runs: the primary too in cluster mode. */
  private get pids(): number[] {
    const pid = this.proc.pid!;
    return this.servingPids.includes(pid) ? [pid] : [pid, ...this.servingPids];
  }

  /** CPU seconds its processes have used so far, all of them together. */
  cpuSeconds(): number {
    return this.pids.reduce((sum, pid) => sum + cpuSecondsOf(pid).total, 0);
  }

  /** VmRSS of its processes, summed, MB. */
  rssMb(): number {
    return this.pids.reduce((sum, pid) => sum + memoryOf(pid).rssMb, 0);
  }

  /**
   * Its answers by status, every route but /metrics, from its own /metrics (a cluster worker's
   * answer carries every worker's counters, summed). Counted when a response finished: one whose
   * client went away first is not counted.
   */
  async statuses(): Promise<Record<string, number>> {
    const response = await fetch(`${this.url}/metrics`);
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`${this.name}: /metrics answered ${response.status}: ${text}`);
    const counts: Record<string, number> = {};
    for (const [, labels, value] of text.matchAll(/^seatkeeper_http_requests_total\{([^}]*)\}\s+(\S+)$/gm)) {
      const label = (key: string) => new RegExp(`${key}="([^"]*)"`).exec(labels!)?.[1];
      if (label('route') === '/metrics') continue;
      const status = label('status') ?? '?';
      counts[status] = (counts[status] ?? 0) + Number(value);
    }
    return counts;
  }

  /** SIGTERM (the primary stops its workers), then waits for the exit; SIGKILL if it hangs. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref(),
      );
      if ((await Promise.race([this.exited, timeout])) === 'timeout') this.proc.kill('SIGKILL');
    }
    this.exitCode = await this.exited;
  }

  /** How it exited: 0 after a clean shutdown (null if killed); undefined until stop() returned. */
  get exit(): number | null | undefined {
    return this.exitCode;
  }

  /** Its log, read once it has stopped (every line flushed); warnings and errors go to stderr. */
  log(): LogSummary {
    const lines = parseLines(readFileSync(this.logPath, 'utf8'));
    let problems = 0;
    const requestsByPid = new Map<number, number>();
    const requestStatuses: Record<string, number> = {};
    for (const line of lines) {
      if ((line.level ?? 0) >= 40) {
        problems++;
        process.stderr.write(`[${this.name}] ${JSON.stringify(line)}\n`);
      }
      if (line.msg === 'request' && line.route !== '/metrics') {
        requestsByPid.set(line.pid!, (requestsByPid.get(line.pid!) ?? 0) + 1);
        const status = String(line.status);
        requestStatuses[status] = (requestStatuses[status] ?? 0) + 1;
      }
    }
    return { lines: lines.length, problems, requestsByPid, requestStatuses };
  }
}
