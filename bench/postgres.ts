// The SCIM and sign-in scenarios again, on PostgreSQL: the scenarios of bench/scim.ts and
// bench/sso.ts themselves (same bodies, same connections, same sizes, the same checks), given the
// PostgreSQL backend below, so the server under test is the real container and createApp with a
// DATABASE_URL (bench/http/seatkeeper-server.ts and bench/sso-server.ts given { databaseUrl,
// secretsKey }), one process per instance, over a durable cluster started for the run
// (bench/postgres-cluster.ts: fsync on, synchronous_commit on). What is PostgreSQL's own stays
// here: the cluster, the 100,000-user directory seeded with generate_series and read back with
// psql, and two instances of one deployment against one.
//
// On a machine of two cores PostgreSQL shares them with the server processes and the load
// generator; the notes say how the CPU went over each measured window.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Backend, SeededDirectory } from './backend.js';
import { Servers, type ChildServer } from './http/child.js';
import {
  asTiming,
  cannon,
  countOf,
  merge,
  ratePerSecond,
  scimHeaders,
  type LoadResult,
} from './http/load.js';
import type { DatabaseOptions } from './http/seatkeeper-app.js';
import { announced, ORGANISATION, type Announced } from './http/templates.js';
import { benchPostgres, type BenchPostgres } from './postgres-cluster.js';
import { latencySummary, type Scenario, type ScenarioResult } from './scenario.js';
import {
  alternate,
  check,
  checkClient,
  checkServer,
  CONNECTIONS,
  countsOf,
  cpuNote,
  cpuOf,
  createRequests,
  filterLookupScenario,
  int,
  pagesScenario,
  scimCreateScenario,
  serverStatus,
  sizesFor,
  standardTier,
  startSeatkeeper,
  type Slices,
} from './scim.js';
import { BURST, seatRaceScenario } from './sso.js';

/** The key every instance seals its secrets with (base64 of 32 bytes, the SECRETS_KEY format). */
const SECRETS_KEY = randomBytes(32).toString('base64');

let databases = 0;
/** A new, empty database on the run's cluster: what an instance is given to open. */
async function newDatabase(label: string): Promise<DatabaseOptions & { url: string }> {
  const pg = await benchPostgres();
  const url = pg.createDatabase(`${label}_${++databases}`);
  return { url, databaseUrl: url, secretsKey: SECRETS_KEY };
}

/** A fresh database with the benchmark organisation and its token, and an instance over it. */
async function freshInstance(
  servers: Servers,
  label: string,
): Promise<{ server: ChildServer; url: string; database: DatabaseOptions; org: Announced }> {
  const database = await newDatabase(label);
  const server = await startSeatkeeper(servers, `${label} instance 1`, database, ORGANISATION);
  return { server, url: database.url, database, org: announced(server) };
}

interface Template extends SeededDirectory {
  readonly url: string;
}

const templates = new Map<number, Promise<Template>>();

/**
 * A database with `users` directory users (userName user<i>@bench.example), built on first use and
 * shared by the read-only scenarios (lookups and pages write nothing). User 0 is created by the
 * directory engine exactly as POST /Users creates one; what that wrote (one members row, two
 * audit_log rows, the standard pool's counter) is then repeated for users 1..users-1 in one
 * INSERT … SELECT over generate_series each, user 0's text with its number replaced, a fresh
 * public id each: the rows the SCIM layer reads, without 100,000 engine calls.
 */
function seededDatabase(users: number): Promise<Template> {
  let template = templates.get(users);
  if (!template) {
    template = (async () => {
      process.stderr.write(`  seeding ${users.toLocaleString('en-US')} users on PostgreSQL …\n`);
      const servers = new Servers();
      try {
        const pg = await benchPostgres();
        const { server, url, org } = await freshInstance(servers, `users_${users}`);
        const started = performance.now();
        const [first] = (
          await server.call<{ publicIds: string[] }>('seedUsers', {
            organisationId: org.organisationId,
            tokenId: org.tokenId,
            count: 1,
          })
        ).publicIds;
        const database = new URL(url).pathname.slice(1);
        const o = org.organisationId;
        const text = (column: string) => `replace(t.${column}, 'user0', 'user' || i)`;
        pg.sql(
          database,
          `BEGIN;
           CREATE TEMPORARY TABLE seeded ON COMMIT DROP AS
             SELECT i, nextval(pg_get_serial_sequence('members', 'id')) AS id FROM generate_series(1, ${users - 1}) i;
           INSERT INTO members (id, organisation_id, email, email_key, display_name, role, seat_state, tier_id,
               source, created_at, updated_at, public_id, user_name, user_name_key, external_id, scim_resource,
               version, waiting_since, language, last_active_at)
             SELECT s.id, t.organisation_id, ${text('email')}, ${text('email_key')}, ${text('display_name')}, t.role,
               t.seat_state, t.tier_id, t.source, t.created_at, t.updated_at, gen_random_uuid()::text,
               ${text('user_name')}, ${text('user_name_key')}, ${text('external_id')}, ${text('scim_resource')},
               t.version, t.waiting_since, t.language, t.last_active_at
             FROM members t, seeded s WHERE t.public_id = '${first}' ORDER BY s.i;
           INSERT INTO audit_log (organisation_id, at, actor_type, actor_id, action, subject_type, subject_id,
               before, after, invoice_id)
             SELECT t.organisation_id, t.at, t.actor_type, t.actor_id, t.action, t.subject_type, s.id::text,
               ${text('before')}, ${text('after')}, t.invoice_id
             FROM audit_log t, seeded s
             WHERE t.organisation_id = ${o} AND t.subject_type = 'member'
               AND t.subject_id = (SELECT id::text FROM members WHERE public_id = '${first}')
             ORDER BY s.i, t.id;
           UPDATE seat_pools SET held = held + ${users - 1} WHERE organisation_id = ${o} AND tier_id = 'standard';
           COMMIT;`,
        );
        pg.sql(database, 'VACUUM ANALYZE');
        const publicIds = pg
          .sql(
            database,
            `SELECT public_id FROM members WHERE organisation_id = ${o} AND source = 'scim' ORDER BY id`,
          )
          .split('\n');
        check(publicIds.length === users && publicIds[0] === first, `seeded ${publicIds.length} users`);
        const counts = await countsOf(server, o);
        checkServer('seeding', counts);
        check(
          counts.users === users && standardTier(counts).seated === users,
          `seeded ${counts.users} directory users, ${standardTier(counts).seated} seated`,
        );
        return { ...org, url, users, publicIds, seedSeconds: (performance.now() - started) / 1000 };
      } finally {
        await servers.stopAll();
      }
    })();
    templates.set(users, template);
  }
  return template;
}

function postgresNote(pg: BenchPostgres): string {
  return `PostgreSQL ${pg.version}, a cluster of its own for the run on this machine (fsync on, synchronous_commit on, full_page_writes on, shared_buffers 256MB); each instance a pool of at most 10 connections`;
}

/**
 * Databases on the run's cluster. The seeded directories are shared by the read-only scenarios
 * (lookups and pages write nothing), each instance opening the database itself.
 */
const postgres: Backend<Template> = {
  dialect: 'postgres',
  server: 'instance',
  freshDatabase: newDatabase,
  seeded: seededDatabase,
  seededDatabase: (_label, template) => ({ databaseUrl: template.url, secretsKey: SECRETS_KEY }),
  seedingNote: (t) =>
    `seeding (set-up, not measured): ${int(t.users)} users in ${t.seedSeconds.toFixed(1)} s: user 0 by the directory engine (as POST /Users), the rest copies of its rows (members, audit_log, the pool counter) by INSERT … SELECT generate_series; then VACUUM ANALYZE`,
  notes: async () => [postgresNote(await benchPostgres())],
  databaseCpu: async () => (await benchPostgres()).cpuSeconds(),
  // Lets requests still in flight when a timed run ended finish before the server is read or stopped.
  settle: () => new Promise((resolve) => setTimeout(resolve, 1500)),
};

/** Runs taken at the same time against several instances, as one: their answers over the longest wall time. */
function together(results: readonly LoadResult[]): LoadResult {
  return { ...merge(results), seconds: Math.max(...results.map((r) => r.seconds)) };
}

// --- create, two instances vs one --------------------------------------------------------------

/**
 * The same creates against two instances on one database (the load generator's 20 connections
 * split 10 and 10, one autocannon per instance, running together) and against one instance on
 * another database (all 20 connections), alternating slices after a warm-up each. Value: the two
 * instances' creates per second together; baseline: the one instance's.
 */
export const postgresTwoInstances: Scenario = {
  name: 'PostgreSQL: SCIM create with seat claim, 2 instances vs 1',
  async run(options): Promise<ScenarioResult> {
    const z = sizesFor(options);
    const servers = new Servers();
    try {
      const pg = await benchPostgres();
      const one = await freshInstance(servers, 'create_single');
      const two = await freshInstance(servers, 'create_pair');
      const second = await startSeatkeeper(servers, 'create_pair instance 2', two.database);
      const sides = [
        { label: '1 instance', instances: [one.server], token: one.org.token },
        { label: '2 instances', instances: [two.server, second], token: two.org.token },
      ] as const;
      const next = createRequests('pgcreate');
      const slices = await alternate(
        sides,
        z.createRounds,
        async (side, phase) =>
          together(
            await Promise.all(
              side.instances.map((instance) =>
                cannon({
                  url: instance.url,
                  connections: CONNECTIONS / side.instances.length,
                  seconds: phase === 'warm-up' ? z.warmupSeconds : z.createSeconds,
                  headers: scimHeaders(side.token),
                  next,
                }),
              ),
            ),
          ),
        {
          serverCpu: (side) => cpuOf(side.instances.map((s) => s.pid)),
          databaseCpu: () => postgres.databaseCpu(),
        },
      );
      await postgres.settle();
      const checked: string[] = [];
      for (const [k, side] of sides.entries()) {
        const org = k === 0 ? one.org : two.org;
        const all = merge([slices[k]!.warm, slices[k]!.measured]);
        checkClient(side.label, all, 201);
        const perInstance = await Promise.all(side.instances.map((s) => countsOf(s, org.organisationId)));
        for (const [i, c] of perInstance.entries()) checkServer(`${side.label}, instance ${i + 1}`, c);
        // Every instance reads the same database; the last read sees every commit.
        const counts = await countsOf(side.instances[0], org.organisationId);
        const serverCreated = perInstance.reduce((n, c) => n + serverStatus(c, 201), 0);
        // Creates in flight when a timed run ended commit, but their response closed unanswered (200).
        const leftEarly = perInstance.reduce((n, c) => n + serverStatus(c, 200), 0);
        const clientCreated = countOf(all, 201);
        check(
          serverCreated <= counts.users && counts.users <= serverCreated + leftEarly,
          `${side.label}: the database holds ${counts.users} directory users but the instances answered 201 ${serverCreated} times (${leftEarly} left before the answer)`,
        );
        check(
          clientCreated <= serverCreated &&
            serverCreated <= clientCreated + CONNECTIONS * (1 + z.createRounds),
          `${side.label}: 201 answered ${serverCreated} times; the client saw ${clientCreated}`,
        );
        check(
          standardTier(counts).seated === counts.users && standardTier(counts).held === counts.users + 1,
          `${side.label}: ${counts.users} users, ${standardTier(counts).seated} seated, ${standardTier(counts).held} held`,
        );
        checked.push(
          `${side.label}: ${int(counts.users)} users = ${perInstance.map((c) => int(serverStatus(c, 201))).join(' + ')} 201s (client saw ${int(clientCreated)}) + ${counts.users - serverCreated} in flight at a slice's end, held ${int(standardTier(counts).held)} = seated + 1 invited`,
        );
      }
      const [single, pair] = slices as [Slices, Slices];
      const value = ratePerSecond(pair.measured, 201);
      const baseline = ratePerSecond(single.measured, 201);
      const ratio = value / baseline;
      return {
        name: this.name,
        unit: 'creates/s',
        value,
        baseline: { name: '1 instance, same load', value: baseline },
        ratio,
        goal: { description: '>= 1.3 × one instance, no errors', met: ratio >= 1.3 },
        notes: [
          `two server processes on one database, ${CONNECTIONS / 2} connections each (one autocannon per instance, running together), vs one process on a database of its own with all ${CONNECTIONS}; ${z.createRounds} × ${z.createSeconds} s alternating slices after ${z.warmupSeconds} s warm-up; unique Okta-shaped bodies, every 201 claimed a standard seat of the one organisation (one pool row both instances update)`,
          postgresNote(pg),
          `CPU over the measured slices, in % of one core (${availableParallelism()} cores shared by all of it): 1 instance ${cpuNote(single)}; 2 instances ${cpuNote(pair)}`,
          `latency: 1 instance ${latencySummary(asTiming(single.measured))}; 2 instances ${latencySummary(asTiming(pair.measured))}`,
          `checked in the database: ${checked.join('; ')}; no 5xx, no warning logged`,
        ],
      };
    } finally {
      await servers.stopAll();
    }
  },
};

export const postgresScenarios: readonly Scenario[] = [
  scimCreateScenario('PostgreSQL: SCIM create with seat claim, 1 instance', postgres),
  postgresTwoInstances,
  filterLookupScenario('PostgreSQL: filter lookup at 100k vs 1k', postgres),
  pagesScenario('PostgreSQL: last page vs first page at 100k', postgres),
  seatRaceScenario(
    `PostgreSQL: ${BURST.people} concurrent first sign-ins against ${BURST.seats} seats`,
    postgres,
  ),
];
