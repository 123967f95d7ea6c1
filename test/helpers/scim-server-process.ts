// A SCIM server as a process of its own (test/helpers/processes/scim-app-server.ts) over a test's
// database: for the suites that run two servers on one database.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = fileURLToPath(new URL('./processes/scim-app-server.ts', import.meta.url));

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  stderr(): string;
}

/** A server process over `target`: a SQLite file's path or a PostgreSQL URL (protocol.ts databaseConfig). */
export async function startServer(target: string): Promise<ServerProcess> {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // the server is a plain program, not a test file
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, target], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr}`)), 30_000);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${stderr}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, stderr: () => stderr };
}

/** Ends the server by closing its stdin, and waits for it to exit. */
export async function stop(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.stdin.end();
  await exited;
}
