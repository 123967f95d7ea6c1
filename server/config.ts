// Configuration: every key, its default and its meaning, parsed and validated once at start-up.
// Only server/main.ts (and the CLI's entry point) pass the environment in; everything else gets
// the frozen result. Every problem is reported at once, so one restart fixes them all.
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseSecretKeys, type SecretKey } from '../db/secret-box.js';
import { parseOutboundAllowlist } from '../net/outbound.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Every key the server reads. `doc` feeds .env.example and the README's table. */
export const CONFIG_KEYS = {
  HOST: { default: '127.0.0.1', doc: 'Interface to listen on (0.0.0.0 for all).' },
  PORT: { default: '3000', doc: 'TCP port to listen on (0 picks a free one).' },
  PUBLIC_BASE_URL: {
    default: '',
    doc: 'Public URL of the server, used in links; defaults to http://HOST:PORT.',
  },
  INVOICE_SELLER_NAME: {
    default: 'Seatkeeper',
    doc: 'Who issues the invoices: the name at the top of every invoice PDF.',
  },
  INVOICE_SELLER_ADDRESS: {
    default: '',
    doc: 'The lines under that name (address, VAT id), separated by |; empty: the public URL.',
  },
  TRUST_PROXY: {
    default: '',
    doc: 'Proxies whose X-Forwarded-For/-Proto are believed: a hop count (1 = the nearest), or a comma-separated list of addresses and CIDR ranges; empty believes none.',
  },
  DATA_DIR: { default: './data', doc: 'Directory for the SQLite database and other local files.' },
  DATABASE_PATH: { default: '', doc: 'SQLite database file; defaults to DATA_DIR/seatkeeper.db.' },
  DATABASE_URL: {
    default: '',
    doc: 'PostgreSQL (15 or later) instead of SQLite, for several instances on one database: postgres://user:password@host:5432/name (or postgresql://), libpq parameters such as ?sslmode=require after it; empty: SQLite at DATABASE_PATH.',
  },
  DATABASE_POOL_SIZE: {
    default: '10',
    doc: 'PostgreSQL: most connections each server process holds (a transaction holds one from BEGIN to COMMIT).',
  },
  DB_BUSY_TIMEOUT_MS: {
    default: '5000',
    doc: 'How long a write waits for another process holding the database lock.',
  },
  WORKERS: {
    default: '1',
    doc: 'Server processes sharing the port and the database file; `auto` is one per core.',
  },
  LOG_LEVEL: { default: 'info', doc: `Least severe log level written: ${LOG_LEVELS.join(', ')}.` },
  METRICS_TOKEN: {
    default: '',
    doc: 'Bearer token GET /metrics requires (16 characters or more); empty: /metrics is open.',
  },
  METRICS_ORGANISATION_LABEL: {
    default: 'true',
    doc: 'Label seat gauges with the organisation (true), or sum them over organisations (false).',
  },
  SHUTDOWN_DELAY_MS: {
    default: '0',
    doc: 'On SIGTERM/SIGINT, how long to keep serving with /readyz answering 503 before draining.',
  },
  SHUTDOWN_GRACE_MS: {
    default: '10000',
    doc: 'On SIGTERM/SIGINT, how long in-flight requests may finish before connections are cut.',
  },
  QUOTE_TTL_SECONDS: {
    default: '900',
    doc: 'How long a seat quote can be confirmed (it also ends at midnight in the contract zone).',
  },
  JOBS_INTERVAL_SECONDS: {
    default: '60',
    doc: 'How often the server runs renewals and invitation expiry (0 turns the timer off).',
  },
  SCIM_RATE_LIMIT_PER_SECOND: {
    default: '500',
    doc: 'SCIM requests per second allowed per token and process (0 turns the limit off).',
  },
  SCIM_RATE_LIMIT_BURST: {
    default: '1000',
    doc: 'SCIM requests a token may send at once before the per-second rate applies.',
  },
  SCIM_ORG_RATE_LIMIT_PER_SECOND: {
    default: '1000',
    doc: 'SCIM requests per second allowed per organisation (all its tokens together) and process (0 turns the limit off).',
  },
  SCIM_ORG_RATE_LIMIT_BURST: {
    default: '2000',
    doc: 'SCIM requests an organisation may send at once, over all its tokens, before its per-second rate applies.',
  },
  SMTP_URL: {
    default: '',
    doc: 'SMTP server for outgoing mail, smtp://user:pass@host:587 (STARTTLS) or smtps://…:465; unset: mail is written to MAIL_DIR.',
  },
  MAIL_FROM: { default: 'Seatkeeper <no-reply@localhost>', doc: 'Sender (From) of every mail.' },
  MAIL_DIR: {
    default: '',
    doc: 'Where mail is written as .eml files when SMTP_URL is unset; defaults to DATA_DIR/mail.',
  },
  MAIL_POLL_INTERVAL_SECONDS: {
    default: '5',
    doc: 'How often the mail worker looks for mail due (0 turns the timer off).',
  },
  MAIL_MAX_ATTEMPTS: {
    default: '20',
    doc: 'Delivery attempts per mail before it is marked failed (retries back off to once an hour).',
  },
  WEBHOOKS_ALLOW_HTTP: {
    default: 'false',
    doc: 'Let owners give http:// webhook URLs (development); false accepts https:// only.',
  },
  WEBHOOK_POLL_INTERVAL_SECONDS: {
    default: '5',
    doc: 'How often the webhook worker looks for deliveries due, besides right after each change (0 turns the timer off).',
  },
  WEBHOOK_MAX_ATTEMPTS: {
    default: '30',
    doc: 'Delivery attempts per webhook event and endpoint before it is given up (retries back off to once an hour).',
  },
  OUTBOUND_ALLOWLIST: {
    default: '',
    doc: 'Host names, addresses and CIDR ranges that webhooks and OpenID Providers may reach although loopback or private (comma-separated); empty allows none.',
  },
  SECRETS_KEY: {
    default: '',
    doc: 'Key sealing stored OIDC client and webhook secrets: base64 of 32 bytes, or id:base64 entries separated by commas, newest first; empty reads SECRETS_KEY_FILE.',
  },
  SECRETS_KEY_FILE: {
    default: '',
    doc: 'File holding that key (id:base64 lines, newest first); empty: DATA_DIR/secrets.key, created at the first start.',
  },
} as const;

type Key = keyof typeof CONFIG_KEYS;

const schema = z.object({
  HOST: z.string().min(1),
  PORT: integer(0, 65535),
  PUBLIC_BASE_URL: z.union([z.literal(''), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })]),
  INVOICE_SELLER_NAME: z.string().trim().min(1).max(200),
  INVOICE_SELLER_ADDRESS: z
    .string()
    .max(1000)
    .transform((text) =>
      text
        .split('|')
        .map((line) => line.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().max(200)).max(8, 'at most 8 lines')),
  TRUST_PROXY: z.string().transform((text, ctx) => {
    const trust = parseTrustProxy(text);
    if (typeof trust === 'string') {
      ctx.addIssue({ code: 'custom', message: trust });
      return z.NEVER;
    }
    return trust;
  }),
  DATA_DIR: z.string().min(1),
  DATABASE_PATH: z.string(),
  DATABASE_URL: z.string().transform((text, ctx): string | null => {
    if (text === '') return null;
    const problem = parsePostgresUrl(text);
    if (problem === undefined) return text;
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }),
  DATABASE_POOL_SIZE: integer(1, 1_000),
  DB_BUSY_TIMEOUT_MS: integer(0, 600_000),
  LOG_LEVEL: z.enum(LOG_LEVELS),
  METRICS_TOKEN: z.union([
    z.literal(''),
    z.string().regex(/^[\x21-\x7e]{16,}$/, 'must be 16 or more printable characters, no spaces'),
  ]),
  METRICS_ORGANISATION_LABEL: z.enum(['true', 'false'], 'must be true or false'),
  SHUTDOWN_DELAY_MS: integer(0, 600_000),
  SHUTDOWN_GRACE_MS: integer(0, 600_000),
  QUOTE_TTL_SECONDS: integer(1, 86_400),
  JOBS_INTERVAL_SECONDS: integer(0, 86_400),
  WORKERS: z.union([z.literal('auto'), integer(1, 64)]),
  SCIM_RATE_LIMIT_PER_SECOND: integer(0, 1_000_000),
  SCIM_RATE_LIMIT_BURST: integer(1, 1_000_000),
  SCIM_ORG_RATE_LIMIT_PER_SECOND: integer(0, 1_000_000),
  SCIM_ORG_RATE_LIMIT_BURST: integer(1, 1_000_000),
  SMTP_URL: z.union([
    z.literal(''),
    z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }),
  ]),
  MAIL_FROM: z
    .string()
    .regex(
      /^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/,
      'must be an address or Name <address>',
    ),
  MAIL_DIR: z.string(),
  MAIL_POLL_INTERVAL_SECONDS: integer(0, 3_600),
  MAIL_MAX_ATTEMPTS: integer(1, 1_000),
  WEBHOOKS_ALLOW_HTTP: z.enum(['true', 'false'], 'must be true or false'),
  WEBHOOK_POLL_INTERVAL_SECONDS: integer(0, 3_600),
  WEBHOOK_MAX_ATTEMPTS: integer(1, 1_000),
  OUTBOUND_ALLOWLIST: z.string().transform((text, ctx) => {
    const allowlist = parseOutboundAllowlist(text);
    if (typeof allowlist === 'string') {
      ctx.addIssue({ code: 'custom', message: allowlist });
      return z.NEVER;
    }
    return allowlist;
  }),
  SECRETS_KEY: z.string().transform((text, ctx): readonly SecretKey[] | null => {
    if (text.trim() === '') return null;
    const keys = parseSecretKeys(text);
    if (typeof keys === 'string') {
      ctx.addIssue({ code: 'custom', message: keys });
      return z.NEVER;
    }
    return Object.freeze(keys);
  }),
  SECRETS_KEY_FILE: z.string(),
});

/** Keys whose values may hold credentials: never echoed, not even in an error. */
const SECRET_KEYS: ReadonlySet<string> = new Set([
  'SMTP_URL',
  'METRICS_TOKEN',
  'SECRETS_KEY',
  'DATABASE_URL',
]);

/**
 * A PostgreSQL URL as the driver reads it (libpq's URI form): postgres:// or postgresql://, a host,
 * a database name. Returns what is wrong, or undefined when it will do. The parameters after `?`
 * (sslmode, connect_timeout, …) are the driver's to judge when it connects.
 */
export function parsePostgresUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be a postgres:// or postgresql:// URL';
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    return 'must be a postgres:// or postgresql:// URL';
  if (url.hostname === '' && !url.searchParams.has('host')) return 'must name the host';
  if (url.pathname.replace(/^\//, '') === '') return 'must name the database (postgres://host/name)';
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.has(sslmode))
    return `sslmode must be one of ${[...SSL_MODES].join(', ')}`;
  return undefined;
}

/** The database for the logs: the SQLite file, or the PostgreSQL URL without its credentials. */
export function databaseLabel(config: Pick<Config, 'databasePath' | 'databaseUrl'>): string {
  if (config.databaseUrl === null) return config.databasePath;
  const url = new URL(config.databaseUrl);
  url.username = '';
  url.password = '';
  return url.toString();
}

/** libpq's sslmode values, as the driver understands them. */
const SSL_MODES: ReadonlySet<string> = new Set([
  'disable',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
  'no-verify',
]);

/** The names express (proxy-addr) gives to the private and local address ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY → express's `trust proxy` setting: false (no proxy: the peer is the client), a hop
 * count, or the proxies' addresses and ranges. `true` (believe any peer) is not offered: a client
 * could then claim any address and https; a hop count says the same for a known chain of proxies.
 * Returns a problem text for a value it refuses.
 */
export function parseTrustProxy(text: string): TrustProxy | string {
  const value = text.trim();
  if (value === '') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops >= 1 && hops <= 32 ? hops : 'a hop count must be from 1 to 32';
  }
  const entries = value.split(',').map((e) => e.trim());
  const bad = entries.filter((entry) => {
    if (NAMED_RANGES.has(entry)) return false;
    const [address = '', prefix, ...more] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || more.length > 0) return true;
    if (prefix === undefined) return false;
    const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    return !(bits >= 0 && bits <= (family === 4 ? 32 : 128));
  });
  return bad.length === 0
    ? Object.freeze(entries)
    : `not an address, CIDR range, loopback, linklocal or uniquelocal: ${bad.map((b) => JSON.stringify(b)).join(', ')}`;
}

/** Which peers may tell the client's address and protocol (X-Forwarded-For, X-Forwarded-Proto). */
export type TrustProxy = false | number | readonly string[];

export interface Config {
  /** Server processes (cluster workers) on the one database file; 1 runs a single process. */
  readonly workers: number;
  readonly host: string;
  readonly port: number;
  readonly publicBaseUrl: string;
  /** Who issues the invoices, as invoice PDFs name them; no lines: the public URL stands there. */
  readonly invoiceSeller: { readonly name: string; readonly lines: readonly string[] };
  readonly trustProxy: TrustProxy;
  readonly dataDir: string;
  readonly databasePath: string;
  /** DATABASE_URL: PostgreSQL instead of SQLite at databasePath; null: SQLite. */
  readonly databaseUrl: string | null;
  /** PostgreSQL: the most connections this process holds. */
  readonly databasePoolSize: number;
  readonly dbBusyTimeoutMs: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly metrics: MetricsConfig;
  readonly shutdownDelayMs: number;
  readonly shutdownGraceMs: number;
  readonly quoteTtlSeconds: number;
  readonly jobsIntervalSeconds: number;
  readonly scimRateLimit: { readonly perSecond: number; readonly burst: number };
  /** Over all of one organisation's tokens, so that more tokens buy no more capacity. */
  readonly scimOrganisationRateLimit: { readonly perSecond: number; readonly burst: number };
  readonly mail: MailConfig;
  readonly webhooks: WebhookConfig;
  readonly outbound: OutboundConfig;
  readonly secrets: SecretsConfig;
}

export interface OutboundConfig {
  /** Host names, addresses and CIDR ranges reachable although private (net/outbound.ts). */
  readonly allowlist: readonly string[];
}

export interface SecretsConfig {
  /** From SECRETS_KEY, newest first; null: the key file. Never logged. */
  readonly keys: readonly SecretKey[] | null;
  /** SECRETS_KEY_FILE; null: DATA_DIR/secrets.key, created at the first start. */
  readonly keyFile: string | null;
}

export interface MetricsConfig {
  /** null: /metrics is open (it is on HOST, 127.0.0.1 unless configured otherwise). */
  readonly token: string | null;
  /** Seat gauges per organisation (true) or summed over organisations. */
  readonly perOrganisation: boolean;
}

export interface MailConfig {
  /** null: no SMTP, mail is written to `dir`. Holds credentials: log `smtpHost` only. */
  readonly smtpUrl: string | null;
  readonly from: string;
  readonly dir: string;
  readonly pollIntervalSeconds: number;
  readonly maxAttempts: number;
}

export interface WebhookConfig {
  /** http:// receivers allowed besides https:// (development and tests). */
  readonly allowHttp: boolean;
  readonly pollIntervalSeconds: number;
  readonly maxAttempts: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (or any key/value map) into a deep-frozen Config, or throws ConfigError. */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const raw = Object.fromEntries(
    (Object.keys(CONFIG_KEYS) as Key[]).map((key) => [
      key,
      env[key] === undefined || env[key] === '' ? CONFIG_KEYS[key].default : env[key],
    ]),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) =>
          `${i.path.join('.')}=${SECRET_KEYS.has(String(i.path[0])) ? '(hidden)' : JSON.stringify(raw[String(i.path[0])])}: ${i.message}`,
      ),
    );
  }
  const v = parsed.data;
  if (v.DATABASE_URL !== null && v.DATABASE_PATH !== '') {
    // Two databases named: which one holds the members is not for the server to guess.
    throw new ConfigError([
      'DATABASE_PATH and DATABASE_URL are both set: set DATABASE_URL for PostgreSQL, or DATABASE_PATH for SQLite, not both.',
    ]);
  }
  const dataDir = resolve(v.DATA_DIR);
  const databasePath = v.DATABASE_PATH === '' ? join(dataDir, 'seatkeeper.db') : v.DATABASE_PATH;
  return Object.freeze({
    workers: v.WORKERS === 'auto' ? availableParallelism() : v.WORKERS,
    host: v.HOST,
    port: v.PORT,
    publicBaseUrl: (v.PUBLIC_BASE_URL || `http://${v.HOST}:${v.PORT}`).replace(/\/+$/, ''),
    invoiceSeller: Object.freeze({
      name: v.INVOICE_SELLER_NAME,
      lines: Object.freeze(
        v.INVOICE_SELLER_ADDRESS.length > 0
          ? v.INVOICE_SELLER_ADDRESS
          : [(v.PUBLIC_BASE_URL || `http://${v.HOST}:${v.PORT}`).replace(/\/+$/, '')],
      ),
    }),
    trustProxy: v.TRUST_PROXY,
    dataDir,
    databasePath:
      databasePath === ':memory:' || isAbsolute(databasePath) ? databasePath : resolve(databasePath),
    databaseUrl: v.DATABASE_URL,
    databasePoolSize: v.DATABASE_POOL_SIZE,
    dbBusyTimeoutMs: v.DB_BUSY_TIMEOUT_MS,
    logLevel: v.LOG_LEVEL,
    metrics: Object.freeze({
      token: v.METRICS_TOKEN === '' ? null : v.METRICS_TOKEN,
      perOrganisation: v.METRICS_ORGANISATION_LABEL === 'true',
    }),
    shutdownDelayMs: v.SHUTDOWN_DELAY_MS,
    shutdownGraceMs: v.SHUTDOWN_GRACE_MS,
    quoteTtlSeconds: v.QUOTE_TTL_SECONDS,
    jobsIntervalSeconds: v.JOBS_INTERVAL_SECONDS,
    scimRateLimit: Object.freeze({ perSecond: v.SCIM_RATE_LIMIT_PER_SECOND, burst: v.SCIM_RATE_LIMIT_BURST }),
    scimOrganisationRateLimit: Object.freeze({
      perSecond: v.SCIM_ORG_RATE_LIMIT_PER_SECOND,
      burst: v.SCIM_ORG_RATE_LIMIT_BURST,
    }),
    mail: Object.freeze({
      smtpUrl: v.SMTP_URL === '' ? null : v.SMTP_URL,
      from: v.MAIL_FROM,
      dir: v.MAIL_DIR === '' ? join(dataDir, 'mail') : resolve(v.MAIL_DIR),
      pollIntervalSeconds: v.MAIL_POLL_INTERVAL_SECONDS,
      maxAttempts: v.MAIL_MAX_ATTEMPTS,
    }),
    webhooks: Object.freeze({
      allowHttp: v.WEBHOOKS_ALLOW_HTTP === 'true',
      pollIntervalSeconds: v.WEBHOOK_POLL_INTERVAL_SECONDS,
      maxAttempts: v.WEBHOOK_MAX_ATTEMPTS,
    }),
    outbound: Object.freeze({ allowlist: v.OUTBOUND_ALLOWLIST }),
    secrets: Object.freeze({
      keys: v.SECRETS_KEY,
      keyFile: v.SECRETS_KEY_FILE === '' ? null : resolve(v.SECRETS_KEY_FILE),
    }),
  });
}
