// The composition root: opens the database, applies migrations, and builds every service once.
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Clock } from '../domain/clock.js';
import { createBilling } from '../billing/billing.js';
import { createRenewals } from '../billing/renewal.js';
import { openStorage, type DatabaseTarget } from '../db/open.js';
import { createSecretBox, newSecretKey } from '../db/secret-box.js';
import { createTransport } from '../mail/transport.js';
import { createMailWorker, MAIL_RETRY } from '../mail/worker.js';
import { createApiTokens } from '../provisioning/api-tokens.js';
import { createAuditLog } from '../provisioning/audit-log.js';
import { createDirectory } from '../provisioning/directory.js';
import { createConsoleSignIn } from '../provisioning/console-sign-in.js';
import { createInvitationService } from '../provisioning/invitations.js';
import { createLanguageService } from '../provisioning/languages.js';
import { createMemberAdmin } from '../provisioning/member-admin.js';
import { createMemberCsv } from '../provisioning/member-csv.js';
import { createMemberService } from '../provisioning/members.js';
import { createOrganisations } from '../provisioning/organisations.js';
import { createOwnershipService } from '../provisioning/ownership.js';
import { createSeatRequests } from '../provisioning/seat-requests.js';
import { createScimTokens } from '../provisioning/scim-tokens.js';
import { createStoredSecrets } from '../provisioning/stored-secrets.js';
import { createOutboundGuard } from '../net/outbound.js';
import { createSignIn } from '../provisioning/sign-in.js';
import { createSessions } from '../provisioning/sessions.js';
import { createSsoService } from '../provisioning/sso.js';
import { createOwnerNotices } from '../seats/notices.js';
import { createSeatPool } from '../seats/seat-pool.js';
import { createUsageHistory } from '../seats/usage-history.js';
import { createWebhooks } from '../webhooks/endpoints.js';
import { installSamlSpeedups } from '../sso/saml-speedups.js';
import { createWebhookWorker, WEBHOOK_RETRY } from '../webhooks/worker.js';
import {
  ConfigError,
  type Config,
  type MailConfig,
  type OutboundConfig,
  type SecretsConfig,
  type WebhookConfig,
} from './config.js';
import { createHealth } from './health.js';
import type { Logger } from '../runtime/logger.js';
import { loadSecretKeys, type LoadedKeys } from './secret-keys.js';
import { createMetrics } from './metrics.js';

export interface ContainerOptions {
  readonly config: Pick<Config, 'databasePath' | 'dbBusyTimeoutMs' | 'quoteTtlSeconds'> & {
    /** PostgreSQL instead of SQLite at databasePath; missing or null: SQLite. */
    readonly databaseUrl?: string | null;
    /** PostgreSQL: the most connections this process holds; missing: 10. */
    readonly databasePoolSize?: number;
    /** For links in mail; tests and tools may leave it out. */
    readonly publicBaseUrl?: string;
    /** Who issues the invoices; missing: "Seatkeeper" over the public URL. */
    readonly invoiceSeller?: Config['invoiceSeller'];
    /** Missing keys: no SMTP, files under the database's directory (`mail/`). */
    readonly mail?: Partial<MailConfig>;
    /** Missing keys: https receivers only, polled every 5 s. */
    readonly webhooks?: Partial<WebhookConfig>;
    /** Missing: seat gauges per organisation. */
    readonly metrics?: { readonly perOrganisation?: boolean };
    /** Missing: no private destination is allowed for webhooks and OpenID Providers. */
    readonly outbound?: OutboundConfig;
    /** Missing: the key file `secrets.key` in `dataDir`, created at the first start. */
    readonly secrets?: SecretsConfig;
    /** Where the default key file lives; missing: the database's directory. */
    readonly dataDir?: string;
  };
  readonly clock: Clock;
  readonly logger: Logger;
}

export async function buildContainer({ config, clock, logger }: ContainerOptions) {
  // SAML verification's library speed-ups (sso/saml-speedups.ts): one written for another version
  // of its package is left out, and the library's own (slower) code runs.
  for (const speedup of installSamlSpeedups().filter((s) => !s.installed))
    logger.warn({ speedup: speedup.name, reason: speedup.reason }, 'SAML library speed-up not installed');
  const secretKeys = secretKeySource(config, logger);
  // Metrics count retries, but are built on the database's statistics, so they come second.
  let countRetry = (): void => undefined;
  const storage = await openStorage(databaseTarget(config), {
    secrets: createSecretBox(secretKeys),
    onRetry: () => {
      countRetry();
      logger.warn('database busy; retrying the transaction');
    },
    onConnectionError: (error) =>
      logger.warn({ err: error }, 'an idle database connection failed; the pool opens another'),
  });
  const { store, stats } = storage;
  if (storage.migrated.length > 0) logger.info({ migrations: storage.migrated }, 'database migrated');
  // Metrics are this container's own registry: counted by what the services below tell their
  // observers and by the HTTP edge, the database's gauges read from `stats` when scraped.
  const metrics = createMetrics({
    stats,
    clock,
    logger,
    perOrganisation: config.metrics?.perOrganisation ?? true,
  });
  countRetry = () => metrics.busyRetry();
  // Secrets an earlier release stored in plain text are sealed at the first start that finds them.
  const storedSecrets = createStoredSecrets({ store });
  const sealed = await storedSecrets.sealPlaintext();
  if (sealed.resealed > 0) {
    logger.info({ secrets: sealed.resealed }, 'sealed secrets stored in plain text');
    // The plain values' old bytes may linger in free pages and the write-ahead log: rewrite the
    // database without them, once, at the upgrade. The values are sealed either way.
    try {
      await storage.compact();
    } catch (error) {
      logger.warn({ err: error }, 'could not compact the database; run VACUUM to drop plain-text copies');
    }
  }
  if (sealed.unknownKeys.length > 0) {
    // Nothing has run on the store yet: it closes at once.
    await storage.close();
    // A configuration problem: the operator must give the key (the CLI exits 2, the server 1).
    throw new ConfigError([
      `Stored secrets are sealed under key ${sealed.unknownKeys.join(', ')}, which ${secretKeys.origin} ` +
        'does not hold: start with the key that sealed them (SECRETS_KEY or SECRETS_KEY_FILE).',
    ]);
  }
  // Every request to an address an organisation configured goes through this guard.
  const outbound = createOutboundGuard({ allowlist: config.outbound?.allowlist ?? [] });
  const mailConfig: MailConfig = {
    smtpUrl: null,
    from: 'Seatkeeper <no-reply@localhost>',
    dir: join(config.databasePath === ':memory:' ? tmpdir() : dirname(config.databasePath), 'mail'),
    pollIntervalSeconds: 5,
    maxAttempts: MAIL_RETRY.maxAttempts,
    ...config.mail,
  };
  const mailTransport = createTransport(mailConfig);
  // Built here, started by server/main.ts; tests and the CLI call runOnce() instead.
  const mail = createMailWorker({
    store,
    clock,
    transport: mailTransport,
    logger,
    maxAttempts: mailConfig.maxAttempts,
    pollIntervalMs: mailConfig.pollIntervalSeconds * 1000,
    onOutcome: (kind, outcome) => metrics.mailDelivery(kind, outcome),
  });
  const webhookConfig: WebhookConfig = {
    allowHttp: false,
    pollIntervalSeconds: 5,
    maxAttempts: WEBHOOK_RETRY.maxAttempts,
    ...config.webhooks,
  };
  const webhookWorker = createWebhookWorker({
    store,
    clock,
    logger,
    fetch: outbound.fetch,
    maxAttempts: webhookConfig.maxAttempts,
    pollIntervalMs: webhookConfig.pollIntervalSeconds * 1000,
    onOutcome: (outcome) => metrics.webhookDelivery(outcome),
  });
  // Events are written with their audit rows (recordAudit), in the same transaction; each event
  // row wakes the worker. The nudge waits for the end of the current turn, by when that
  // transaction has committed (or rolled back, and the worker finds nothing new).
  let nudgeQueued = false;
  const nudgeWebhooks = () => {
    if (nudgeQueued) return;
    nudgeQueued = true;
    setImmediate(() => {
      nudgeQueued = false;
      webhookWorker.nudge();
    });
  };
  store.onEventWritten(nudgeWebhooks);
  const publicBaseUrl = config.publicBaseUrl ?? 'http://127.0.0.1:3000';
  const notices = createOwnerNotices({ store, clock, publicBaseUrl });
  // The seat pool tells of every invitation event, so each is counted wherever it starts.
  const seats = createSeatPool({
    store,
    clock,
    notices,
    onInvitation: (event, count) => metrics.invitation(event, count),
  });
  const members = createMemberService({ store, clock, seats });
  const renewals = createRenewals({ store, clock, seats });
  // Sign-ins the SSO edge rejects before any identity is known (forged, stale, too large).
  const sso = createSsoService({ store, clock, onRejection: (code) => metrics.signInRefused(code) });
  const memberAdmin = createMemberAdmin({ store, clock, seats });
  // The services whose answers and mail link to the server, per public URL: each HTTP app knows
  // its own (tests run several, on ports chosen as they listen), and is served by one set.
  const linkingSets = new Map<string, ReturnType<typeof linkingServices>>();
  const linkingServices = (url: string) => {
    const invitations = createInvitationService({ store, clock, seats, members, publicBaseUrl: url });
    return {
      invitations,
      /** Asking an administrator for a seat, and their answer. */
      seatRequests: createSeatRequests({ store, clock, invitations, memberAdmin, publicBaseUrl: url }),
      /** The members list as CSV, and the CSV import of invitations. */
      memberCsv: createMemberCsv({ store, clock, invitations }),
      /** Sign-in links by mail to the console. */
      consoleSignIn: createConsoleSignIn({ store, clock, publicBaseUrl: url }),
      /** Transfers of primary ownership. */
      ownership: createOwnershipService({ store, clock, publicBaseUrl: url }),
    };
  };
  return {
    clock,
    logger,
    store,
    seats,
    members,
    organisations: createOrganisations({ store, clock, members, publicBaseUrl }),
    billing: createBilling({
      store,
      clock,
      quoteTtlSeconds: config.quoteTtlSeconds,
      seats,
      seller: config.invoiceSeller ?? { name: 'Seatkeeper', lines: [publicBaseUrl] },
    }),
    renewals,
    directory: createDirectory({
      store,
      clock,
      seats,
      ...(storage.directoryReader ? { reader: storage.directoryReader } : {}),
    }),
    scimTokens: createScimTokens({ store, clock }),
    apiTokens: createApiTokens({ store, clock }),
    /** Reading the audit log: filtered pages and the CSV export. */
    auditLog: createAuditLog({ store }),
    signIn: createSignIn({
      store,
      clock,
      seats,
      members,
      notices,
      observer: {
        signedIn: (outcome) => metrics.signedIn(outcome),
        refused: (code) => metrics.signInRefused(code),
      },
    }),
    /** The owners' notices and their thresholds (setNoticeThresholds). */
    notices,
    /** The mail delivery worker: start()/stop() in the server, runOnce() anywhere. */
    mail,
    sso,
    sessions: createSessions({ store, clock }),
    /** Administrators' changes to members: role, tier, unassign, remove; the members list. */
    memberAdmin,
    /** The organisation's and each member's language. */
    languages: createLanguageService({ store, clock }),
    /** Seat usage per tier and day over the term. */
    usageHistory: createUsageHistory({ store, clock }),
    /** The services that link to the server at `publicBaseUrl`, built once per URL. */
    linking(publicBaseUrl: string): ReturnType<typeof linkingServices> {
      let set = linkingSets.get(publicBaseUrl);
      if (!set) linkingSets.set(publicBaseUrl, (set = linkingServices(publicBaseUrl)));
      return set;
    },
    /** Webhook endpoints for owners: configuration, delivery log, redelivery. */
    webhooks: createWebhooks({
      store,
      clock,
      settings: { allowHttp: webhookConfig.allowHttp },
      destinations: outbound,
    }),
    /** The webhook delivery worker: start()/stop() in the server, runOnce() anywhere. */
    webhookWorker,
    /** Prometheus metrics: the registry /metrics serves, and what the edges count. */
    metrics,
    /** Requests to addresses organisations configure: checked, pinned to the checked address. */
    outbound,
    /** Sealing stored secrets: `seatkeeper secrets rotate`. */
    storedSecrets,
    /** Where the sealing keys come from (a key file can be given a new key). */
    secretKeys,
    /** Liveness and readiness; the server marks it shutting down at SIGTERM. */
    health: createHealth({ ping: () => store.ping(), stats }),
    /** The clock-driven jobs; each is safe to run again, and in several processes at once. */
    async runJobs(): Promise<{ renewals: number; expiredInvitations: number }> {
      // Expiry first: seats freed by lapsed invitations are not renewed. Each job runs even if the
      // other failed; what failed is thrown afterwards, for the caller to log.
      const failures: unknown[] = [];
      const attempt = async <T>(job: () => Promise<T>, none: T): Promise<T> => {
        try {
          return await job();
        } catch (error) {
          failures.push(error);
          return none;
        }
      };
      const expiredInvitations = await attempt(() => seats.expireInvitations(), 0);
      const renewed = await attempt(async () => (await renewals.run()).length, 0);
      if (failures.length > 0) throw new AggregateError(failures, 'some clock-driven jobs failed');
      return { renewals: renewed, expiredInvitations };
    },
    async close(): Promise<void> {
      mailTransport.close();
      await storage.close();
    },
  };
}

/** The database the configuration names: PostgreSQL at databaseUrl, else SQLite at databasePath. */
export function databaseTarget(config: ContainerOptions['config']): DatabaseTarget {
  return config.databaseUrl
    ? { dialect: 'postgres', url: config.databaseUrl, maxConnections: config.databasePoolSize ?? 10 }
    : { dialect: 'sqlite', path: config.databasePath, busyTimeoutMs: config.dbBusyTimeoutMs };
}

/**
 * The keys that seal stored secrets: SECRETS_KEY, or the key file (created in the data directory at
 * the first start). An in-memory database without configured keys gets a key that dies with it.
 */
function secretKeySource(config: ContainerOptions['config'], logger: Logger): LoadedKeys {
  const secrets = config.secrets ?? { keys: null, keyFile: null };
  if (config.databasePath === ':memory:' && secrets.keys === null && secrets.keyFile === null) {
    const keys = [newSecretKey()];
    return { origin: 'a key of this process', keyFile: null, keys: () => keys };
  }
  return loadSecretKeys(secrets, config.dataDir ?? dirname(config.databasePath), logger);
}

export type Container = Awaited<ReturnType<typeof buildContainer>>;
