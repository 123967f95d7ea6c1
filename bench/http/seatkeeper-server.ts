// The server under test, in its own process: the real container and createApp over a database file
// given by the parent, SCIM rate limit off, clock-driven jobs never started (server/main.ts starts
// them; this entry does not). Request logging stays at the production level (info), serialised by
// the real pino logger into an in-process sink that counts lines and passes warnings and errors on
// to stderr, so its CPU cost is measured but no log file is written.
//
// argv[2]: JSON { databasePath, organisation?: { slug, standardSeats } }. With an organisation, it
// is created with a SCIM token before the announcement, which then carries organisationId and token.
// Commands (IPC): seedUsers, seedGroup, counts, checkpoint, createOrganisation, eventLoop, exit.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { benchOrganisation, countingLogSink } from '../fixture.js';
import { openDatabase } from '../../db/sqlite/connection.js';
import { systemClock } from '../../domain/clock.js';
import { OPERATOR, type Actor } from '../../domain/model.js';
import { parseFilter } from '../../scim/filter.js';
import { normaliseResource } from '../../scim/normalise.js';
import { fromScimUser } from '../../scim/representation.js';
import { tierUsage } from '../../seats/usage.js';
import { createApp } from '../../server/app.js';
import { buildContainer } from '../../server/container.js';
import { createLogger } from '../../runtime/logger.js';
import { DOMAIN, oktaUserBody } from './bodies.js';
import { announce, listenLocal, serveCommands, statusCounter } from './child-side.js';

interface Options {
  readonly databasePath: string;
  readonly organisation?: { readonly slug: string; readonly standardSeats: number };
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;

const { log, sink } = countingLogSink('seatkeeper');

const c = await buildContainer({
  config: { databasePath: options.databasePath, dbBusyTimeoutMs: 5000, quoteTtlSeconds: 900 },
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

/**
 * Directory users 0..count-1 (userName user<i>@bench.example), created by the directory engine
 * exactly as POST /Users creates them (member, seat claim, audit), in transactions of BATCH users.
 * The engine's input is what the SCIM edge makes of an Okta body (normaliseResource + fromScimUser);
 * scimmy's coercion runs once on a template whose placeholders are then filled in per user, and
 * every 1,000th user is converted for real and compared, so the shortcut cannot drift.
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
    await c.store.write(async (q) => {
      for (let i = from; i < Math.min(count, from + BATCH); i++)
        publicIds.push((await c.directory.createUserIn(q, organisationId, inputFor(i), actor)).publicId);
    });
  }
  return { publicIds, seconds: (performance.now() - started) / 1000 };
}

/** A group whose members are the given users, created by the directory engine in one transaction. */
async function seedGroup(args: Record<string, unknown>): Promise<{ groupId: string; seconds: number }> {
  const organisationId = num(args, 'organisationId');
  const members = args.members as string[];
  const started = performance.now();
  const group = await c.directory.createGroup(
    organisationId,
    { displayName: String(args.displayName), externalId: null, members },
    OPERATOR,
  );
  return { groupId: group.publicId, seconds: (performance.now() - started) / 1000 };
}

/** Everything a scenario checks afterwards, read in one snapshot. */
async function counts(args: Record<string, unknown>) {
  const organisationId = num(args, 'organisationId');
  const page = { sortBy: undefined, descending: false, offset: 0, limit: 0 };
  return await c.store.read(async (q) => {
    const group =
      typeof args.groupId === 'string' ? await q.groups.byPublicId(organisationId, args.groupId) : undefined;
    return {
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
      groupMembers: group ? (await q.groups.memberIds(group)).length : null,
      statuses: { ...statuses.counts },
      log: { ...log },
    };
  });
}

/** Moves the write-ahead log into the database file, as a long-running server's checkpoints would. */
function checkpoint(): null {
  const db = openDatabase(options.databasePath, { busyTimeoutMs: 5000 });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return null;
}

/** Another organisation in the same server (a second tenant), with its own SCIM token. */
async function createOrganisation(args: Record<string, unknown>) {
  const { organisation } = await c.organisations.create(
    benchOrganisation(String(args.slug), String(args.domain), {
      standard: num(args, 'standardSeats'),
      premium: 0,
    }),
    OPERATOR,
  );
  const issued = await c.scimTokens.create(organisation.id, 'bench', OPERATOR);
  return { organisationId: organisation.id, token: issued.token, tokenId: issued.record.id };
}

let loop: IntervalHistogram | undefined;

/**
 * This process's event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution): `start`
 * begins a histogram, `stop` ends it and returns how long the loop was held, in milliseconds.
 */
function eventLoop(args: Record<string, unknown>) {
  if (args.action === 'start') {
    loop?.disable();
    loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    return null;
  }
  if (!loop) throw new Error('eventLoop stop without start');
  loop.disable();
  const ms = (ns: number) => ns / 1e6;
  const result = {
    p50Ms: ms(loop.percentile(50)),
    p99Ms: ms(loop.percentile(99)),
    maxMs: ms(loop.max),
    samples: loop.count,
  };
  loop = undefined;
  return result;
}

serveCommands({ seedUsers, seedGroup, counts, checkpoint, createOrganisation, eventLoop }, async () => {
  server.closeAllConnections();
  server.close();
  await c.close();
});
announce({ port, ...(created ?? {}) });
