// Jest's global tear-down: stops the run's PostgreSQL cluster and deletes its files.
import type { PostgresCluster } from './postgres.js';

export default function teardown(): void {
  (globalThis as { seatkeeperPostgres?: PostgresCluster }).seatkeeperPostgres?.stop();
}
