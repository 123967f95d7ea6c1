// Entry point: the only module that reads process.env, with ./.env under it (server/env-file.ts).
// Parses configuration once, then runs one server process, or (WORKERS > 1) a cluster primary that
// migrates the database once and forks that many server processes sharing the port and the
// database file.
import cluster from 'node:cluster';
import { migrateOnly } from '../db/open.js';
import { runPrimary } from './cluster.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { databaseTarget } from './container.js';
import { withEnvFile } from './env-file.js';
import { createLogger } from '../runtime/logger.js';
import { serve } from './serve.js';
function loadConfig(): Config {
  try {
    return parseConfig(withEnvFile(process.env));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = loadConfig();
const logger = createLogger(config.logLevel);
if (config.workers > 1 && cluster.isPrimary) {
  // Migrations run here, once, so workers start on the current schema instead of queueing on it.
  const applied = await migrateOnly(databaseTarget(config));
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  runPrimary({
    workers: config.workers,
    shutdownGraceMs: config.shutdownGraceMs,
    shutdownDelayMs: config.shutdownDelayMs,
    logger,
  });
} else {
  await serve(config, logger);
}
