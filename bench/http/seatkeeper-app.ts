// The server under test as every Seatkeeper bench process builds it: the real container and
// createApp over the database the parent names (a SQLite file, or PostgreSQL at a URL: the
// container's databaseTarget chooses), publicBaseUrl set to where this process listens, SCIM rate
// limits off, clock-driven jobs never started (server/main.ts starts them; a bench process does
// not). Request logging stays at the production level (info), serialised by the real pino logger
// into a sink that counts lines and passes warnings and errors on to stderr (bench/fixture.ts).
import { parseSecretKeys } from '../../db/secret-box.js';
import { systemClock } from '../../domain/clock.js';
import { createLogger } from '../../runtime/logger.js';
import { createApp } from '../../server/app.js';
import { buildContainer } from '../../server/container.js';
import { countingLogSink } from '../fixture.js';
import { listenLocal, statusCounter } from './child-side.js';

/**
 * Where a bench server keeps its data, as its parent passes it in argv: a SQLite file, or a
 * PostgreSQL database with the key every instance of one deployment seals its secrets with.
 */
export type DatabaseOptions =
  { readonly databasePath: string } | { readonly databaseUrl: string; readonly secretsKey: string };

/** PostgreSQL: connections each process holds. */
const POOL_SIZE = 10;

export async function startSeatkeeper(database: DatabaseOptions, label: string) {
  const { log, sink } = countingLogSink(label);
  let postgres = {};
  if ('databaseUrl' in database) {
    const keys = parseSecretKeys(database.secretsKey);
    if (typeof keys === 'string') throw new Error(`secretsKey: ${keys}`);
    postgres = {
      databaseUrl: database.databaseUrl,
      databasePoolSize: POOL_SIZE,
      secrets: { keys, keyFile: null },
    };
  }
  const c = await buildContainer({
    config: {
      // With a databaseUrl, only where the mail directory goes (tmpdir).
      databasePath: 'databasePath' in database ? database.databasePath : ':memory:',
      dbBusyTimeoutMs: 5000,
      quoteTtlSeconds: 900,
      // The benchmark's identity providers listen on 127.0.0.1, which the outbound guard refuses otherwise.
      outbound: { allowlist: ['127.0.0.1'] },
      ...postgres,
    },
    clock: systemClock,
    logger: createLogger('info', sink),
  });
  const { server, port, url } = await listenLocal();
  const statuses = statusCounter();
  server.on(
    'request',
    statuses.wrap(
      createApp({
        ...c,
        config: {
          publicBaseUrl: url,
          scimRateLimit: { perSecond: 0, burst: 1 },
          scimOrganisationRateLimit: { perSecond: 0, burst: 1 },
        },
      }),
    ),
  );
  return {
    c,
    server,
    port,
    url,
    statuses,
    log,
    /** Closes the listener, its connections and the container. */
    close: async (): Promise<void> => {
      server.closeAllConnections();
      server.close();
      await c.close();
    },
  };
}

/** A numeric or string argument of a command from the parent. */
export const num = (args: Record<string, unknown>, key: string): number => {
  const value = args[key];
  if (typeof value !== 'number') throw new Error(`${key} must be a number`);
  return value;
};
export const str = (args: Record<string, unknown>, key: string): string => {
  const value = args[key];
  if (typeof value !== 'string') throw new Error(`${key} must be a string`);
  return value;
};
