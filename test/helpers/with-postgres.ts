// Runs a command (the PostgreSQL test run: `npm run test:postgres`) with a throwaway PostgreSQL
// cluster for it: starts the cluster, migrates the template database every test's database is
// cloned from (test/helpers/test-database.ts), runs the command with the cluster's URL and
// SEATKEEPER_TEST_BACKEND=postgres in its environment, then stops the cluster and exits with the
// command's status. One cluster for the whole run: starting one takes seconds, cloning a database
// from the template milliseconds.
import { spawn } from 'node:child_process';
import { openPool } from '../../db/postgres/connection.js';
import { migratePostgres } from '../../db/postgres/migrate.js';
import { startPostgres } from './postgres.js';
import { CLUSTER_URL_ENV, TEMPLATE_DATABASE } from './test-database.js';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: with-postgres COMMAND [ARG …]\n');
  process.exit(2);
}
const cluster = await startPostgres();
let status: number;
try {
  const pool = openPool({ url: cluster.createDatabase(TEMPLATE_DATABASE), maxConnections: 1 });
  try {
    await migratePostgres(pool);
  } finally {
    // A template must have no open connection when it is cloned.
    await pool.end();
  }
  const child = spawn(command, args, {
    stdio: 'inherit',
    env: { ...process.env, SEATKEEPER_TEST_BACKEND: 'postgres', [CLUSTER_URL_ENV]: cluster.url },
  });
  // An interrupted run still stops the cluster: the signal goes to the command, whose exit ends this.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  status = await new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
  );
} finally {
  cluster.stop();
}
process.exit(status);
