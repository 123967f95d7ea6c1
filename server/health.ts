// Liveness and readiness of one server process, for the probes of a load balancer or an
// orchestrator. Live: the process answers. Ready: it should be sent requests: the database answers,
// its schema is the one this build expects, and the process is not shutting down.
import type { DatabaseStats } from '../db/port.js';

export interface Readiness {
  readonly ready: boolean;
  readonly database: 'ok' | 'unreachable';
  /** current: migrated to this build's schema; behind or ahead: another build's database. */
  readonly schema: 'current' | 'behind' | 'ahead' | 'unknown';
  readonly shuttingDown: boolean;
}

export interface Health {
  readiness(): Promise<Readiness>;
  /** From now on the process is not ready: called at SIGTERM, before in-flight requests drain. */
  shuttingDown(): void;
}

export function createHealth(deps: {
  readonly ping: () => Promise<boolean>;
  readonly stats: DatabaseStats;
}): Health {
  let stopping = false;
  return {
    async readiness() {
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
