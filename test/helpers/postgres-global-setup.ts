// Jest's global set-up: one throwaway PostgreSQL cluster for the whole run, its URL in
// SEATKEEPER_TEST_POSTGRES_URL for every test file (each makes its own database on it). CI must not
// skip PostgreSQL: without it the run fails here, saying how to install it.
import { startPostgres, type PostgresCluster } from './postgres.js';

export default async function setup(): Promise<void> {
  const cluster = await startPostgres();
  (globalThis as { seatkeeperPostgres?: PostgresCluster }).seatkeeperPostgres = cluster;
  process.env.SEATKEEPER_TEST_POSTGRES_URL = cluster.url;
}
