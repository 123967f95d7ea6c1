// The server under test, in its own process (bench/http/seatkeeper-app.ts): the real container and
// createApp over the database the parent names, a SQLite file or PostgreSQL at a URL. Several of
// these processes on one PostgreSQL database are several instances of one deployment.
//
// argv[2]: JSON { databasePath } or { databaseUrl, secretsKey }, and organisation?: { slug,
// standardSeats }. With an organisation, it is created with a SCIM token before the announcement,
// which then carries organisationId, token and tokenId.
// Commands (IPC): seedUsers, seedGroup, counts, checkpoint (SQLite), createOrganisation, eventLoop, exit.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { benchOrganisation } from '../fixture.js';
import { openDatabase } from '../../db/sqlite/connection.js';
import { OPERATOR, type Actor } from '../../domain/model.js';
import { parseFilter } from '../../scim/filter.js';
import { normaliseResource } from '../../scim/normalise.js';
import { fromScimUser } from '../../scim/representation.js';
import { tierUsage } from '../../seats/usage.js';
import { DOMAIN, oktaUserBody } from './bodies.js';
import { announce, serveCommands } from './child-side.js';
import { num, startSeatkeeper, type DatabaseOptions } from './seatkeeper-app.js';

type Options = DatabaseOptions & {
  readonly organisation?: { readonly slug: string; readonly standardSeats: number };
};

const options = JSON.parse(process.argv[2] ?? '{}') as Options;

const app = await startSeatkeeper(options, 'seatkeeper');
const { c, port, statuses, log } = app;

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
  if (!('databasePath' in options)) throw new Error('checkpoint: the server is not on SQLite');
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

serveCommands({ seedUsers, seedGroup, counts, checkpoint, createOrganisation, eventLoop }, app.close);
announce({ port, ...(created ?? {}) });
