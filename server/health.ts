// Liveness and readiness of one server process, for the probes of a load balancer or an
// orchestrator. Live: the process answers. Ready: it should be sent requests: the database answers,
// its schema is the one this build expects, and the process is not shutting down.
import type { DatabaseStats } from '../db/port.js';

export interface Readiness {
  readonly ready: boolean;
  /** timeout: no answer within the readiness time limit (a pool with no free connection, a cut). */
  readonly database: 'ok' | 'unreachable' | 'timeout';
  /** current: migrated to this build's schema; behind or ahead: another build's database. */
  readonly schema: 'current' | 'behind' | 'ahead' | 'unknown';
  readonly shuttingDown: boolean;
}

export interface Health {
  readiness(): Promise<Readiness>;
  /** From now on the process is not ready: called at SIGTERM, before in-flight requests drain. */
  shuttingDown(): void;
}

/**
 * How long /readyz waits for the database. A probe that hangs tells a load balancer nothing it can
 * act on until its own timeout (often longer, and counted as a failure anyway); answering 503
 * "timeout" at once says why.
 */
export const READINESS_TIMEOUT_MS = 2000;

export function createHealth(deps: {
  readonly ping: () => Promise<boolean>;
  readonly stats: DatabaseStats;
  readonly timeoutMs?: number;
}): Health {
  const timeoutMs = deps.timeoutMs ?? READINESS_TIMEOUT_MS;
  let stopping = false;

  async function check(): Promise<Pick<Readiness, 'database' | 'schema'>> {
    let database: Readiness['database'] = 'unreachable';
    let schema: Readiness['schema'] = 'unknown';
    try {
      if (await deps.ping()) {
        database = 'ok';
        const version = await deps.stats.schemaVersion();
        const latest = deps.stats.latestSchemaVersion;
        schema = version === latest ? 'current' : version < latest ? 'behind' : 'ahead';
      }
    } catch {
      // a failed ping: unreachable (a closed or vanished database); a failed version read after a
      // good ping: the schema is unknown
    }
    return { database, schema };
  }

  return {
    async readiness() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<Pick<Readiness, 'database' | 'schema'>>((resolve) => {
        timer = setTimeout(() => resolve({ database: 'timeout', schema: 'unknown' }), timeoutMs);
      });
      // A check that loses the race still settles later, on its own; nothing waits for it.
      const { database, schema } = await Promise.race([check(), late]).finally(() => clearTimeout(timer));
      return {
        ready: !stopping && database === 'ok' && schema === 'current',
        database,
        schema,
        shuttingDown: stopping,
      };
    },
    shuttingDown() {
      stopping = true;
    },
  };
}
