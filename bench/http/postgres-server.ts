// The server under test on PostgreSQL, in its own process: the real container and createApp over
// the database DATABASE_URL names (the container's PostgreSQL store, a pool of DATABASE_POOL_SIZE
// connections, 10 by default), SECRETS_KEY sealing its secrets, SCIM rate limits off, clock-driven
// jobs never started, request logging at info into a counting sink (bench/fixture.ts). Several of
// these processes on one database are several instances of one deployment.
//
// argv[2]: JSON { organisation?: { slug, standardSeats } }: with one, it is created with a SCIM
// token before the announcement, which then carries organisationId, token and tokenId.
// Commands (IPC): seedUsers, counts (SCIM), ssoOrganisation, samlConnection, ssoCounts, exit.
import { parseSecretKeys } from '../../db/secret-box.js';
import { openPool } from '../../db/postgres/connection.js';
import { systemClock } from '../../domain/clock.js';
import { OPERATOR, type Actor } from '../../domain/model.js';
import { parseFilter } from '../../scim/filter.js';
import { normaliseResource } from '../../scim/normalise.js';
import { fromScimUser } from '../../scim/representation.js';
import { tierUsage } from '../../seats/usage.js';
import { createApp } from '../../server/app.js';
import { buildContainer } from '../../server/container.js';
import { createLogger } from '../../runtime/logger.js';
import { benchOrganisation, countingLogSink } from '../fixture.js';
import { DOMAIN, oktaUserBody } from './bodies.js';
import { announce, listenLocal, serveCommands, statusCounter } from './child-side.js';

interface Options {
  readonly organisation?: { readonly slug: string; readonly standardSeats: number };
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is not set');
const keys = parseSecretKeys(process.env.SECRETS_KEY ?? '');
if (typeof keys === 'string') throw new Error(`SECRETS_KEY: ${keys}`);
const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? 10);

const { log, sink } = countingLogSink('seatkeeper-pg');
const c = await buildContainer({
  config: {
    databasePath: ':memory:', // unused with databaseUrl, but for the mail directory (tmpdir)
    databaseUrl,
    databasePoolSize: poolSize,
    dbBusyTimeoutMs: 5000,
    quoteTtlSeconds: 900,
    secrets: { keys, keyFile: null },
    // The benchmark's identity providers listen on 127.0.0.1.
    outbound: { allowlist: ['127.0.0.1'] },
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

let created: { organisationId: number; token: string; tokenId: number } | undefined;
if (options.organisation) {
  const { organisation } = await c.organisations.create(
    benchOrganisation(options.organisation.slug, DOMAIN, {
      standard: options.organisation.standardSeats,
      premium: 0,
    }),
    OPERATOR,
  );
  const issued = await c.scimTokens.create(organisation.id, 'bench', OPERATOR);
  created = { organisationId: organisation.id, token: issued.token, tokenId: issued.record.id };
}

const num = (args: Record<string, unknown>, key: string): number => {
  const value = args[key];
  if (typeof value !== 'number') throw new Error(`${key} must be a number`);
  return value;
};
const str = (args: Record<string, unknown>, key: string): string => {
  const value = args[key];
  if (typeof value !== 'string') throw new Error(`${key} must be a string`);
  return value;
};

/**
 * Directory users 0..count-1 (userName user<i>@bench.example), created by the directory engine
 * exactly as POST /Users creates them (member, seat claim, audit), BATCH users per transaction:
 * the same rows as the SQLite templates (bench/http/seatkeeper-server.ts seedUsers).
 */
async function seedUsers(args: Record<string, unknown>): Promise<{ publicIds: string[]; seconds: number }> {
  const organisationId = num(args, 'organisationId');
  const count = num(args, 'count');
  const actor: Actor = { type: 'scim_token', tokenId: num(args, 'tokenId') };
  const BATCH = 5000;
  const PLACEHOLDER = '__n__';
  const template = JSON.stringify(fromScimUser(normaliseResource(oktaUserBody(`user${PLACEHOLDER}`))));
  const inputFor = (i: number) => {
    const input = JSON.parse(template.replaceAll(PLACEHOLDER, String(i))) as ReturnType<typeof fromScimUser>;
    if (i % 1000 === 0) {
      const real = JSON.stringify(fromScimUser(normaliseResource(oktaUserBody(`user${i}`))));
      if (real !== JSON.stringify(input)) throw new Error(`seed input drifted for user ${i}: ${real}`);
    }
    return input;
  };
  const started = performance.now();
  const publicIds: string[] = [];
  for (let from = 0; from < count; from += BATCH) {
    const batch: string[] = [];
    await c.store.write(async (q) => {
      batch.length = 0; // a transaction run again starts its batch again
      for (let i = from; i < Math.min(count, from + BATCH); i++)
        batch.push((await c.directory.createUserIn(q, organisationId, inputFor(i), actor)).publicId);
    });
    publicIds.push(...batch);
  }
  return { publicIds, seconds: (performance.now() - started) / 1000 };
}

/** What the SCIM scenarios check afterwards, read in one snapshot (as seatkeeper-server.ts). */
async function counts(args: Record<string, unknown>) {
  const organisationId = num(args, 'organisationId');
  const page = { sortBy: undefined, descending: false, offset: 0, limit: 0 };
  return await c.store.read(async (q) => ({
    users: (await q.directoryUsers.list(organisationId, { ...page, filter: undefined })).total,
    deactivated: (
      await q.directoryUsers.list(organisationId, { ...page, filter: parseFilter('active eq false') })
    ).total,
    tiers: (await tierUsage(q, organisationId)).map(({ tierId, held, seated, invited }) => ({
      tierId,
      held,
      seated,
      invited,
    })),
    groupMembers: null,
    statuses: { ...statuses.counts },
    log: { ...log },
  }));
}

/** A fresh JIT organisation with `seats` standard seats (as bench/sso-server.ts `organisation`). */
async function ssoOrganisation(args: Record<string, unknown>) {
  const { organisation } = await c.organisations.create(
    benchOrganisation(
      str(args, 'slug'),
      str(args, 'domain'),
      { standard: num(args, 'seats'), premium: 0 },
      'Bench SSO GmbH',
    ),
    OPERATOR,
  );
  await c.directory.setProvisioningMode(organisation.id, 'jit', OPERATOR);
  return { organisationId: organisation.id };
}

async function samlConnection(args: Record<string, unknown>) {
  const connection = await c.sso.createConnection(
    num(args, 'organisationId'),
    {
      protocol: 'saml',
      name: 'Bench SAML',
      idpEntityId: str(args, 'idpEntityId'),
      idpSsoUrl: str(args, 'idpSsoUrl'),
      idpCerts: [str(args, 'certPem')],
      responseSigned: true,
    },
    OPERATOR,
  );
  const spEntityId = `${url}/sso/saml/${connection.publicId}`;
  return { publicId: connection.publicId, spEntityId, acsUrl: `${spEntityId}/acs` };
}

/**
 * What the sign-in burst checks afterwards (as bench/sso-server.ts `counts`): pool counters against
 * member rows through the store, and the rows in plain SQL over a connection of its own, in one
 * repeatable-read transaction.
 */
async function ssoCounts(args: Record<string, unknown>) {
  const organisationId = num(args, 'organisationId');
  const pools = await c.store.read(async (q) => {
    const counted = await q.members.heldByTier(organisationId);
    return (await q.seatPools.list(organisationId)).map((t) => ({
      tierId: t.tierId,
      allocation: t.allocation,
      held: t.held,
      memberRows: counted.get(t.tierId) ?? 0,
    }));
  });
  const pool = openPool({ url: databaseUrl!, maxConnections: 1 });
  const db = await pool.connect();
  try {
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const count = async (sql: string) =>
      Number((await db.query<{ n: string }>(sql, [organisationId])).rows[0]!.n);
    const rows = {
      jitMembers: await count(
        `SELECT count(*) AS n FROM members WHERE organisation_id = $1 AND source = 'jit'`,
      ),
      seatedJitMembers: await count(
        `SELECT count(*) AS n FROM members WHERE organisation_id = $1 AND source = 'jit' AND seat_state = 'seated'`,
      ),
      identities: await count(
        `SELECT count(*) AS n FROM sso_identities i JOIN sso_connections s ON s.id = i.connection_id
         WHERE s.organisation_id = $1`,
      ),
      sessions: await count(
        'SELECT count(*) AS n FROM sessions WHERE organisation_id = $1 AND revoked_at IS NULL',
      ),
      refusals: Object.fromEntries(
        (
          await db.query<{ code: string; n: string }>(
            `SELECT (after::jsonb)->>'code' AS code, count(*) AS n FROM audit_log
             WHERE organisation_id = $1 AND action = 'sign_in.refused' GROUP BY code`,
            [organisationId],
          )
        ).rows.map((r) => [r.code, Number(r.n)]),
      ),
      waitlisted: await count(
        'SELECT count(*) AS n FROM seat_waitlist WHERE organisation_id = $1 AND resolved_at IS NULL',
      ),
    };
    await db.query('COMMIT');
    return { ...rows, pools, statuses: { ...statuses.counts }, log: { ...log } };
  } finally {
    db.release();
    await pool.end();
  }
}

serveCommands({ seedUsers, counts, ssoOrganisation, samlConnection, ssoCounts }, async () => {
  server.closeAllConnections();
  server.close();
  await c.close();
});
announce({ port, ...(created ?? {}) });
