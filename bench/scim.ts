// SCIM scenarios over HTTP: the real server (container + createApp over a SQLite file, SCIM rate
// limit off, jobs never started) in its own process, the load generator (autocannon, or a keep-alive
// node:http client where a request depends on the previous answer) in this one, and the baselines
// ("echo", a bare express 5 JSON server; "scimmy in-memory", a plain scimmy store) each in their own
// process too, measured with the same settings in the same run. See bench/http/ for the processes.
//
// Every scenario checks the server afterwards, from inside its process (counts in one snapshot),
// and throws — failing loudly — on a 5xx, a connection error, or counts that disagree with the
// responses the client saw.
import { randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import {
  DOMAIN,
  ENTRA_CHANGES,
  entraAddMember,
  entraUserPatch,
  oktaFindPath,
  oktaUserBody,
  SCIM_BASE,
  seededUserName,
} from './http/bodies.js';
import { cpuSecondsOf, Servers, type ChildServer } from './http/child.js';
import { EntryServer } from './http/entry-server.js';
import {
  asTiming,
  cannon,
  countOf,
  describeStatuses,
  httpClient,
  merge,
  ratePerSecond,
  scimHeaders,
  type LoadResult,
  type NextRequest,
} from './http/load.js';
import type { DatabaseOptions } from './http/seatkeeper-app.js';
import {
  announced,
  copyOfTemplate,
  freshServer,
  ORGANISATION,
  runDir,
  seededTemplate,
  serverFromTemplate,
  type Template,
} from './http/templates.js';
import { sqlite, type Backend, type SeededDirectory } from './backend.js';
import { latencySummary, quantile, type RunOptions, type Scenario, type ScenarioResult } from './scenario.js';

export const CONNECTIONS = 20;

interface Sizes {
  /** Warm-up before each measured server (JIT, statement caches), seconds. */
  readonly warmupSeconds: number;
  /** Create: measured slices per server, alternating echo, scimmy, Seatkeeper, and their length. */
  readonly createRounds: number;
  readonly createSeconds: number;
  /** Filter lookup: the large and the small directory, alternating slices and their length. */
  readonly bigUsers: number;
  readonly smallUsers: number;
  readonly lookupRounds: number;
  readonly lookupSeconds: number;
  /** Pages: sequential requests per page per round, alternating first and last page. */
  readonly pageRounds: number;
  readonly pageRequests: number;
  /** Group: members seeded, then sequential add-member PATCHes (after a warm-up of a few). */
  readonly groupMembers: number;
  readonly groupAdds: number;
  readonly groupWarmup: number;
  /** Okta import: users imported (one GET + one POST each). */
  readonly importUsers: number;
  /** Entra cycle: users seeded, each PATCHed once; warm-up PATCHes before. */
  readonly cycleUsers: number;
  readonly cycleWarmup: number;
  /** Cluster create: requests in the warm-up and in each measured slice (counted, not timed). */
  readonly workersCreateWarmup: number;
  readonly workersCreateSlice: number;
}

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
  groupMembers: 50_000,
  groupAdds: 200,
  groupWarmup: 20,
  importUsers: 100_000,
  cycleUsers: 10_000,
  cycleWarmup: 500,
  workersCreateWarmup: 2_000,
  workersCreateSlice: 4_000,
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
  groupMembers: 5_000,
  groupAdds: 50,
  groupWarmup: 10,
  importUsers: 5_000,
  cycleUsers: 1_000,
  cycleWarmup: 100,
  workersCreateWarmup: 500,
  workersCreateSlice: 2_000,
};

export const sizesFor = ({ quick }: RunOptions): Sizes => (quick ? QUICK : FULL);

// --- checks -------------------------------------------------------------------------------------

class BenchCheckFailed extends Error {
  override name = 'BenchCheckFailed';
}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new BenchCheckFailed(message);
}

export interface ServerCounts {
  readonly users: number;
  readonly deactivated: number;
  readonly tiers: readonly { tierId: string; held: number; seated: number; invited: number }[];
  readonly groupMembers: number | null;
  readonly statuses: Readonly<Record<string, number>>;
  readonly log: { readonly lines: number; readonly problems: number };
}

export async function countsOf(
  server: ChildServer,
  organisationId: number,
  groupId?: string,
): Promise<ServerCounts> {
  return server.call<ServerCounts>('counts', { organisationId, ...(groupId ? { groupId } : {}) });
}

export const serverStatus = (counts: ServerCounts, status: number): number =>
  counts.statuses[String(status)] ?? 0;

/** No 5xx, no warning or error logged, and every tier's pool counter equals its seat holders. */
export function checkServer(name: string, counts: ServerCounts): void {
  const fivexx = Object.entries(counts.statuses).filter(([s]) => s.startsWith('5'));
  check(fivexx.length === 0, `${name} answered ${fivexx.map(([s, n]) => `${s} × ${n}`).join(', ')}`);
  check(counts.log.problems === 0, `${name} logged ${counts.log.problems} warnings or errors (see stderr)`);
  for (const t of counts.tiers) {
    check(
      t.held === t.seated + t.invited,
      `${name}: ${t.tierId} pool holds ${t.held} but ${t.seated} members are seated and ${t.invited} invited`,
    );
  }
}

/** Only `expected` statuses, and no connection errors. */
export function checkClient(name: string, result: LoadResult, ...expected: number[]): void {
  const others = [...result.statuses.entries()].filter(([s]) => !expected.includes(s));
  check(
    others.length === 0,
    `${name}: unexpected answers ${describeStatuses(new Map(others))} (expected ${expected.join('/')})`,
  );
  check(result.errors === 0, `${name}: ${result.errors} connection errors or timeouts`);
}

export const standardTier = (counts: ServerCounts) => counts.tiers.find((t) => t.tierId === 'standard')!;

// --- formatting ---------------------------------------------------------------------------------

export const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const median = (r: LoadResult): number => quantile(r.latenciesMs, 0.5);
const mb = (x: number): string => `${x.toFixed(0)} MB`;
const pct = (cpuSeconds: number, seconds: number) => `${Math.round((100 * cpuSeconds) / seconds)} %`;

function memoryNote(name: string, memory: { peakSampledMb: number; hwmMb: number }): string {
  return `${name} memory: peak VmRSS sampled ${mb(memory.peakSampledMb)}, VmHWM ${mb(memory.hwmMb)}`;
}

interface ListBody {
  readonly totalResults: number;
  readonly startIndex: number;
  readonly itemsPerPage: number;
  readonly Resources: readonly {
    readonly id: string;
    readonly userName?: string;
    readonly displayName?: string;
    readonly active?: boolean;
    readonly emails?: readonly { value: string; type?: string }[];
  }[];
}

// --- load shared by the create and lookup scenarios ---------------------------------------------

/** POST /Users with a unique Okta-shaped body per request: <prefix>0, <prefix>1, … across every run. */
export function createRequests(prefix = 'create'): () => NextRequest {
  let n = 0;
  return () => ({
    method: 'POST',
    path: `${SCIM_BASE}/Users`,
    body: JSON.stringify(oktaUserBody(`${prefix}${n++}`)),
  });
}

/** Okta's existence check (GET filter userName eq) for a random existing user of the template. */
const lookupRequests = (template: SeededDirectory) => (): NextRequest => ({
  method: 'GET',
  path: oktaFindPath(seededUserName(randomInt(template.users))),
});

type Phase = 'warm-up' | 'measured';

export interface Slices {
  readonly warm: LoadResult;
  /** The measured slices taken as one. */
  readonly measured: LoadResult;
  /** CPU seconds over the measured slices: this process (the load generator), the server's
   * processes when the caller can read them (NaN otherwise), and the database's own processes
   * (PostgreSQL; NaN where it runs in the server's). */
  readonly loadCpu: number;
  readonly serverCpu: number;
  readonly databaseCpu: number;
}

/**
 * A warm-up of every side, then `rounds` measured slices of each, the sides taking turns, so that a
 * change in whatever else the machine is doing falls on every side alike. Results in side order.
 */
export async function alternate<S>(
  sides: readonly S[],
  rounds: number,
  run: (side: S, phase: Phase) => Promise<LoadResult>,
  hooks: {
    readonly beforeMeasured?: () => void;
    readonly serverCpu?: (side: S) => number;
    readonly databaseCpu?: () => Promise<number | undefined>;
  } = {},
): Promise<Slices[]> {
  const warm: LoadResult[] = [];
  for (const side of sides) warm.push(await run(side, 'warm-up'));
  hooks.beforeMeasured?.();
  const measured = sides.map(() => [] as LoadResult[]);
  const loadCpu = sides.map(() => 0);
  const serverCpu = sides.map(() => 0);
  const databaseCpu = sides.map(() => 0);
  const database = async () => (await hooks.databaseCpu?.()) ?? NaN;
  for (let round = 0; round < rounds; round++) {
    for (const [k, side] of sides.entries()) {
      const serverBefore = hooks.serverCpu?.(side) ?? NaN;
      const databaseBefore = await database();
      const ownBefore = process.cpuUsage();
      measured[k]!.push(await run(side, 'measured'));
      const own = process.cpuUsage(ownBefore);
      loadCpu[k]! += (own.user + own.system) / 1e6;
      serverCpu[k]! += (hooks.serverCpu?.(side) ?? NaN) - serverBefore;
      databaseCpu[k]! += (await database()) - databaseBefore;
    }
  }
  return sides.map((_, k) => ({
    warm: warm[k]!,
    measured: merge(measured[k]!),
    loadCpu: loadCpu[k]!,
    serverCpu: serverCpu[k]!,
    databaseCpu: databaseCpu[k]!,
  }));
}

/** CPU seconds of the processes given, all their threads. */
export const cpuOf = (pids: readonly number[]): number =>
  pids.reduce((sum, pid) => sum + cpuSecondsOf(pid).total, 0);

/** "server processes 80 % + PostgreSQL 60 % + load generator 40 %", over the measured slices. */
export function cpuNote(s: Slices): string {
  const seconds = s.measured.seconds;
  const database = Number.isNaN(s.databaseCpu) ? '' : ` + PostgreSQL ${pct(s.databaseCpu, seconds)}`;
  return `server processes ${pct(s.serverCpu, seconds)}${database} + load generator ${pct(s.loadCpu, seconds)}`;
}

/** A Seatkeeper server over `database`, with the benchmark organisation when it is new. */
export function startSeatkeeper(
  servers: Servers,
  name: string,
  database: DatabaseOptions,
  organisation?: typeof ORGANISATION,
): Promise<ChildServer> {
  return servers.start('seatkeeper', name, { ...database, ...(organisation ? { organisation } : {}) });
}

// --- 1. create ----------------------------------------------------------------------------------

/**
 * POST /Users with a unique Okta-shaped body per request, 20 connections, against Seatkeeper (each
 * create claims a standard seat), the echo server and (on SQLite) the scimmy in-memory store, in
 * alternating slices after a warm-up each. Value: Seatkeeper's 201s per second.
 */
export function scimCreateScenario<T extends SeededDirectory>(name: string, backend: Backend<T>): Scenario {
  return {
    name,
    async run(options): Promise<ScenarioResult> {
      const z = sizesFor(options);
      const servers = new Servers();
      try {
        const onPostgres = backend.dialect === 'postgres';
        const seatkeeper = await startSeatkeeper(
          servers,
          'seatkeeper',
          await backend.freshDatabase('create_one'),
          ORGANISATION,
        );
        const org = announced(seatkeeper);
        // scimmy's share of echo is the store's own figure: measured once, next to SQLite.
        const sides = [
          { label: 'echo', server: await servers.start('echo', 'echo'), token: 'unused' },
          ...(onPostgres
            ? []
            : [{ label: 'scimmy', server: await servers.start('scimmy', 'scimmy'), token: 'unused' }]),
          { label: 'seatkeeper', server: seatkeeper, token: org.token },
        ];
        const next = createRequests(onPostgres ? 'pgcreate' : 'create');
        const slices = await alternate(
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
          {
            beforeMeasured: () => seatkeeper.startSampling(),
            serverCpu: (side) => cpuOf([side.server.pid]),
            databaseCpu: () => backend.databaseCpu(),
          },
        );
        const memory = seatkeeper.stopSampling();
        const echoSlices = slices[0]!;
        const ourSlices = slices[slices.length - 1]!;
        const scimmySlices = onPostgres ? undefined : slices[1];
        const [echo, ours] = [echoSlices.measured, ourSlices.measured];

        checkClient('echo', merge([echoSlices.warm, echo]), 201);
        if (scimmySlices)
          checkClient('scimmy in-memory', merge([scimmySlices.warm, scimmySlices.measured]), 201);
        const all = merge([ourSlices.warm, ours]);
        check(all.errors === 0, `seatkeeper: ${all.errors} connection errors or timeouts`);
        await backend.settle();
        const counts = await countsOf(seatkeeper, org.organisationId);
        checkServer('seatkeeper', counts);
        // autocannon stops with requests in flight: the server may have answered (and created) a few
        // that the client never saw, never more than one per connection per run.
        const serverCreated = serverStatus(counts, 201);
        // On PostgreSQL, a create in flight when a timed run ended commits, but its response closed
        // before a status was set (counted as 200); on SQLite every user created was answered 201.
        const leftEarly = onPostgres ? serverStatus(counts, 200) : 0;
        const clientCreated = countOf(all, 201);
        const runs = 1 + z.createRounds; // the warm-up and the measured slices
        check(
          serverCreated <= counts.users && counts.users <= serverCreated + leftEarly,
          `seatkeeper holds ${counts.users} directory users but answered 201 ${serverCreated} times` +
            (onPostgres ? ` (${leftEarly} left before the answer)` : ''),
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
        const baseline = ratePerSecond(echo, 201);
        const non201 = [...ours.statuses.entries()].filter(([s]) => s !== 201);
        const ratio = value / baseline;
        const scimmyNotes = (scimmy: LoadResult) => {
          const scimmyRate = ratePerSecond(scimmy, 201);
          return [
            `scimmy in-memory: ${int(scimmyRate)} creates/s = ${((scimmyRate / baseline) * 100).toFixed(1)} % of echo (the issue says about 20 %); Seatkeeper = ${(value / scimmyRate).toFixed(2)} × scimmy in-memory`,
            `latency under load: Seatkeeper ${latencySummary(asTiming(ours))}; echo ${latencySummary(asTiming(echo))}; scimmy ${latencySummary(asTiming(scimmy))}`,
          ];
        };
        return {
          name,
          unit: 'creates/s',
          value,
          baseline: { name: 'echo POST (express 5)', value: baseline },
          ratio,
          goal: { description: '>= 50 % of echo, no errors', met: ratio >= 0.5 && non201.length === 0 },
          notes: [
            `${z.createRounds} × ${z.createSeconds} s per server after ${z.warmupSeconds} s warm-up, ${CONNECTIONS} connections (autocannon); slices alternate ${sides.map((s) => (s.label === 'seatkeeper' ? 'Seatkeeper' : s.label)).join(', ')}; unique Okta-shaped bodies; every 201 claimed a standard seat`,
            ...(onPostgres
              ? await backend.notes()
              : [
                  `Seatkeeper answers each create after its transaction committed (synchronous=FULL); creates that arrive together share one commit (group commit), each in its own savepoint`,
                ]),
            `CPU over Seatkeeper's measured slices, in % of one core (${availableParallelism()} cores): ${cpuNote(ourSlices)}`,
            ...(scimmySlices
              ? scimmyNotes(scimmySlices.measured)
              : [
                  `latency under load: Seatkeeper ${latencySummary(asTiming(ours))}; echo ${latencySummary(asTiming(echo))}`,
                ]),
            `Seatkeeper answers: ${describeStatuses(ours.statuses)}; non-201 (errors): ${non201.length === 0 ? 'none' : describeStatuses(new Map(non201))}`,
            `checked in the ${onPostgres ? 'database' : 'server'}: ${int(counts.users)} directory users = ${int(serverCreated)} 201s (client saw ${int(clientCreated)})${onPostgres ? ` + ${counts.users - serverCreated} of the ${leftEarly} creates in flight when a timed slice ended` : ''}; standard pool held ${int(standardTier(counts).held)} = seated ${int(standardTier(counts).seated)} + invited ${standardTier(counts).invited}; no 5xx${onPostgres ? ', no warning logged' : ''}`,
            memoryNote('Seatkeeper', memory),
          ],
        };
      } finally {
        await servers.stopAll();
      }
    },
  };
}

export const scimCreate = scimCreateScenario('SCIM create with seat claim', sqlite);

// --- 2. filter lookup ---------------------------------------------------------------------------

/** Ten random lookups answered with exactly the seeded user. */
async function probeLookups(server: { readonly url: string }, template: SeededDirectory): Promise<void> {
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
 * GET /Users?filter=userName eq "<random existing user>" (Okta's existence check), 20 connections,
 * against two servers: one whose database holds 100,000 directory users, one with 1,000 (both
 * seeded by the engine, copied from templates on SQLite). Alternating slices after a warm-up each.
 * Value: median latency at 100k; baseline: at 1k.
 */
export function filterLookupScenario<T extends SeededDirectory>(name: string, backend: Backend<T>): Scenario {
  return {
    name,
    async run(options): Promise<ScenarioResult> {
      const z = sizesFor(options);
      const servers = new Servers();
      try {
        const onPostgres = backend.dialect === 'postgres';
        const bigTemplate = await backend.seeded(z.bigUsers);
        const smallTemplate = await backend.seeded(z.smallUsers);
        const side = async (label: string, template: T) => ({
          template,
          server: await startSeatkeeper(servers, label, backend.seededDatabase(label, template)),
        });
        const big = await side('seatkeeper_big', bigTemplate);
        const small = await side('seatkeeper_small', smallTemplate);
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
          { serverCpu: (side) => cpuOf([side.server.pid]), databaseCpu: () => backend.databaseCpu() },
        )) as [Slices, Slices];
        const [smallResult, bigResult] = [smallSlices.measured, bigSlices.measured];
        await backend.settle();
        checkClient('lookups at the small directory', smallResult, 200);
        checkClient('lookups at the large directory', bigResult, 200);
        for (const side of sides) {
          const counts = await countsOf(side.server, side.template.organisationId);
          checkServer(side.server.name, counts);
          check(counts.users === side.template.users, `${side.server.name} holds ${counts.users} users`);
          // PostgreSQL's instances share the seeded database with the other read-only scenarios.
          if (onPostgres) check(serverStatus(counts, 201) === 0, `${side.server.name} created users`);
        }
        const value = median(bigResult);
        const baseline = median(smallResult);
        const ratio = value / baseline;
        return {
          name,
          unit: 'ms (p50)',
          value,
          baseline: { name: `p50 at ${int(z.smallUsers)} users`, value: baseline },
          ratio,
          goal: { description: '<= 1.5 × the 1k latency', met: ratio <= 1.5 },
          notes: [
            `${int(z.bigUsers)} vs ${int(z.smallUsers)} directory users, one ${backend.server} (process, database) each; ${CONNECTIONS} connections, ${z.lookupRounds} × ${z.lookupSeconds} s alternating slices after ${z.warmupSeconds} s warm-up; a random existing userName per request`,
            ...(await backend.notes()),
            `at ${int(z.bigUsers)}: ${int(ratePerSecond(bigResult, 200))} lookups/s, ${latencySummary(asTiming(bigResult))}; CPU ${cpuNote(bigSlices)}`,
            `at ${int(z.smallUsers)}: ${int(ratePerSecond(smallResult, 200))} lookups/s, ${latencySummary(asTiming(smallResult))}; CPU ${cpuNote(smallSlices)}`,
            `checked: 10 random upper-cased lookups per ${backend.server} return exactly the seeded user; all ${int(bigResult.latenciesMs.length + smallResult.latenciesMs.length)} answers 200; user counts unchanged; no 5xx`,
            backend.seedingNote(bigTemplate),
          ],
        };
      } finally {
        await servers.stopAll();
      }
    },
  };
}

export const filterLookup = filterLookupScenario('filter lookup at 100k vs 1k', sqlite);

// --- 3. pages -----------------------------------------------------------------------------------

/**
 * GET /Users?startIndex=1&count=100 and GET /Users?startIndex=<last 100>&count=100 on the 100k
 * directory, sequentially (one connection, so each latency is one request's service time, not
 * queueing), alternating slices. Value: median of the last page; baseline: of the first.
 */
export function pagesScenario<T extends SeededDirectory>(name: string, backend: Backend<T>): Scenario {
  return {
    name,
    async run(options): Promise<ScenarioResult> {
      const z = sizesFor(options);
      const servers = new Servers();
      try {
        const template = await backend.seeded(z.bigUsers);
        const smallTemplate = await backend.seeded(z.smallUsers);
        const start = (label: string, t: T) =>
          startSeatkeeper(servers, label, backend.seededDatabase(label, t));
        const server = await start('seatkeeper_big', template);
        const smallServer = await start('seatkeeper_small', smallTemplate);
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
        // PostgreSQL's instances share the seeded database with the other read-only scenarios.
        if (backend.dialect === 'postgres')
          check(counts.users === template.users, `the large directory holds ${counts.users} users`);
        const value = median(last);
        const baseline = median(first);
        const ratio = value / baseline;
        return {
          name,
          unit: 'ms (p50)',
          value,
          baseline: { name: 'first page p50', value: baseline },
          ratio,
          goal: { description: '<= 2 × the first page', met: ratio <= 2 },
          notes: [
            `${int(template.users)} directory users; sequential (1 connection), ${z.pageRounds} × ${z.pageRequests} requests per page in alternating slices after 10 warm-up each; startIndex=1 vs startIndex=${int(lastStart)}, count=100`,
            ...(await backend.notes()),
            `first page ${latencySummary(asTiming(first))}; last page ${latencySummary(asTiming(last))}`,
            `for scale: the first page of a ${int(smallTemplate.users)}-user directory (same requests, its own ${backend.server}) ${latencySummary(asTiming(smallFirst))}; at ${int(template.users)} users the first page costs ${(median(first) / median(smallFirst)).toFixed(1)} × as much`,
            `checked: both pages hold the expected 100 users in creation order, totalResults ${int(template.users)}, itemsPerPage 100; no 5xx`,
          ],
        };
      } finally {
        await servers.stopAll();
      }
    },
  };
}

export const pages = pagesScenario('last page vs first page at 100k', sqlite);

// --- 4. group add -------------------------------------------------------------------------------

/**
 * A group of 50,000 members (created by the engine in the server process), then one Entra-shaped
 * PATCH adding one member at a time, sequentially, for 200 different users. Value: median latency;
 * baseline: the echo server's median for the same PATCH requests, sequential too.
 */
export const groupAdd: Scenario = {
  name: 'one member added to a 50,000-member group',
  async run(options): Promise<ScenarioResult> {
    const z = sizesFor(options);
    const servers = new Servers();
    try {
      const template = await seededTemplate(z.bigUsers);
      check(
        template.users >= z.groupMembers + z.groupWarmup + z.groupAdds,
        'template too small for the group',
      );
      const server = await serverFromTemplate(servers, 'seatkeeper-group', template);
      const echo = await servers.start('echo', 'echo');
      const { groupId, seconds: groupSeconds } = await server.call<{ groupId: string; seconds: number }>(
        'seedGroup',
        {
          organisationId: template.organisationId,
          displayName: 'Everyone',
          members: template.publicIds.slice(0, z.groupMembers),
        },
      );
      // A long-running server would have checkpointed the seeding's write-ahead log long ago.
      await server.call('checkpoint');
      const before = await countsOf(server, template.organisationId, groupId);
      check(before.groupMembers === z.groupMembers, `group seeded with ${before.groupMembers} members`);

      let nextUser = z.groupMembers;
      const next = (): NextRequest => ({
        method: 'PATCH',
        path: `${SCIM_BASE}/Groups/${groupId}`,
        body: entraAddMember(template.publicIds[nextUser++]!),
      });
      const run = (target: ChildServer, amount: number) =>
        cannon({ url: target.url, connections: 1, amount, headers: scimHeaders(template.token), next });
      const warmOurs = await run(server, z.groupWarmup);
      const ours = await run(server, z.groupAdds);
      const warmEcho = await run(echo, z.groupWarmup);
      const echoed = await run(echo, z.groupAdds);
      checkClient('group PATCH', merge([warmOurs, ours]), 204);
      checkClient('echo PATCH', merge([warmEcho, echoed]), 200);
      const counts = await countsOf(server, template.organisationId, groupId);
      checkServer('seatkeeper', counts);
      const added = countOf(warmOurs, 204) + countOf(ours, 204);
      check(
        counts.groupMembers === z.groupMembers + added,
        `the group has ${counts.groupMembers} members after ${added} adds to ${z.groupMembers}`,
      );
      const value = median(ours);
      const baseline = median(echoed);
      return {
        name: this.name,
        unit: 'ms (p50)',
        value,
        baseline: { name: 'echo PATCH p50, sequential', value: baseline },
        ratio: value / baseline,
        goal: { description: '<= 20 ms', met: value <= 20 },
        notes: [
          `group of ${int(z.groupMembers)} seeded in ${groupSeconds.toFixed(1)} s (engine createGroup); then ${z.groupAdds} PATCH add-member requests, each a different user, sequential (1 connection) after ${z.groupWarmup} warm-up; the echo server got the same requests`,
          `Seatkeeper ${latencySummary(asTiming(ours))}; echo ${latencySummary(asTiming(echoed))}`,
          `checked: all answered 204; the group has ${int(counts.groupMembers ?? 0)} members = ${int(z.groupMembers)} + ${added} added; no 5xx`,
        ],
      };
    } finally {
      await servers.stopAll();
    }
  },
};

// --- 5. Okta import -----------------------------------------------------------------------------

interface ImportRun {
  readonly seconds: number;
  /** Users per second over the first and the last tenth of the import. */
  readonly firstTenthRate: number;
  readonly lastTenthRate: number;
  readonly getMs: Float64Array;
  readonly postMs: Float64Array;
  readonly failures: readonly string[];
  readonly failed: number;
}

/**
 * Okta's create sequence for `users` new users, 20 workers at once: GET the userName (expect an
 * empty list), then POST it (expect 201 with a body).
 */
async function oktaImport(
  server: ChildServer,
  token: string,
  users: number,
  keyPrefix: string,
): Promise<ImportRun> {
  const client = httpClient(server.url, scimHeaders(token), CONNECTIONS);
  const getMs: number[] = [];
  const postMs: number[] = [];
  const failures: string[] = [];
  const doneAt: number[] = [];
  let failed = 0;
  const fail = (message: string) => {
    failed++;
    if (failures.length < 5) failures.push(message);
  };
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        for (let i = next++; i < users; i = next++) {
          const key = `${keyPrefix}${i}`;
          const found = await client.send('GET', oktaFindPath(`${key}@${DOMAIN}`));
          getMs.push(found.ms);
          if (found.status !== 200 || (JSON.parse(found.text) as ListBody).totalResults !== 0) {
            fail(`GET ${key}: ${found.status} ${found.text.slice(0, 200)}`);
            continue;
          }
          const made = await client.send('POST', `${SCIM_BASE}/Users`, JSON.stringify(oktaUserBody(key)));
          postMs.push(made.ms);
          doneAt.push(performance.now());
          if (made.status !== 201 || made.text.length === 0)
            fail(`POST ${key}: ${made.status} ${made.text.slice(0, 200)}`);
        }
      }),
    );
  } finally {
    client.close();
  }
  const finished = performance.now();
  const tenth = Math.max(1, Math.floor(doneAt.length / 10));
  return {
    seconds: (finished - started) / 1000,
    firstTenthRate: tenth / ((doneAt[tenth - 1]! - started) / 1000),
    lastTenthRate: tenth / ((finished - doneAt[doneAt.length - tenth - 1]!) / 1000),
    getMs: Float64Array.from(getMs),
    postMs: Float64Array.from(postMs),
    failures,
    failed,
  };
}

const timing = (latenciesMs: Float64Array, seconds: number) => ({
  ops: latenciesMs.length,
  seconds,
  latenciesMs,
});

/**
 * Okta's import of 100,000 users into a fresh organisation (GET filter, then POST, 20 workers),
 * against Seatkeeper and the echo server (the same number of GET + POST pairs). Two rows: the
 * time, and Seatkeeper's peak RSS (VmHWM) over the import.
 */
export const oktaImportScenario: Scenario = {
  name: 'Okta-style import of 100,000 users',
  async run(options): Promise<ScenarioResult[]> {
    const z = sizesFor(options);
    const servers = new Servers();
    try {
      const echo = await servers.start('echo', 'echo');
      echo.startSampling();
      const echoRun = await oktaImport(echo, 'unused', z.importUsers, 'import');
      const echoMemory = echo.stopSampling();
      check(echoRun.failed === 0, `echo: ${echoRun.failed} failures: ${echoRun.failures.join('; ')}`);

      const seatkeeper = await freshServer(servers, 'seatkeeper');
      const org = announced(seatkeeper);
      const startMemory = seatkeeper.memory();
      seatkeeper.startSampling(250);
      const ours = await oktaImport(seatkeeper, org.token, z.importUsers, 'import');
      const memory = seatkeeper.stopSampling();
      check(ours.failed === 0, `seatkeeper: ${ours.failed} failures: ${ours.failures.join('; ')}`);
      const counts = await countsOf(seatkeeper, org.organisationId);
      checkServer('seatkeeper', counts);
      check(
        counts.users === z.importUsers,
        `imported ${z.importUsers} users; the server holds ${counts.users}`,
      );
      check(
        serverStatus(counts, 201) === z.importUsers && serverStatus(counts, 200) === z.importUsers,
        `server answered ${serverStatus(counts, 200)} × 200 and ${serverStatus(counts, 201)} × 201 for ${z.importUsers} pairs`,
      );
      check(
        standardTier(counts).seated === z.importUsers,
        `${standardTier(counts).seated} standard seats seated for ${z.importUsers} users`,
      );

      const rssGoal = 300;
      const sizeNote = `${int(z.importUsers)} users, ${CONNECTIONS} concurrent workers (keep-alive node:http in the parent), each user GET filter userName eq (empty list) then POST (201)`;
      return [
        {
          name: this.name,
          unit: 's',
          value: ours.seconds,
          baseline: { name: 'echo, same GET+POST pairs', value: echoRun.seconds },
          ratio: ours.seconds / echoRun.seconds,
          goal: { description: 'none (report)', met: true },
          notes: [
            sizeNote,
            `Seatkeeper ${int(z.importUsers / ours.seconds)} users/s (${int((2 * z.importUsers) / ours.seconds)} requests/s; first tenth ${int(ours.firstTenthRate)} users/s, last tenth ${int(ours.lastTenthRate)} users/s); echo ${int(z.importUsers / echoRun.seconds)} pairs/s`,
            `Seatkeeper GET ${latencySummary(timing(ours.getMs, ours.seconds))}; POST ${latencySummary(timing(ours.postMs, ours.seconds))}`,
            `checked: ${int(counts.users)} directory users, ${int(standardTier(counts).seated)} seated; server answered 200 × ${int(serverStatus(counts, 200))}, 201 × ${int(serverStatus(counts, 201))}; no 5xx`,
          ],
        },
        {
          name: 'import peak RSS',
          unit: 'MB',
          value: memory.hwmMb,
          baseline: { name: 'echo VmHWM, same pairs', value: echoMemory.hwmMb },
          ratio: memory.hwmMb / echoMemory.hwmMb,
          goal: { description: `< ${rssGoal} MB`, met: memory.hwmMb < rssGoal },
          notes: [
            `VmHWM of the Seatkeeper process after the import (fresh process: start ${mb(startMemory.rssMb)}); VmRSS sampled every 250 ms peaked at ${mb(memory.peakSampledMb)}; both processes run under tsx (its loader thread included)`,
          ],
        },
      ];
    } finally {
      await servers.stopAll();
    }
  },
};

// --- 6. Entra cycle -----------------------------------------------------------------------------

/**
 * 10,000 seeded users, then one Entra-shaped PATCH per user (rotating: Replace displayName, Replace
 * active "False", Replace emails[type eq "work"].value), 20 connections, after a warm-up of
 * displayName PATCHes. The echo server gets the same requests. Value: PATCHes per second.
 */
export const entraCycle: Scenario = {
  name: 'Entra-style incremental cycle over 10,000 users',
  async run(options): Promise<ScenarioResult> {
    const z = sizesFor(options);
    const servers = new Servers();
    try {
      const template = await seededTemplate(z.cycleUsers);
      const server = await serverFromTemplate(servers, 'seatkeeper-cycle', template);
      const echo = await servers.start('echo', 'echo');
      const headers = scimHeaders(template.token);
      const path = (i: number) => `${SCIM_BASE}/Users/${template.publicIds[i]}`;

      const warmup = (target: ChildServer) => {
        let w = 0;
        return cannon({
          url: target.url,
          connections: CONNECTIONS,
          amount: z.cycleWarmup,
          headers,
          next: () => {
            const i = w++ % z.cycleUsers;
            return { method: 'PATCH', path: path(i), body: entraUserPatch('displayName', i) };
          },
        });
      };
      const cycle = async (target: ChildServer) => {
        let i = 0;
        const result = await cannon({
          url: target.url,
          connections: CONNECTIONS,
          amount: z.cycleUsers,
          headers,
          next: () => {
            const k = i++;
            return { method: 'PATCH', path: path(k), body: entraUserPatch(ENTRA_CHANGES[k % 3]!, k) };
          },
        });
        check(i === z.cycleUsers, `autocannon built ${i} requests for ${z.cycleUsers}`);
        return result;
      };
      const warmOurs = await warmup(server);
      server.startSampling();
      const ours = await cycle(server);
      const memory = server.stopSampling();
      const warmEcho = await warmup(echo);
      const echoed = await cycle(echo);
      checkClient('seatkeeper PATCH', merge([warmOurs, ours]), 200);
      checkClient('echo PATCH', merge([warmEcho, echoed]), 200);

      const counts = await countsOf(server, template.organisationId);
      checkServer('seatkeeper', counts);
      const deactivations = Math.floor((z.cycleUsers + 1) / 3);
      check(counts.users === z.cycleUsers, `${counts.users} users after the cycle`);
      check(
        counts.deactivated === deactivations,
        `${counts.deactivated} users deactivated; ${deactivations} "False" PATCHes were answered 200`,
      );
      check(
        standardTier(counts).seated === z.cycleUsers - deactivations,
        `${standardTier(counts).seated} seated after ${deactivations} of ${z.cycleUsers} deactivated`,
      );
      // One user per kind of change, read back over SCIM.
      const client = httpClient(server.url, headers, 1);
      try {
        for (const i of [0, 1, 2]) {
          const answer = await client.send('GET', path(i));
          check(answer.status === 200, `GET user ${i}: ${answer.status}`);
          const user = JSON.parse(answer.text) as ListBody['Resources'][number];
          const ok =
            i === 0
              ? user.displayName === 'Renamed User 0'
              : i === 1
                ? user.active === false
                : user.emails?.find((e) => e.type === 'work')?.value === `moved2@${DOMAIN}`;
          check(ok, `user ${i} does not show its ${ENTRA_CHANGES[i]} change: ${answer.text.slice(0, 300)}`);
        }
      } finally {
        client.close();
      }

      const value = ratePerSecond(ours, 200);
      const baseline = ratePerSecond(echoed, 200);
      return {
        name: this.name,
        unit: 'PATCH/s',
        value,
        baseline: { name: 'echo PATCH', value: baseline },
        ratio: value / baseline,
        goal: { description: 'none (report)', met: true },
        notes: [
          `${int(z.cycleUsers)} seeded users, one PATCH each (Replace displayName / active "False" / emails[type eq "work"].value in turn), ${CONNECTIONS} connections (autocannon), after ${int(z.cycleWarmup)} displayName PATCHes warm-up; echo got the same requests`,
          `Seatkeeper ${latencySummary(asTiming(ours))}, ${ours.seconds.toFixed(1)} s; echo ${latencySummary(asTiming(echoed))}`,
          `checked: all 200; ${int(counts.deactivated)} deactivated (seats released), ${int(standardTier(counts).seated)} seated, pool held = seated + invited; one user of each change read back; no 5xx`,
          memoryNote('Seatkeeper', memory),
        ],
      };
    } finally {
      await servers.stopAll();
    }
  },
};

// --- 7. cluster mode ----------------------------------------------------------------------------

/** One side of a WORKERS comparison: the real entry point over its own copy of a template. */
interface WorkersSide {
  readonly workers: number;
  readonly label: string;
  readonly server: EntryServer;
}

/** server/main.ts with WORKERS=1 and with WORKERS=2, each over its own copy of the template. */
async function workersSides(
  servers: Servers,
  template: Template,
  scenario: string,
): Promise<[WorkersSide, WorkersSide]> {
  const sides: WorkersSide[] = [];
  for (const workers of [1, 2]) {
    const label = `WORKERS=${workers}`;
    const name = `${scenario} ${label}`;
    const server = await EntryServer.start(name, {
      databasePath: copyOfTemplate(name, template),
      workers,
      dir: runDir(),
    });
    sides.push({ workers, label, server: servers.track(server) });
  }
  return sides as [WorkersSide, WorkersSide];
}

interface StoppedCounts extends ServerCounts {
  readonly requestsByPid: ReadonlyMap<number, number>;
  readonly rssMb: number;
}

const statusList = (statuses: Readonly<Record<string, number>>): string =>
  describeStatuses(new Map(Object.entries(statuses).map(([s, n]) => [Number(s), n])));

/**
 * Stops an entry-point server and gathers what checkServer checks: its answers by status from its
 * own /metrics (scraped just before it stops), the warnings and errors in its log, and its rows,
 * read by a bench server over the same file once it has exited. Fails unless it shut down cleanly,
 * its request log agrees with its /metrics, and every one of its serving processes served.
 */
async function stopAndCount(
  servers: Servers,
  side: WorkersSide,
  organisationId: number,
): Promise<StoppedCounts> {
  const { server } = side;
  const statuses = await server.statuses();
  const rssMb = server.rssMb();
  await server.stop();
  check(server.exit === 0, `${server.name} exited with ${server.exit} after SIGTERM`);
  const log = server.log();
  check(
    statusList(log.requestStatuses) === statusList(statuses),
    `${server.name}: its request log counts ${statusList(log.requestStatuses)} but its /metrics ${statusList(statuses)}`,
  );
  check(
    log.requestsByPid.size === side.workers,
    `${server.name}: ${log.requestsByPid.size} of its ${side.workers} serving processes logged requests`,
  );
  const reader = await servers.start('seatkeeper', `${server.name} (reader)`, {
    databasePath: server.databasePath,
  });
  try {
    const rows = await countsOf(reader, organisationId);
    return {
      ...rows,
      statuses,
      log: { lines: log.lines, problems: log.problems },
      requestsByPid: log.requestsByPid,
      rssMb,
    };
  } finally {
    await reader.stop();
  }
}

/** "WORKERS=1 <f(0)>; WORKERS=2 <f(1)>" */
const perSide = (sides: readonly WorkersSide[], f: (k: number) => string): string =>
  sides.map((side, k) => `${side.label} ${f(k)}`).join('; ');

const poolNote = (c: ServerCounts): string =>
  `held ${int(standardTier(c).held)} = seated ${int(standardTier(c).seated)} + invited ${standardTier(c).invited}`;

/** The notes both cluster scenarios print: set-up, CPU on the shared cores, workers, memory. */
function workersNotes(
  sides: readonly WorkersSide[],
  slices: readonly Slices[],
  counts: readonly StoppedCounts[],
): string[] {
  const both = (f: (k: number) => string) => perSide(sides, f);
  const two = counts[1]!;
  return [
    `the load generator (autocannon, in this process) shares the machine's ${availableParallelism()} cores with the server's processes (WORKERS=2: a primary and 2 workers), so neither side has a core to itself; CPU over the measured slices in % of one core, server processes + load generator: ${both((k) => `${pct(slices[k]!.serverCpu, slices[k]!.measured.seconds)} + ${pct(slices[k]!.loadCpu, slices[k]!.measured.seconds)}`)}`,
    `latency: ${both((k) => latencySummary(asTiming(slices[k]!.measured)))}`,
    `WORKERS=2: requests per worker over the run (its request log) ${[...two.requestsByPid.values()].map(int).join(' / ')}; VmRSS of all its processes at the end ${both((k) => mb(counts[k]!.rssMb))}`,
  ];
}

/**
 * SCIM create with seat claim, as "SCIM create with seat claim" sends it (unique Okta-shaped
 * bodies, 20 connections, autocannon), against the real entry point started with WORKERS=2 and
 * with WORKERS=1, alternating slices after a warm-up each. Value: WORKERS=2's creates per second;
 * baseline: WORKERS=1's.
 */
export const workersCreate: Scenario = {
  name: 'cluster: SCIM create with seat claim, WORKERS=2 vs 1',
  async run(options): Promise<ScenarioResult> {
    const z = sizesFor(options);
    const servers = new Servers();
    try {
      // The organisation and its token, no users: what scimCreate's fresh server starts from.
      const template = await seededTemplate(0);
      const sides = await workersSides(servers, template, 'create');
      const next = createRequests();
      const slices = await alternate(
        sides,
        z.createRounds,
        (side, phase) =>
          cannon({
            url: side.server.url,
            connections: CONNECTIONS,
            // Counted slices, not timed ones: a timed run ends with requests in flight, and a create
            // finished for a client that has gone is committed but never counted by the server's
            // /metrics. With nothing in flight at the end, the check below can be exact.
            amount: phase === 'warm-up' ? z.workersCreateWarmup : z.workersCreateSlice,
            headers: scimHeaders(template.token),
            next,
          }),
        { serverCpu: (side) => side.server.cpuSeconds() },
      );
      const sent = z.workersCreateWarmup + z.createRounds * z.workersCreateSlice;
      const counts: StoppedCounts[] = [];
      for (const [k, side] of sides.entries()) {
        const name = side.server.name;
        const all = merge([slices[k]!.warm, slices[k]!.measured]);
        checkClient(name, all, 201);
        check(
          all.latenciesMs.length === sent,
          `${name}: ${all.latenciesMs.length} answers to ${sent} requests`,
        );
        const c = await stopAndCount(servers, side, template.organisationId);
        checkServer(name, c);
        const created = serverStatus(c, 201);
        check(
          created === countOf(all, 201),
          `${name} counted ${created} × 201; the client saw ${countOf(all, 201)}`,
        );
        check(
          c.users === template.users + created,
          `${name} holds ${c.users} directory users after ${created} × 201`,
        );
        check(
          standardTier(c).seated === c.users,
          `${name}: ${standardTier(c).seated} standard seats seated for ${c.users} directory users`,
        );
        counts.push(c);
      }
      const [one, two] = slices as [Slices, Slices];
      const value = ratePerSecond(two.measured, 201);
      const baseline = ratePerSecond(one.measured, 201);
      return {
        name: this.name,
        unit: 'creates/s',
        value,
        baseline: { name: 'WORKERS=1, same entry point', value: baseline },
        ratio: value / baseline,
        goal: { description: 'none (report)', met: true },
        notes: [
          `server/main.ts (the real entry point, configured by its environment) with WORKERS=2 (a primary forking 2 workers that share the port and the database file) vs WORKERS=1 (one process), each over its own copy of a database holding the organisation and its SCIM token; ${CONNECTIONS} connections (autocannon), ${z.createRounds} × ${int(z.workersCreateSlice)} creates per server in alternating slices after ${int(z.workersCreateWarmup)} warm-up; unique Okta-shaped bodies, every 201 claimed a standard seat`,
          `slices are counted (exactly ${int(z.workersCreateSlice)} requests), not timed as in "SCIM create with seat claim": a timed slice ends with creates in flight that commit without an answer the server counts, which would leave the check below inexact`,
          ...workersNotes(sides, slices, counts),
          `checked in each server: directory users = 201 answers (its /metrics, its request log and the client alike), ${perSide(sides, (k) => int(counts[k]!.users))}; standard pool ${perSide(sides, (k) => poolNote(counts[k]!))}; no 5xx, no warning logged; both shut down cleanly on SIGTERM`,
        ],
      };
    } finally {
      await servers.stopAll();
    }
  },
};

/**
 * The SCIM filter lookup, as "filter lookup at 100k vs 1k" sends it (GET /Users?filter=userName eq
 * "<random existing user>", 20 connections, autocannon, timed slices), on the 100,000-user directory,
 * against the real entry point started with WORKERS=2 and with WORKERS=1, alternating slices after a
 * warm-up each. Value: WORKERS=2's lookups per second; baseline: WORKERS=1's.
 */
export const workersLookup: Scenario = {
  name: 'cluster: SCIM filter lookup at 100k, WORKERS=2 vs 1',
  async run(options): Promise<ScenarioResult> {
    const z = sizesFor(options);
    const servers = new Servers();
    try {
      const template = await seededTemplate(z.bigUsers);
      const sides = await workersSides(servers, template, 'lookup');
      const PROBES = 10; // probeLookups' requests, answered 200 by the server before the load
      for (const side of sides) await probeLookups(side.server, template);
      const slices = await alternate(
        sides,
        z.lookupRounds,
        (side, phase) =>
          cannon({
            url: side.server.url,
            connections: CONNECTIONS,
            seconds: phase === 'warm-up' ? z.warmupSeconds : z.lookupSeconds,
            headers: scimHeaders(template.token),
            next: lookupRequests(template),
          }),
        { serverCpu: (side) => side.server.cpuSeconds() },
      );
      const counts: StoppedCounts[] = [];
      for (const [k, side] of sides.entries()) {
        const name = side.server.name;
        const all = merge([slices[k]!.warm, slices[k]!.measured]);
        checkClient(name, all, 200);
        const c = await stopAndCount(servers, side, template.organisationId);
        checkServer(name, c);
        const others = Object.keys(c.statuses).filter((s) => s !== '200');
        check(others.length === 0, `${name} answered ${statusList(c.statuses)}; lookups answer 200 only`);
        check(
          c.users === template.users + serverStatus(c, 201),
          `${name} holds ${c.users} directory users; ${template.users} were seeded and none created`,
        );
        // A timed run ends with lookups in flight: the server may have answered a few the client
        // never read, at most one per connection per run (the warm-up and each slice).
        const answered = serverStatus(c, 200);
        const seen = countOf(all, 200) + PROBES;
        check(
          seen <= answered && answered <= seen + CONNECTIONS * (1 + z.lookupRounds),
          `${name} counted ${answered} × 200; the client read ${seen}`,
        );
        counts.push(c);
      }
      const [one, two] = slices as [Slices, Slices];
      const value = ratePerSecond(two.measured, 200);
      const baseline = ratePerSecond(one.measured, 200);
      return {
        name: this.name,
        unit: 'lookups/s',
        value,
        baseline: { name: 'WORKERS=1, same entry point', value: baseline },
        ratio: value / baseline,
        goal: { description: 'none (report)', met: true },
        notes: [
          `server/main.ts (the real entry point, configured by its environment) with WORKERS=2 (a primary forking 2 workers that share the port and the database file) vs WORKERS=1 (one process), each over its own copy of the ${int(template.users)}-user directory; ${CONNECTIONS} connections (autocannon), ${z.lookupRounds} × ${z.lookupSeconds} s alternating slices after ${z.warmupSeconds} s warm-up; a random existing userName per request`,
          ...workersNotes(sides, slices, counts),
          `checked in each server: 10 random upper-cased lookups return exactly the seeded user; directory users = ${int(template.users)} seeded + 0 × 201, ${perSide(sides, (k) => int(counts[k]!.users))}; answers 200 only, by its /metrics and request log ${perSide(sides, (k) => `${int(serverStatus(counts[k]!, 200))} (client read ${int(countOf(merge([slices[k]!.warm, slices[k]!.measured]), 200) + PROBES)})`)}; standard pool ${perSide(sides, (k) => poolNote(counts[k]!))}; no 5xx, no warning logged; both shut down cleanly on SIGTERM`,
        ],
      };
    } finally {
      await servers.stopAll();
    }
  },
};

export const scimScenarios: readonly Scenario[] = [
  scimCreate,
  filterLookup,
  pages,
  groupAdd,
  oktaImportScenario,
  entraCycle,
  workersCreate,
  workersLookup,
];
