// The real entry point as an operating-system process, and the operator's CLI against the same
// data directory: for tests of start-up, shutdown and several processes on one database file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LogEntry {
  readonly msg: string;
  readonly pid?: number;
  readonly port?: number;
  readonly [key: string]: unknown;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Every JSON log line so far, parsed. */
  readonly logs: LogEntry[];
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts server/main.ts and resolves once `listeners` processes have logged that they listen (one
 * for a single process; WORKERS for a cluster, whose workers share one port).
 */
export function startServer(env: Record<string, string>, listeners = 1): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, PORT: '0', JOBS_INTERVAL_SECONDS: '0', MAIL_POLL_INTERVAL_SECONDS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogEntry[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let listening = 0;
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as LogEntry;
      logs.push(entry);
      if (entry.msg.startsWith('listening') && entry.port && ++listening === listeners) {
        resolve({ child, port: entry.port, logs, exited });
      }
    });
  });
}

/**
 * Resolves once `count` log lines satisfy `match`. A response reaches the client before its
 * request's log line has come through the process's stdout pipe (in a cluster, through the
 * primary's), so a test that counts log lines right after the responses must wait for them.
 */
export async function waitForLogs(
  server: ServerProcess,
  match: (entry: LogEntry) => boolean,
  count: number,
  timeoutMs = 10_000,
): Promise<LogEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = server.logs.filter(match);
    if (found.length >= count) return found;
    if (Date.now() > deadline) {
      throw new Error(`waited ${timeoutMs} ms for ${count} log lines, saw ${found.length}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs the operator's CLI with `--json` on the data directory; returns its parsed output. */
export function cli(
  dir: string,
  ...args: string[]
): { status: number | null; json: unknown; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', '--json', ...args], {
    env: { ...process.env, DATA_DIR: dir },
    encoding: 'utf8',
  });
  let json: unknown = null;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    // not JSON: the caller looks at status and stderr
  }
  return { status: result.status, json, stderr: result.stderr };
}

/** An organisation "acme" whose term starts today, with `seats` standard seats, and a SCIM token for it. */
export function organisationWithToken(dir: string, seats: number): string {
  const today = new Date().toISOString().slice(0, 10);
  const created = cli(
    dir,
    ...['org', 'create', '--slug', 'acme', '--name', 'Acme', '--domain', 'acme.example'],
    ...['--term-start', today, '--time-zone', 'UTC', '--currency', 'EUR'],
    ...['--price', 'standard=50', '--price', 'premium=150', '--seats', `standard=${seats}`],
    ...['--owner-email', 'owner@acme.example'],
  );
  if (created.status !== 0) throw new Error(`org create failed: ${created.stderr}`);
  const token = cli(dir, 'scim-token', 'create', 'acme', '--name', 'test');
  if (token.status !== 0) throw new Error(`scim-token create failed: ${token.stderr}`);
  return (token.json as { token: string }).token;
}

/**
 * Runs the operator's CLI with `--json` and the given environment on top of this process's (for
 * DATABASE_URL, or any other key the server reads); returns its parsed output.
 */
export function cliWithEnv(
  env: Record<string, string>,
  ...args: string[]
): { status: number | null; json: unknown; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', '--json', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  let json: unknown = null;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    // not JSON: the caller looks at status and stderr
  }
  return { status: result.status, json, stderr: result.stderr };
}
