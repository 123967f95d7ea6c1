// The composition root: opens the database, applies migrations, and builds every service once.
import type { Clock } from '../domain/clock.js';
import { createBilling } from '../billing/billing.js';
import { createRenewals } from '../billing/renewal.js';
import { openDatabase } from '../db/connection.js';
import { migrate } from '../db/migrate.js';
import { createStore, type Store } from '../db/store.js';
import { createDirectory } from '../provisioning/directory.js';
import { createMemberService } from '../provisioning/members.js';
import { createOrganisations } from '../provisioning/organisations.js';
import { createScimTokens } from '../provisioning/scim-tokens.js';
import { createSignIn } from '../provisioning/sign-in.js';
import { createSsoService } from '../provisioning/sso.js';
import { createSeatPool } from '../seats/seat-pool.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

export interface ContainerOptions {
  readonly config: Pick<Config, 'databasePath' | 'dbBusyTimeoutMs' | 'quoteTtlSeconds'>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export function buildContainer({ config, clock, logger }: ContainerOptions) {
  const db = openDatabase(config.databasePath, { busyTimeoutMs: config.dbBusyTimeoutMs });
  const applied = migrate(db);
  if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
  const store: Store = createStore(db, {
    onBusyRetry: () => logger.warn('database busy; retrying the transaction'),
  });
  const seats = createSeatPool({ store, clock });
  const members = createMemberService({ store, clock, seats });
  const renewals = createRenewals({ store, clock, seats });
  return {
    clock,
    logger,
    store,
    seats,
    members,
    organisations: createOrganisations({ store, clock, members }),
    billing: createBilling({ store, clock, quoteTtlSeconds: config.quoteTtlSeconds, seats }),
    renewals,
    directory: createDirectory({ store, clock, seats }),
    scimTokens: createScimTokens({ store, clock }),
    signIn: createSignIn({ store, clock, seats, members }),
    sso: createSsoService({ store, clock }),
    /** The clock-driven jobs; each is safe to run again, and in several processes at once. */
    runJobs(): { renewals: number; expiredInvitations: number } {
      // Expiry first: seats freed by lapsed invitations are not renewed.
      const expiredInvitations = seats.expireInvitations();
      return { renewals: renewals.run().length, expiredInvitations };
    },
    close(): void {
      store.close();
    },
  };
}

export type Container = ReturnType<typeof buildContainer>;
