// A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory, a server on a free
// port of 127.0.0.1 with its socket in that directory, stopped and deleted at the end. Real
// PostgreSQL, never an imitation: the tests need its locks, its isolation and its errors.
//
// initdb and the server refuse to run as root, so under root (CI) they run as the `postgres` user
// that Debian's package creates, in a directory that user owns; anyone else runs them as themselves.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface PostgresCluster {
  /** The server, as `postgres://…` for its superuser, without a database name. */
  readonly url: string;
  /** A new, empty database on the cluster; its URL. */
  createDatabase(name: string): string;
  stop(): void;
}

/** How to get PostgreSQL where it is missing: said once, in the error, rather than skipping. */
export const POSTGRES_MISSING =
  'PostgreSQL 15 or later is needed for these tests: on Debian or Ubuntu, `apt-get install postgresql` ' +
  '(the tests start their own throwaway cluster; no service needs to run). Elsewhere, put the ' +
  'directory holding initdb and pg_ctl on PATH or in PG_BIN.';

/** The directory holding initdb and pg_ctl: PG_BIN, Debian's newest /usr/lib/postgresql/N/bin, or PATH. */
export function postgresBin(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], 'bin');
  }
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  return found ? found.replace(/\/initdb$/, '') : undefined;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const SUPERUSER = 'seatkeeper';

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBin();
  if (!bin) throw new Error(POSTGRES_MISSING);
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'seatkeeper-pg-'));
  const data = join(dir, 'data');
  if (asRoot) chownSync(dir, postgresUid(), postgresGid());
  const run = (tool: string, args: readonly string[]) => {
    const command = join(bin, tool);
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
      : [command, [...args]];
    try {
      execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    } catch (error) {
      // The tool's own words say what went wrong (a port taken, a directory it may not write).
      const said = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(`${tool} failed${said ? `: ${said}` : ''}`, { cause: error });
    }
  };
  run('initdb', ['-D', data, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  // Durability is not what these tests measure; fsync off keeps a cluster quick to fill and drop.
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}`;
  let stopped = false;
  return {
    url,
    createDatabase(name: string): string {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      execFileSync(join(bin, 'psql'), [`${url}/postgres`, '-qAtc', `CREATE DATABASE ${name}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return `${url}/${name}`;
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function postgresUid(): number {
  return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
}
function postgresGid(): number {
  return Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
}
