// The SCIM and sign-in scenarios again, on PostgreSQL: the server under test is the real container
// and createApp with DATABASE_URL set (bench/http/postgres-server.ts), one process per instance,
// over a durable cluster started for the run (bench/postgres-cluster.ts: fsync on,
// synchronous_commit on). The load generator, the baselines and the checks afterwards are those of
// the SQLite scenarios in bench/scim.ts and bench/sso.ts: same bodies, same connections, same
// sizes, every count checked in the database, a 5xx or a warning logged failing the scenario.
//
// On a machine of two cores PostgreSQL shares them with the server processes and the load
// generator; the notes say how the CPU went over each measured window.
import { randomBytes, randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { DateTime } from 'luxon';
import { startSamlIdp, type SamlIdp } from '../test/helpers/saml-idp.js';
import { oktaFindPath, oktaUserBody, SCIM_BASE, seededUserName } from './http/bodies.js';
import { cpuSecondsOf, Servers, startScript, type ChildServer } from './http/child.js';
import {
  asTiming,
  cannon,
  countOf,
  describeStatuses,
  httpClient,
  merge,
  ratePerSecond,
  scimHeaders,
  type HttpAnswer,
  type HttpClient,
  type LoadResult,
  type NextRequest,
} from './http/load.js';
import { ORGANISATION } from './http/templates.js';
import { benchPostgres, type BenchPostgres } from './postgres-cluster.js';
import {
  latencySummary,
  quantile,
  type RunOptions,
  type Scenario,
  type ScenarioResult,
  type Timing,
} from './scenario.js';

const SERVER_SCRIPT = 'bench/http/postgres-server.ts';
const ECHO_SCRIPT = 'bench/http/echo-server.ts';
const SSO_ECHO_SCRIPT = 'bench/sso-server.ts';
/** As in bench/scim.ts. */
const CONNECTIONS = 20;
/** The key every instance seals its secrets with (base64 of 32 bytes, the SECRETS_KEY format). */
const SECRETS_KEY = randomBytes(32).toString('base64');

interface Sizes {
  readonly warmupSeconds: number;
  readonly createRounds: number;
  readonly createSeconds: number;
  readonly bigUsers: number;
  readonly smallUsers: number;
  readonly lookupRounds: number;
  readonly lookupSeconds: number;
  readonly pageRounds: number;
  readonly pageRequests: number;
}

// The sizes of bench/scim.ts.
const FULL: Sizes = {
  warmupSeconds: 2,
  createRounds: 4,
  createSeconds: 2.5,
  bigUsers: 100_000,
  smallUsers: 1_000,
  lookupRounds: 4,
  lookupSeconds: 2.5,
  pageRounds: 2,
  pageRequests: 150,
};
const QUICK: Sizes = {
  warmupSeconds: 1,
  createRounds: 1,
  createSeconds: 3,
  bigUsers: 10_000,
  smallUsers: 1_000,
  lookupRounds: 1,
  lookupSeconds: 2,
  pageRounds: 1,
  pageRequests: 40,
};
const sizesFor = ({ quick }: RunOptions): Sizes => (quick ? QUICK : FULL);

// --- processes ----------------------------------------------------------------------------------

let databases = 0;
/** A new, empty database on the run's cluster (or a copy of `template`). */
async function newDatabase(label: string, template?: string): Promise<{ name: string; url: string }> {
  const pg = await benchPostgres();
  const name = `${label}_${++databases}`;
  return { name, url: pg.createDatabase(name, template) };
}

/**
 * One instance: bench/http/postgres-server.ts with DATABASE_URL and SECRETS_KEY in its environment
 * (set around the spawn, which happens before startScript's first await, and restored at once).
 */
async function startInstance(
  servers: Servers,
  name: string,
  databaseUrl: string,
  options: Record<string, unknown> = {},
): Promise<ChildServer> {
  const saved = { DATABASE_URL: process.env.DATABASE_URL, SECRETS_KEY: process.env.SECRETS_KEY };
  process.env.DATABASE_URL = databaseUrl;
  process.env.SECRETS_KEY = SECRETS_KEY;
  let started: Promise<ChildServer>;
  try {
    started = startScript(SERVER_SCRIPT, name, options, true);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return servers.track(await started);
}

interface Announced {
  readonly organisationId: number;
  readonly token: string;
  readonly tokenId: number;
}

function announced(server: ChildServer): Announced {
  const { organisationId, token, tokenId } = server.info;
  if (typeof organisationId !== 'number' || typeof token !== 'string' || typeof tokenId !== 'number')
    throw new Error(`${server.name} announced no organisation`);
  return { organisationId, token, tokenId };
}

/** A fresh database with the benchmark organisation and its token, and an instance over it. */
async function freshInstance(
  servers: Servers,
  label: string,
): Promise<{ server: ChildServer; url: string; org: Announced }> {
  const db = await newDatabase(label);
  const server = await startInstance(servers, `${label} instance 1`, db.url, { organisation: ORGANISATION });
  return { server, url: db.url, org: announced(server) };
}

interface Template extends Announced {
  readonly url: string;
  readonly users: number;
  readonly publicIds: readonly string[];
  readonly seedSeconds: number;
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

/** Lets requests still in flight when a timed run ended finish before the server is read or stopped. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));

// --- checks (as bench/scim.ts) ------------------------------------------------------------------

class BenchCheckFailed extends Error {
  override name = 'BenchCheckFailed';
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new BenchCheckFailed(message);
}

interface ServerCounts {
  readonly users: number;
  readonly deactivated: number;
  readonly tiers: readonly { tierId: string; held: number; seated: number; invited: number }[];
  readonly statuses: Readonly<Record<string, number>>;
  readonly log: { readonly lines: number; readonly problems: number };
}

const countsOf = (server: ChildServer, organisationId: number) =>
  server.call<ServerCounts>('counts', { organisationId });

const serverStatus = (counts: ServerCounts, status: number): number => counts.statuses[String(status)] ?? 0;

/** No 5xx, no warning or error logged, and every tier's pool counter equals its seat holders. */
function checkServer(name: string, counts: ServerCounts): void {
  const fivexx = Object.entries(counts.statuses).filter(([s]) => s.startsWith('5'));
  check(fivexx.length === 0, `${name} answered ${fivexx.map(([s, n]) => `${s} × ${n}`).join(', ')}`);
  check(counts.log.problems === 0, `${name} logged ${counts.log.problems} warnings or errors (see stderr)`);
  for (const t of counts.tiers)
    check(
      t.held === t.seated + t.invited,
      `${name}: ${t.tierId} pool holds ${t.held} but ${t.seated} members are seated and ${t.invited} invited`,
    );
}

function checkClient(name: string, result: LoadResult, ...expected: number[]): void {
  const others = [...result.statuses.entries()].filter(([s]) => !expected.includes(s));
  check(
    others.length === 0,
    `${name}: unexpected answers ${describeStatuses(new Map(others))} (expected ${expected.join('/')})`,
  );
  check(result.errors === 0, `${name}: ${result.errors} connection errors or timeouts`);
}

const standardTier = (counts: ServerCounts) => counts.tiers.find((t) => t.tierId === 'standard')!;

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const median = (r: LoadResult): number => quantile(r.latenciesMs, 0.5);
const pct = (cpuSeconds: number, seconds: number) => `${Math.round((100 * cpuSeconds) / seconds)} %`;

interface ListBody {
  readonly totalResults: number;
  readonly itemsPerPage: number;
  readonly Resources: readonly { readonly id: string }[];
}

// --- load ---------------------------------------------------------------------------------------

/** POST /Users with a unique Okta-shaped body per request (pgcreate0, pgcreate1, …). */
function createRequests(): () => NextRequest {
  let n = 0;
  return () => ({
    method: 'POST',
    path: `${SCIM_BASE}/Users`,
    body: JSON.stringify(oktaUserBody(`pgcreate${n++}`)),
  });
}

const lookupRequests = (template: Template) => (): NextRequest => ({
  method: 'GET',
  path: oktaFindPath(seededUserName(randomInt(template.users))),
});

type Phase = 'warm-up' | 'measured';

interface Cpu {
  /** This process (the load generator), the server processes, PostgreSQL: seconds over the measured slices. */
  load: number;
  servers: number;
  postgres: number;
}

interface Slices {
  readonly warm: LoadResult;
  readonly measured: LoadResult;
  readonly cpu: Cpu;
}

/** A warm-up of every side, then `rounds` measured slices of each, the sides taking turns (as bench/scim.ts). */
async function alternate<S>(
  sides: readonly S[],
  rounds: number,
  run: (side: S, phase: Phase) => Promise<LoadResult>,
  serverPids: (side: S) => readonly number[] = () => [],
): Promise<Slices[]> {
  const pg = await benchPostgres();
  const warm: LoadResult[] = [];
  for (const side of sides) warm.push(await run(side, 'warm-up'));
  const measured = sides.map(() => [] as LoadResult[]);
  const cpu = sides.map((): Cpu => ({ load: 0, servers: 0, postgres: 0 }));
  const serverCpu = (side: S) => serverPids(side).reduce((sum, pid) => sum + cpuSecondsOf(pid).total, 0);
  for (let round = 0; round < rounds; round++) {
    for (const [k, side] of sides.entries()) {
      const before = { servers: serverCpu(side), postgres: pg.cpuSeconds(), own: process.cpuUsage() };
      measured[k]!.push(await run(side, 'measured'));
      const own = process.cpuUsage(before.own);
      cpu[k]!.load += (own.user + own.system) / 1e6;
      cpu[k]!.servers += serverCpu(side) - before.servers;
      cpu[k]!.postgres += pg.cpuSeconds() - before.postgres;
    }
  }
  return sides.map((_, k) => ({ warm: warm[k]!, measured: merge(measured[k]!), cpu: cpu[k]! }));
}

/** Runs taken at the same time against several instances, as one: their answers over the longest wall time. */
function together(results: readonly LoadResult[]): LoadResult {
  return { ...merge(results), seconds: Math.max(...results.map((r) => r.seconds)) };
}

const cpuNote = (s: Slices): string =>
  `server processes ${pct(s.cpu.servers, s.measured.seconds)} + PostgreSQL ${pct(s.cpu.postgres, s.measured.seconds)} + load generator ${pct(s.cpu.load, s.measured.seconds)}`;

function postgresNote(pg: BenchPostgres): string {
  return `PostgreSQL ${pg.version}, a cluster of its own for the run on this machine (fsync on, synchronous_commit on, full_page_writes on, shared_buffers 256MB); each instance a pool of at most 10 connections`;
}

// --- 1. create, one instance vs echo ------------------------------------------------------------

/**
 * POST /Users with a unique Okta-shaped body per request, 20 connections (autocannon), against one
 * instance on PostgreSQL (each create claims a standard seat) and the echo server, alternating
 * slices after a warm-up each. Value: creates per second; baseline: echo's 201s per second.
 */
export const postgresCreate: Scenario = {
  name: 'PostgreSQL: SCIM create with seat claim, 1 instance',
  async run(options): Promise<ScenarioResult> {
    const z = sizesFor(options);
    const servers = new Servers();
    try {
      const pg = await benchPostgres();
      const { server: seatkeeper, org } = await freshInstance(servers, 'create_one');
      const echo = servers.track(await startScript(ECHO_SCRIPT, 'echo', {}, false));
      const sides = [
        { server: echo, token: 'unused' },
        { server: seatkeeper, token: org.token },
      ] as const;
      const next = createRequests();
      const [echoSlices, ourSlices] = (await alternate(
        sides,
        z.createRounds,
        (side, phase) =>
          cannon({
            url: side.server.url,
            connections: CONNECTIONS,
            seconds: phase === 'warm-up' ? z.warmupSeconds : z.createSeconds,
            headers: scimHeaders(side.token),
            next,
          }),
        (side) => [side.server.pid],
      )) as [Slices, Slices];
      const [echoed, ours] = [echoSlices.measured, ourSlices.measured];
      checkClient('echo', merge([echoSlices.warm, echoed]), 201);
      const all = merge([ourSlices.warm, ours]);
      check(all.errors === 0, `seatkeeper: ${all.errors} connection errors or timeouts`);
      await settle();
      const counts = await countsOf(seatkeeper, org.organisationId);
      checkServer('seatkeeper', counts);
      const serverCreated = serverStatus(counts, 201);
      // A timed run ends with creates in flight: autocannon closes their connections, the server
      // commits them, but their response closed before a status was set (counted as 200).
      const leftEarly = serverStatus(counts, 200);
      const clientCreated = countOf(all, 201);
      const runs = 1 + z.createRounds;
      check(
        serverCreated <= counts.users && counts.users <= serverCreated + leftEarly,
        `seatkeeper holds ${counts.users} directory users but answered 201 ${serverCreated} times (${leftEarly} left before the answer)`,
      );
      check(
        clientCreated <= serverCreated && serverCreated <= clientCreated + CONNECTIONS * runs,
        `seatkeeper answered 201 ${serverCreated} times; the client saw ${clientCreated}`,
      );
      check(
        standardTier(counts).seated === counts.users,
        `${counts.users} users created but ${standardTier(counts).seated} standard seats seated`,
      );
      const value = ratePerSecond(ours, 201);
      const baseline = ratePerSecond(echoed, 201);
      const non201 = [...ours.statuses.entries()].filter(([s]) => s !== 201);
      const ratio = value / baseline;
      return {
        name: this.name,
        unit: 'creates/s',
        value,
        baseline: { name: 'echo POST (express 5)', value: baseline },
        ratio,
        goal: { description: '>= 50 % of echo, no errors', met: ratio >= 0.5 && non201.length === 0 },
        notes: [
          `${z.createRounds} × ${z.createSeconds} s per server after ${z.warmupSeconds} s warm-up, ${CONNECTIONS} connections (autocannon); slices alternate echo, Seatkeeper; unique Okta-shaped bodies; every 201 claimed a standard seat`,
          postgresNote(pg),
          `CPU over Seatkeeper's measured slices, in % of one core (${availableParallelism()} cores): ${cpuNote(ourSlices)}`,
          `latency under load: Seatkeeper ${latencySummary(asTiming(ours))}; echo ${latencySummary(asTiming(echoed))}`,
          `Seatkeeper answers: ${describeStatuses(ours.statuses)}; non-201 (errors): ${non201.length === 0 ? 'none' : describeStatuses(new Map(non201))}`,
          `checked in the database: ${int(counts.users)} directory users = ${int(serverCreated)} 201s (client saw ${int(clientCreated)}) + ${counts.users - serverCreated} of the ${leftEarly} creates in flight when a timed slice ended; standard pool held ${int(standardTier(counts).held)} = seated ${int(standardTier(counts).seated)} + invited ${standardTier(counts).invited}; no 5xx, no warning logged`,
        ],
      };
    } finally {
      await servers.stopAll();
    }
  },
};

// --- 2. create, two instances vs one ------------------------------------------------------------

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
      const second = await startInstance(servers, 'create_pair instance 2', two.url);
      const sides = [
        { label: '1 instance', instances: [one.server], token: one.org.token },
        { label: '2 instances', instances: [two.server, second], token: two.org.token },
      ] as const;
      const next = createRequests();
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
        (side) => side.instances.map((s) => s.pid),
      );
      await settle();
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

// --- 3. filter lookup ---------------------------------------------------------------------------

async function probeLookups(server: { readonly url: string }, template: Template): Promise<void> {
  const client = httpClient(server.url, scimHeaders(template.token), 1);
  try {
    for (let k = 0; k < 10; k++) {
      const i = randomInt(template.users);
      const answer = await client.send('GET', oktaFindPath(seededUserName(i).toUpperCase()));
      check(answer.status === 200, `lookup of user ${i}: ${answer.status} ${answer.text}`);
      const body = JSON.parse(answer.text) as ListBody;
      check(
        body.totalResults === 1 && body.Resources[0]?.id === template.publicIds[i],
        `lookup of user ${i} (upper-cased) found ${body.totalResults} users, not ${template.publicIds[i]}`,
      );
    }
  } finally {
    client.close();
  }
}

/**
 * GET /Users?filter=userName eq "<random existing user>", 20 connections, against an instance over
 * a database of 100,000 directory users and one over 1,000, alternating slices after a warm-up
 * each. Value: median latency at 100k; baseline: at 1k.
 */
export const postgresLookup: Scenario = {
  name: 'PostgreSQL: filter lookup at 100k vs 1k',
  async run(options): Promise<ScenarioResult> {
    const z = sizesFor(options);
    const servers = new Servers();
    try {
      const pg = await benchPostgres();
      const bigTemplate = await seededDatabase(z.bigUsers);
      const smallTemplate = await seededDatabase(z.smallUsers);
      const small = {
        template: smallTemplate,
        server: await startInstance(servers, 'lookup small', smallTemplate.url),
      };
      const big = {
        template: bigTemplate,
        server: await startInstance(servers, 'lookup big', bigTemplate.url),
      };
      const sides = [small, big];
      for (const side of sides) await probeLookups(side.server, side.template);
      const [smallSlices, bigSlices] = (await alternate(
        sides,
        z.lookupRounds,
        (side, phase) =>
          cannon({
            url: side.server.url,
            connections: CONNECTIONS,
            seconds: phase === 'warm-up' ? z.warmupSeconds : z.lookupSeconds,
            headers: scimHeaders(side.template.token),
            next: lookupRequests(side.template),
          }),
        (side) => [side.server.pid],
      )) as [Slices, Slices];
      const [smallResult, bigResult] = [smallSlices.measured, bigSlices.measured];
      await settle();
      checkClient('lookups at the small directory', smallResult, 200);
      checkClient('lookups at the large directory', bigResult, 200);
      for (const side of sides) {
        const counts = await countsOf(side.server, side.template.organisationId);
        checkServer(side.server.name, counts);
        check(counts.users === side.template.users, `${side.server.name} holds ${counts.users} users`);
        check(serverStatus(counts, 201) === 0, `${side.server.name} created users`);
      }
      const value = median(bigResult);
      const baseline = median(smallResult);
      const ratio = value / baseline;
      return {
        name: this.name,
        unit: 'ms (p50)',
        value,
        baseline: { name: `p50 at ${int(z.smallUsers)} users`, value: baseline },
        ratio,
        goal: { description: '<= 1.5 × the 1k latency', met: ratio <= 1.5 },
        notes: [
          `${int(z.bigUsers)} vs ${int(z.smallUsers)} directory users, one database and one instance each; ${CONNECTIONS} connections, ${z.lookupRounds} × ${z.lookupSeconds} s alternating slices after ${z.warmupSeconds} s warm-up; a random existing userName per request`,
          postgresNote(pg),
          `at ${int(z.bigUsers)}: ${int(ratePerSecond(bigResult, 200))} lookups/s, ${latencySummary(asTiming(bigResult))}; CPU ${cpuNote(bigSlices)}`,
          `at ${int(z.smallUsers)}: ${int(ratePerSecond(smallResult, 200))} lookups/s, ${latencySummary(asTiming(smallResult))}; CPU ${cpuNote(smallSlices)}`,
          `checked: 10 random upper-cased lookups per instance return exactly the seeded user; all ${int(bigResult.latenciesMs.length + smallResult.latenciesMs.length)} answers 200; user counts unchanged; no 5xx`,
          `seeding (set-up, not measured): ${int(z.bigUsers)} users in ${bigTemplate.seedSeconds.toFixed(1)} s: user 0 by the directory engine (as POST /Users), the rest copies of its rows (members, audit_log, the pool counter) by INSERT … SELECT generate_series; then VACUUM ANALYZE`,
        ],
      };
    } finally {
      await servers.stopAll();
    }
  },
};

// --- 4. pages -----------------------------------------------------------------------------------

/**
 * GET /Users?startIndex=1&count=100 and the last 100 on the 100k directory, sequentially (one
 * connection), alternating slices. Value: median of the last page; baseline: of the first.
 */
export const postgresPages: Scenario = {
  name: 'PostgreSQL: last page vs first page at 100k',
  async run(options): Promise<ScenarioResult> {
    const z = sizesFor(options);
    const servers = new Servers();
    try {
      const pg = await benchPostgres();
      const template = await seededDatabase(z.bigUsers);
      const smallTemplate = await seededDatabase(z.smallUsers);
      const server = await startInstance(servers, 'pages big', template.url);
      const smallServer = await startInstance(servers, 'pages small', smallTemplate.url);
      const lastStart = template.users - 99;
      const pagePath = (startIndex: number) => `${SCIM_BASE}/Users?startIndex=${startIndex}&count=100`;
      const client = httpClient(server.url, scimHeaders(template.token), 1);
      try {
        for (const [startIndex, first] of [
          [1, 0],
          [lastStart, template.users - 100],
        ] as const) {
          const answer = await client.send('GET', pagePath(startIndex));
          check(answer.status === 200, `page at ${startIndex}: ${answer.status}`);
          const body = JSON.parse(answer.text) as ListBody;
          check(
            body.totalResults === template.users &&
              body.itemsPerPage === 100 &&
              body.Resources.length === 100 &&
              body.Resources[0]?.id === template.publicIds[first] &&
              body.Resources[99]?.id === template.publicIds[first + 99],
            `page at ${startIndex}: totalResults ${body.totalResults}, itemsPerPage ${body.itemsPerPage}, first ${body.Resources[0]?.id} (expected ${template.publicIds[first]})`,
          );
        }
      } finally {
        client.close();
      }
      const run = (startIndex: number, amount: number, target = server, token = template.token) =>
        cannon({
          url: target.url,
          connections: 1,
          amount,
          headers: scimHeaders(token),
          next: () => ({ method: 'GET', path: pagePath(startIndex) }),
        });
      await run(1, 10);
      await run(lastStart, 10);
      await run(1, 10, smallServer, smallTemplate.token);
      const firsts: LoadResult[] = [];
      const lasts: LoadResult[] = [];
      const smallFirsts: LoadResult[] = [];
      for (let round = 0; round < z.pageRounds; round++) {
        firsts.push(await run(1, z.pageRequests));
        lasts.push(await run(lastStart, z.pageRequests));
        smallFirsts.push(await run(1, z.pageRequests, smallServer, smallTemplate.token));
      }
      const first = merge(firsts);
      const last = merge(lasts);
      const smallFirst = merge(smallFirsts);
      checkClient('first page', first, 200);
      checkClient('last page', last, 200);
      checkClient('first page of the small directory', smallFirst, 200);
      const counts = await countsOf(server, template.organisationId);
      checkServer('seatkeeper', counts);
      check(counts.users === template.users, `the large directory holds ${counts.users} users`);
      const value = median(last);
      const baseline = median(first);
      const ratio = value / baseline;
      return {
        name: this.name,
        unit: 'ms (p50)',
        value,
        baseline: { name: 'first page p50', value: baseline },
        ratio,
        goal: { description: '<= 2 × the first page', met: ratio <= 2 },
        notes: [
          `${int(template.users)} directory users; sequential (1 connection), ${z.pageRounds} × ${z.pageRequests} requests per page in alternating slices after 10 warm-up each; startIndex=1 vs startIndex=${int(lastStart)}, count=100`,
          postgresNote(pg),
          `first page ${latencySummary(asTiming(first))}; last page ${latencySummary(asTiming(last))}`,
          `for scale: the first page of a ${int(smallTemplate.users)}-user directory (same requests, its own instance) ${latencySummary(asTiming(smallFirst))}; at ${int(template.users)} users the first page costs ${(median(first) / median(smallFirst)).toFixed(1)} × as much`,
          `checked: both pages hold the expected 100 users in creation order, totalResults ${int(template.users)}, itemsPerPage 100; no 5xx`,
        ],
      };
    } finally {
      await servers.stopAll();
    }
  },
};

// --- 5. a burst of first sign-ins racing for the last seats (as bench/sso.ts) --------------------

const BURST = { people: 200, seats: 50 } as const;
const burstWarmup = ({ quick }: RunOptions) => (quick ? { people: 20, seats: 5 } : { people: 40, seats: 10 });
const NO_SEATS_CODE = '<code>no_seats</code>';
const EMAIL_ATTRIBUTE = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' } as const;
const PREPARE_CONCURRENCY = 8;

interface SsoCounts {
  readonly jitMembers: number;
  readonly seatedJitMembers: number;
  readonly identities: number;
  readonly sessions: number;
  readonly pools: readonly { tierId: string; allocation: number; held: number; memberRows: number }[];
  readonly refusals: Readonly<Record<string, number>>;
  readonly waitlisted: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly log: { readonly lines: number; readonly problems: number };
}

async function timeConcurrent<T>(
  count: number,
  concurrency: number,
  op: (i: number) => Promise<T>,
): Promise<{ timing: Timing; results: T[] }> {
  const latenciesMs = new Float64Array(count);
  const results = new Array<T>(count);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      results[i] = await op(i);
      latenciesMs[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { timing: { ops: count, seconds: (performance.now() - started) / 1000, latenciesMs }, results };
}

function requireAll(answers: readonly HttpAnswer[], expected: number, what: string): void {
  const wrong = answers.filter((a) => a.status !== expected);
  if (wrong.length === 0) return;
  throw new Error(
    `${what}: ${wrong.length} of ${answers.length} answers were not ${expected}:\n${wrong
      .slice(0, 3)
      .map((a) => `  ${a.status} ${a.text.replace(/\s+/g, ' ').slice(0, 400)}`)
      .join('\n')}`,
  );
}

interface BurstOutcome {
  readonly seated: number;
  readonly refused: number;
  readonly others: readonly HttpAnswer[];
}

const isSeated = (a: HttpAnswer) => a.status === 303 && a.headers.location === '/sso/me';
const isNoSeatsPage = (a: HttpAnswer) => a.status === 403 && a.text.includes(NO_SEATS_CODE);
const outcomeOf = (answers: readonly HttpAnswer[]): BurstOutcome => ({
  seated: answers.filter(isSeated).length,
  refused: answers.filter(isNoSeatsPage).length,
  others: answers.filter((a) => !isSeated(a) && !isNoSeatsPage(a)),
});
const sample = (a: HttpAnswer) =>
  `${a.status} ${a.headers.location ?? ''} ${a.text.replace(/\s+/g, ' ').slice(0, 300)}`.trim();

/** As bench/sso.ts verifyBurst: the database agrees with the answers, or it throws. */
function verifyBurst(counts: SsoCounts, outcome: BurstOutcome, seats: number): string {
  const problems: string[] = [];
  for (const key of ['jitMembers', 'seatedJitMembers', 'identities', 'sessions'] as const)
    if (counts[key] !== outcome.seated) problems.push(`${key} = ${counts[key]}, expected ${outcome.seated}`);
  for (const p of counts.pools)
    if (p.held !== p.memberRows)
      problems.push(`pool ${p.tierId} holds ${p.held} but ${p.memberRows} member rows hold its seats`);
  if (Object.keys(counts.statuses).some((s) => Number(s) >= 500))
    problems.push(`the server answered ${JSON.stringify(counts.statuses)}`);
  if (counts.log.problems > 0) problems.push(`${counts.log.problems} warning/error log lines (see stderr)`);
  const noSeats = counts.refusals.no_seats ?? 0;
  if (noSeats !== outcome.refused)
    problems.push(`${noSeats} no_seats refusals audited for ${outcome.refused} no-seats pages`);
  if (counts.waitlisted !== outcome.refused)
    problems.push(`${counts.waitlisted} on the waiting list for ${outcome.refused} no-seats pages`);
  const held = counts.pools.reduce((n, p) => n + p.held, 0);
  if (held !== 1 + outcome.seated)
    problems.push(`pools hold ${held} seats for ${outcome.seated} signed in + 1 invited`);
  for (const p of counts.pools)
    if (p.held > p.allocation) problems.push(`pool ${p.tierId} holds ${p.held} of ${p.allocation}`);
  if (problems.length > 0) throw new Error(`the server's state is wrong:\n  ${problems.join('\n  ')}`);
  return `checked: ${counts.jitMembers} JIT members seated, ${counts.identities} identities, ${counts.sessions} sessions; pool held = member rows; ${noSeats} no_seats refusals audited and ${counts.waitlisted} people on the waiting list = no-seats pages; ${seats} seats were free, ${counts.pools.map((p) => `${p.tierId} ${p.held} of ${p.allocation} held`).join(', ')}`;
}

/** A JIT organisation with `seats` standard seats, a SAML connection and its own IdP (as bench/sso.ts). */
async function samlOrganisation(
  closers: (() => unknown)[],
  seatkeeper: ChildServer,
  { slug, domain, seats }: { slug: string; domain: string; seats: number },
) {
  const { organisationId } = await seatkeeper.call<{ organisationId: number }>('ssoOrganisation', {
    slug,
    domain,
    seats,
  });
  const idp: SamlIdp = startSamlIdp({
    spMetadata: `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="placeholder"><SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${seatkeeper.url}/placeholder" index="0"/></SPSSODescriptor></EntityDescriptor>`,
    entityId: `https://idp.test/${slug}`,
    now: () => DateTime.now(),
  });
  closers.push(() => idp.close());
  const connection = await seatkeeper.call<{ spEntityId: string; acsUrl: string }>('samlConnection', {
    organisationId,
    idpEntityId: idp.entityId,
    idpSsoUrl: idp.ssoUrl,
    certPem: idp.certPem,
  });
  const addressed = {
    audience: connection.spEntityId,
    recipient: connection.acsUrl,
    destination: connection.acsUrl,
    sign: 'both' as const,
  };
  const starter = httpClient(seatkeeper.url, {}, PREPARE_CONCURRENCY);
  closers.push(() => starter.close());
  return {
    organisationId,
    acsPath: new URL(connection.acsUrl).pathname,
    prepare: async (people: number, prefix: string) =>
      (
        await timeConcurrent(people, PREPARE_CONCURRENCY, async (i) => {
          const started = await starter.send('GET', `/sso/start?org=${slug}`);
          if (started.status !== 303 || typeof started.headers.location !== 'string')
            throw new Error(`GET /sso/start answered ${started.status}: ${started.text.slice(0, 300)}`);
          const user = `${prefix}${i}`;
          const form = await idp.respond(
            started.headers.location,
            { nameId: `${user}-id`, attributes: { [EMAIL_ATTRIBUTE]: `${user}@${domain}` } },
            addressed,
          );
          return new URLSearchParams(form).toString();
        })
      ).results,
  };
}

/**
 * 200 distinct people's first SAML sign-in (signed beforehand), all in flight at once, to a JIT
 * organisation with exactly 50 free seats, on one instance over PostgreSQL. Value: the burst's wall
 * time; baseline: the echo server's for the same 200 requests, just before and just after.
 */
export const postgresSeatRace: Scenario = {
  name: `PostgreSQL: ${BURST.people} concurrent first sign-ins against ${BURST.seats} seats`,
  async run(options: RunOptions): Promise<ScenarioResult> {
    const warm = burstWarmup(options);
    const servers = new Servers();
    const closers: (() => unknown)[] = [];
    try {
      const pg = await benchPostgres();
      const db = await newDatabase('sso_burst');
      const seatkeeper = await startInstance(servers, 'sso instance', db.url);
      const echo = servers.track(await startScript(SSO_ECHO_SCRIPT, 'echo', { mode: 'echo' }, false));
      const target = await samlOrganisation(closers, seatkeeper, {
        slug: 'bench-burst',
        domain: 'burst.bench.example',
        seats: BURST.seats + 1,
      });
      const warmOrg = await samlOrganisation(closers, seatkeeper, {
        slug: 'bench-burst-warm',
        domain: 'warm.bench.example',
        seats: warm.seats + 1,
      });
      const before = await seatkeeper.call<SsoCounts>('ssoCounts', { organisationId: target.organisationId });
      const free = before.pools.reduce((n, p) => n + p.allocation - p.held, 0);
      check(
        free === BURST.seats && before.jitMembers === 0,
        `the organisation starts with ${free} free seats and ${before.jitMembers} JIT members`,
      );
      const warmBodies = await warmOrg.prepare(warm.people, 'warm');
      const bodies = await target.prepare(BURST.people, 'person');

      const server = httpClient(seatkeeper.url, FORM, BURST.people);
      const baseline = httpClient(echo.url, FORM, BURST.people);
      closers.push(
        () => server.close(),
        () => baseline.close(),
      );
      for (const [http, what] of [
        [server, 'seatkeeper'],
        [baseline, 'echo'],
      ] as const)
        requireAll(
          await Promise.all(Array.from({ length: BURST.people }, () => http.send('GET', '/livez'))),
          200,
          `${what}: opening connections`,
        );
      const burst = (http: HttpClient, path: string, forms: readonly string[]) =>
        timeConcurrent(forms.length, forms.length, (i) => http.send('POST', path, forms[i]));

      const warmed = outcomeOf((await burst(server, warmOrg.acsPath, warmBodies)).results);
      check(
        warmed.others.length === 0,
        `warm-up: ${warmed.others.length} unexpected answers:\n  ${warmed.others.slice(0, 3).map(sample).join('\n  ')}`,
      );
      const warmChecked = verifyBurst(
        await seatkeeper.call<SsoCounts>('ssoCounts', { organisationId: warmOrg.organisationId }),
        warmed,
        warm.seats,
      );
      requireAll((await burst(baseline, target.acsPath, bodies)).results, 200, 'echo warm-up');

      const echoBefore = await burst(baseline, target.acsPath, bodies);
      const cpuBefore = { server: cpuSecondsOf(seatkeeper.pid).total, postgres: pg.cpuSeconds() };
      const signIns = await burst(server, target.acsPath, bodies);
      const cpu = {
        server: cpuSecondsOf(seatkeeper.pid).total - cpuBefore.server,
        postgres: pg.cpuSeconds() - cpuBefore.postgres,
      };
      const echoAfter = await burst(baseline, target.acsPath, bodies);
      requireAll([...echoBefore.results, ...echoAfter.results], 200, 'echo');

      const outcome = outcomeOf(signIns.results);
      const checked = verifyBurst(
        await seatkeeper.call<SsoCounts>('ssoCounts', { organisationId: target.organisationId }),
        outcome,
        BURST.seats,
      );
      const correct = outcome.seated === BURST.seats && outcome.refused === BURST.people - BURST.seats;
      const ms = (t: Timing) => t.seconds * 1000;
      const value = ms(signIns.timing);
      const baselineValue = (ms(echoBefore.timing) + ms(echoAfter.timing)) / 2;
      return {
        name: this.name,
        unit: 'ms',
        value,
        baseline: { name: 'express echo, same 200 POSTs at once', value: baselineValue },
        ratio: value / baselineValue,
        goal: {
          description: `exactly ${BURST.seats} seated, ${BURST.people - BURST.seats} clean refusals`,
          met: correct,
        },
        notes: [
          `${BURST.people} distinct people, each a first sign-in (a SAML POST to the ACS, full validation, no cookie), all in flight at once over ${BURST.people} keep-alive connections opened beforehand; one instance on PostgreSQL; the organisation is in JIT mode with exactly ${BURST.seats} free standard seats (allocation ${BURST.seats + 1}, the owner's invitation holds one); every response signed beforehand`,
          postgresNote(pg),
          `answers: ${outcome.seated} × 303 → /sso/me, ${outcome.refused} × 403 no-seats page, ${outcome.others.length} other${outcome.others.length > 0 ? `: ${outcome.others.slice(0, 3).map(sample).join(' | ')}` : ''}; ${correct ? 'correct' : 'NOT CORRECT'}`,
          `wall time ${value.toFixed(0)} ms, latency ${latencySummary(signIns.timing)}; echo ${ms(echoBefore.timing).toFixed(0)} ms before, ${ms(echoAfter.timing).toFixed(0)} ms after; CPU over the burst: server ${pct(cpu.server, signIns.timing.seconds)}, PostgreSQL ${pct(cpu.postgres, signIns.timing.seconds)} of one core`,
          `warm-up (not timed), a second organisation on the same instance: ${warm.people} first sign-ins at once against ${warm.seats} free seats, ${warmed.seated} signed in and ${warmed.refused} refused`,
          checked,
          `warm-up organisation ${warmChecked}`,
        ],
      };
    } finally {
      for (const close of closers.reverse()) await close();
      await servers.stopAll();
    }
  },
};

export const postgresScenarios: readonly Scenario[] = [
  postgresCreate,
  postgresTwoInstances,
  postgresLookup,
  postgresPages,
  postgresSeatRace,
];
