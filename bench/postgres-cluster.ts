// The PostgreSQL cluster the PostgreSQL scenarios run on: initdb in a temporary directory and a
// server on a free port of 127.0.0.1, started once per run and stopped when the run ends. Unlike
// the test suite's throwaway cluster, this one is durable, as in production: fsync on,
// synchronous_commit on, full-page writes on, so a commit waits for its write-ahead log to reach
// the disk. Under root, initdb and the server run as the `postgres` user (they refuse root).
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { POSTGRES_MISSING, postgresBin } from '../test/helpers/postgres.js';

const SUPERUSER = 'seatkeeper';

export interface BenchPostgres {
  /** postgres://… for the superuser, without a database name. */
  readonly url: string;
  /** The server's major version, e.g. "16". */
  readonly version: string;
  /** A new database (a copy of `template` when given); its URL. */
  createDatabase(name: string, template?: string): string;
  /** One SQL statement's result as text (psql -At), against `database`. */
  sql(database: string, statement: string): string;
  /** CPU seconds the server's processes (postmaster and its children, as now running) have used. */
  cpuSeconds(): number;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const id = (what: 'u' | 'g') =>
  Number(execFileSync('id', [`-${what}`, 'postgres'], { encoding: 'utf8' }).trim());

let cluster: Promise<BenchPostgres> | undefined;

/** The run's cluster, started on first use. */
export function benchPostgres(): Promise<BenchPostgres> {
  cluster ??= start();
  return cluster;
}

async function start(): Promise<BenchPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error(POSTGRES_MISSING);
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'seatkeeper-bench-pg-'));
  const data = join(dir, 'data');
  if (asRoot) chownSync(dir, id('u'), id('g'));
  const run = (tool: string, args: readonly string[]): string => {
    const command = join(bin, tool);
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
      : [command, [...args]];
    try {
      return execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, encoding: 'utf8' });
    } catch (error) {
      const said = (error as { stderr?: string }).stderr?.toString().trim();
      throw new Error(`${tool} failed${said ? `: ${said}` : ''}`, { cause: error });
    }
  };
  process.stderr.write('  starting PostgreSQL (fsync on, synchronous_commit on) …\n');
  run('initdb', ['-D', data, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=on',
    '-c synchronous_commit=on',
    '-c full_page_writes=on',
    '-c max_connections=200',
    '-c shared_buffers=256MB',
  ].join(' ');
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
  process.once('exit', () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}`;
  const sql = (database: string, statement: string): string =>
    execFileSync(join(bin, 'psql'), [`${url}/${database}`, '-qAtc', statement], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024, // 100,000 public ids and more
    }).trim();
  const plain = (name: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
    return name;
  };
  return {
    url,
    version: sql('postgres', 'SHOW server_version').split(/[.\s]/)[0]!,
    createDatabase(name, template) {
      sql('postgres', `CREATE DATABASE ${plain(name)}${template ? ` TEMPLATE ${plain(template)}` : ''}`);
      return `${url}/${name}`;
    },
    sql,
    cpuSeconds() {
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      let total = 0;
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          // After "pid (comm) ": state, ppid, … utime (14th field) and stime (15th), in USER_HZ (100).
          if (Number(entry) === postmaster || Number(fields[1]) === postmaster)
            total += (Number(fields[11]) + Number(fields[12])) / 100;
        } catch {
          // the process ended meanwhile
        }
      }
      return total;
    },
  };
}
