// Test fixtures: a real SQLite file in a fresh temporary directory (or, in the PostgreSQL run, a
// fresh PostgreSQL database), the real services over it, a clock the test controls, and the
// product's example organisation.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixedClock } from '../../domain/clock.js';
import { OPERATOR } from '../../domain/model.js';
import type { NewOrganisation } from '../../provisioning/organisations.js';
import { createApp } from '../../server/app.js';
import type { Config } from '../../server/config.js';
import { buildContainer, type Container, type ContainerOptions } from '../../server/container.js';
import { createLogger } from '../../runtime/logger.js';
import { newPostgresDatabase, TEST_BACKEND } from './test-database.js';

export interface TestContext {
  readonly dir: string;
  readonly databasePath: string;
  /** The test's own PostgreSQL database in the PostgreSQL run; null on SQLite (the file at `databasePath`). */
  readonly databaseUrl: string | null;
  readonly clock: FixedClock;
  readonly c: Container;
  /** Closes the database and deletes the directory. */
  cleanup(): Promise<void>;
}

/**
 * OUTBOUND_ALLOWLIST for tests: the webhook receivers (webhook-receiver.ts) and OpenID Providers
 * (oidc-provider.ts) they start listen on 127.0.0.1, which the outbound guard otherwise refuses.
 * Tests of the guard itself pass `outbound: { allowlist: [] }`.
 */
export const TEST_OUTBOUND = Object.freeze({ allowlist: Object.freeze(['127.0.0.1']) });

export function tempDir(prefix = 'seatkeeper-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Real services over a new database file, with the clock set to `now`. Mail goes to `dir/mail` as
 * files unless `config.mail.smtpUrl` names a server (test/helpers/smtp.ts starts one).
 */
export async function setup(
  now = '2026-01-01T09:00:00Z',
  config: Pick<
    ContainerOptions['config'],
    'publicBaseUrl' | 'mail' | 'webhooks' | 'outbound' | 'invoiceSeller'
  > = {},
): Promise<TestContext> {
  const dir = tempDir();
  const databasePath = join(dir, 'seatkeeper.db');
  const clock = new FixedClock(now);
  // The PostgreSQL run (test/helpers/test-database.ts): the same services on a database of its own.
  const databaseUrl = TEST_BACKEND === 'postgres' ? await newPostgresDatabase() : null;
  const c = await buildContainer({
    config: {
      databasePath,
      databaseUrl,
      dbBusyTimeoutMs: 5000,
      quoteTtlSeconds: 900,
      outbound: TEST_OUTBOUND,
      ...config,
    },
    clock,
    logger: createLogger('silent'),
  });
  return {
    dir,
    databasePath,
    databaseUrl,
    clock,
    c,
    async cleanup() {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The source text's example: a contract from 1 January (Europe/Berlin) with 100 standard seats at
 * 50.00 a month and premium at 150.00; the primary owner's invitation holds one standard seat.
 */
export function exampleOrganisation(
  overrides: Partial<NewOrganisation['contract']> & { slug?: string } = {},
): NewOrganisation {
  const { slug = 'acme', ...contract } = overrides;
  return {
    slug,
    name: 'Acme GmbH',
    domains: [`${slug}.example`],
    contract: {
      termStart: '2026-01-01',
      timeZone: 'Europe/Berlin',
      currency: 'EUR',
      autoRenew: true,
      prices: { standard: 5000, premium: 15000 },
      seats: { standard: 100, premium: 0 },
      ...contract,
    },
    primaryOwner: { email: `owner@${slug}.example`, displayName: 'Olga Owner' },
  };
}

export async function createExample(
  ctx: TestContext,
  overrides: Parameters<typeof exampleOrganisation>[0] = {},
) {
  return await ctx.c.organisations.create(exampleOrganisation(overrides), OPERATOR);
}

/** Pool counters and member rows must agree, tier by tier. */
export async function heldMatchesMembers(ctx: TestContext, organisationId: number): Promise<boolean> {
  return await ctx.c.store.read(async (q) => {
    const counted = await q.members.heldByTier(organisationId);
    return (await q.seatPools.list(organisationId)).every((t) => t.held === (counted.get(t.tierId) ?? 0));
  });
}

/** The real HTTP app over the test's services (SCIM rate limit off unless asked). */
export function testApp(
  ctx: TestContext,
  config: Partial<Pick<Config, 'publicBaseUrl' | 'scimRateLimit' | 'scimOrganisationRateLimit'>> = {},
) {
  return createApp({
    ...ctx.c,
    config: { publicBaseUrl: 'http://127.0.0.1', scimRateLimit: { perSecond: 0, burst: 1 }, ...config },
  });
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  close(): Promise<void>;
}

/** The real app listening on an ephemeral port on 127.0.0.1, with links that point at it. */
export async function listen(
  ctx: TestContext,
  config: Partial<Pick<Config, 'scimRateLimit' | 'scimOrganisationRateLimit'>> & {
    /** The name links use for this server: `localhost` makes it another site than 127.0.0.1 (browser tests). */
    readonly publicHost?: string;
  } = {},
): Promise<RunningServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const { publicHost = '127.0.0.1', ...rest } = config;
  const url = `http://${publicHost}:${port}`;
  server.on('request', testApp(ctx, { publicBaseUrl: url, ...rest }));
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A SCIM token for the organisation, as an owner would create it. */
export async function scimToken(ctx: TestContext, organisationId: number): Promise<string> {
  return (await ctx.c.scimTokens.create(organisationId, 'test', OPERATOR)).token;
}
