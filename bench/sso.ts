// Single sign-on scenarios over HTTP: "SAML sign-ins per second", "OIDC sign-ins per second", and
// "200 concurrent first sign-ins against 50 seats" (a burst of SAML first sign-ins racing for fewer
// seats than people: its figure is the burst's wall time, its goal that the seats went exactly).
// One scenario is not over HTTP: a SAML verification in this thread with the libraries' speed-ups
// on and off, round-robin, which a noisy machine disturbs less than a throughput figure.
//
// Processes. The server under test (the real container and createApp over a SQLite file, see
// bench/sso-server.ts) runs in a child process of its own, and so does the baseline ("echo", a bare
// express 5 server); this process is the load generator and the identity provider. So the measured
// server has an event loop (and, on two cores, a core) to itself while the load generator has the
// other. The SAML IdP (samlify, test/helpers/saml-idp.ts) signs every response before the timed part,
// so the IdP costs nothing while it runs. The OpenID Provider (panva's oidc-provider,
// test/helpers/oidc-provider.ts) has to stay in this process: the server redeems each code at its
// token endpoint during the timed part, so the provider and the load generator share this process's
// event loop, and the provider shares the machine's two cores with the server.
//
// Each measured sign-in is one request from a fresh person (no cookie), with at most CONCURRENCY in
// flight over keep-alive connections. Only a 303 to /sso/me counts; any other answer fails the
// scenario, loudly, with the first few bodies. The baseline is the echo server answering the same
// requests (the very same form bodies, or the same callback URLs) with the same concurrency, measured
// just before and just after the server in the same run. Afterwards the server's rows are checked:
// one JIT member, seat, identity and session per sign-in, and every tier's pool counter equal to its
// member rows (the test suite's heldMatchesMembers).
//
// The burst differs: all its requests are in flight at once, and a 403 with the no-seats page is an
// expected answer. Whether the seats went exactly (so many signed in, the rest refused with that
// page, nothing else) is its goal; a database that disagrees with the answers, a 5xx or a warning
// logged fails it.
//
// BENCH_CPU_PROF=<dir> starts the server child with --cpu-prof; its profile lands in <dir> when the
// scenario stops it.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { startOidcProvider, type OidcTestProvider } from '../test/helpers/oidc-provider.js';
import { FixedClock } from '../domain/clock.js';
import {
  readSamlResponse,
  startSamlLogin,
  verifySamlResponse,
  type SamlConnectionConfig,
} from '../sso/saml.js';
import { samlServiceProviderMetadata } from '../sso/saml-metadata.js';
import { samlDirectStatus, setSamlDirect } from '../sso/saml-direct.js';
import { installSamlSpeedups, setSamlSpeedups } from '../sso/saml-speedups.js';
import { startSamlIdp, type SamlIdp } from '../test/helpers/saml-idp.js';
import { sqlite, type Backend } from './backend.js';
import { cpuSecondsOf, startScript, type ChildServer } from './http/child.js';
import type { DatabaseOptions } from './http/seatkeeper-app.js';
import { describeStatuses, httpClient, type HttpAnswer, type HttpClient } from './http/load.js';
import {
  latencySummary,
  quantile,
  type RunOptions,
  type Scenario,
  type ScenarioResult,
  type Timing,
} from './scenario.js';

const SERVER_SCRIPT = 'bench/sso-server.ts';

/** Requests in flight, for the server and the baseline alike. */
const CONCURRENCY = 20;
/** Requests in flight while preparing (not timed). */
const PREPARE_CONCURRENCY = 8;
const SAML_GOAL_PER_SECOND = 200;
const EMAIL_ATTRIBUTE = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' } as const;

interface Sizes {
  /** Timed sign-ins (distinct people). */
  readonly count: number;
  /** Sign-ins before the timed ones (JIT, statement caches, connections), also distinct people. */
  readonly warmup: number;
}

const samlSizes = ({ quick }: RunOptions): Sizes =>
  quick ? { count: 200, warmup: 20 } : { count: 2000, warmup: 100 };
const oidcSizes = ({ quick }: RunOptions): Sizes =>
  quick ? { count: 50, warmup: 10 } : { count: 300, warmup: 20 };

// ---------------------------------------------------------------------------------------------
// Child processes

type ChildOptions = ({ readonly mode: 'seatkeeper' } & DatabaseOptions) | { readonly mode: 'echo' };

/** Starts bench/sso-server.ts and waits for its announcement (the protocol of bench/http/child.ts). */
function startChild(name: string, options: ChildOptions): Promise<ChildServer> {
  return startScript(SERVER_SCRIPT, name, options, options.mode === 'seatkeeper');
}

interface Counts {
  readonly jitMembers: number;
  readonly seatedJitMembers: number;
  readonly identities: number;
  readonly sessions: number;
  readonly pools: readonly {
    readonly tierId: string;
    readonly allocation: number;
    readonly held: number;
    readonly memberRows: number;
  }[];
  /** Sign-ins refused, by the stable code audited with each. */
  readonly refusals: Readonly<Record<string, number>>;
  /** People on the organisation's open waiting list (each no_seats refusal puts one there). */
  readonly waitlisted: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly log: { readonly lines: number; readonly problems: number };
}

/** One sign-in per person: members, seats, identities, sessions all equal `expected`; pools agree. */
function verify(counts: Counts, expected: number): string {
  const problems: string[] = [];
  for (const key of ['jitMembers', 'seatedJitMembers', 'identities', 'sessions'] as const)
    if (counts[key] !== expected) problems.push(`${key} = ${counts[key]}, expected ${expected}`);
  for (const p of counts.pools)
    if (p.held !== p.memberRows)
      problems.push(`pool ${p.tierId} holds ${p.held} but ${p.memberRows} member rows hold its seats`);
  const fiveHundreds = Object.entries(counts.statuses).filter(([s]) => Number(s) >= 500);
  if (fiveHundreds.length > 0) problems.push(`the server answered ${JSON.stringify(counts.statuses)}`);
  if (counts.log.problems > 0) problems.push(`${counts.log.problems} warning/error log lines (see stderr)`);
  if (problems.length > 0) throw new Error(`the server's state is wrong:\n  ${problems.join('\n  ')}`);
  return (
    `checked: ${counts.jitMembers} JIT members seated, ${counts.identities} identities, ${counts.sessions} sessions; ` +
    `pool held = member rows (${counts.pools.map((p) => `${p.tierId} ${p.held}`).join(', ')})`
  );
}

// ---------------------------------------------------------------------------------------------
// Load

/** Runs op(0..count-1) with at most `concurrency` in flight; times each call and the whole. */
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

/** Statuses of the answers; throws, with the first few unexpected bodies, unless all are `expected`. */
function requireAll(answers: readonly HttpAnswer[], expected: number, what: string, location?: string): void {
  const statuses = new Map<number, number>();
  for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  const wrong = answers.filter(
    (a) => a.status !== expected || (location !== undefined && a.headers.location !== location),
  );
  if (wrong.length === 0) return;
  const samples = wrong
    .slice(0, 3)
    .map((a) => `  ${a.status} ${a.headers.location ?? ''} ${a.text.replace(/\s+/g, ' ').slice(0, 400)}`);
  throw new Error(
    `${what}: ${wrong.length} of ${answers.length} answers were not ${expected}${location ? ` → ${location}` : ''} ` +
      `(${describeStatuses(statuses)}):\n${samples.join('\n')}`,
  );
}

const rate = (t: Timing) => t.ops / t.seconds;
const perSecond = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`;

/** Two timings of the same thing taken as one (total operations over total time). */
function joined(a: Timing, b: Timing): Timing {
  const latenciesMs = new Float64Array(a.ops + b.ops);
  latenciesMs.set(a.latenciesMs);
  latenciesMs.set(b.latenciesMs, a.ops);
  return { ops: a.ops + b.ops, seconds: a.seconds + b.seconds, latenciesMs };
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
const share = (cpu: number, seconds: number) => `${Math.round((100 * cpu) / seconds)} % of one core`;

/**
 * The server's CPU over a timed window: ms per operation and share of one core, in all and on the
 * main thread (the event loop); the rest is its other threads (SAML verification workers, V8's
 * garbage collection and compiler helpers).
 */
function cpuNote(seconds: number, cpu: { total: number; main: number }, ops: number, what: string): string {
  const ms = (x: number) => ((x * 1000) / ops).toFixed(2);
  return (
    `${what}: ${ms(cpu.total)} ms CPU per sign-in, ${share(cpu.total, seconds)} over the timed window; ` +
    `main thread ${ms(cpu.main)} ms (${share(cpu.main, seconds)}), other threads ${ms(cpu.total - cpu.main)} ms`
  );
}

const cpuSince = (before: { total: number; main: number }, pid: number) => {
  const now = cpuSecondsOf(pid);
  return { total: now.total - before.total, main: now.main - before.main };
};

/** Everything a scenario starts, stopped and removed however it ends. */
class Resources {
  readonly dir = mkdtempSync(join(tmpdir(), 'seatkeeper-bench-sso-'));
  private readonly closers: (() => unknown)[] = [() => rmSync(this.dir, { recursive: true, force: true })];
  add(close: () => unknown): void {
    this.closers.unshift(close);
  }
  async close(): Promise<void> {
    for (const close of this.closers.splice(0)) await close();
  }
}

/** The server under test over `database` (a file in the scenario's directory unless given), and echo. */
async function startServers(r: Resources, database?: DatabaseOptions) {
  const [seatkeeper, echo] = await Promise.all([
    startChild('seatkeeper', {
      mode: 'seatkeeper',
      ...(database ?? { databasePath: join(r.dir, 'seatkeeper.db') }),
    }),
    startChild('echo', { mode: 'echo' }),
  ]);
  r.add(() => seatkeeper.stop());
  r.add(() => echo.stop());
  return { seatkeeper, echo };
}

function client(r: Resources, url: string, headers: Readonly<Record<string, string>>, sockets: number) {
  const c = httpClient(url, headers, sockets);
  r.add(() => c.close());
  return c;
}

/**
 * GET /sso/start for the organisation: the 303's Location (the IdP's sign-in URL), and the cookie a
 * browser would send back to the OpenID Connect callback (it binds the sign-in to the browser).
 */
async function startSignIn(http: HttpClient, slug: string): Promise<{ location: string; cookie: string }> {
  const started = await http.send('GET', `/sso/start?org=${slug}`);
  if (started.status !== 303 || typeof started.headers.location !== 'string')
    throw new Error(`GET /sso/start answered ${started.status}: ${started.text.slice(0, 300)}`);
  const cookie = (started.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).join('; ');
  return { location: started.headers.location, cookie };
}

// ---------------------------------------------------------------------------------------------
// SAML

interface SamlOrganisation {
  readonly organisationId: number;
  readonly acsPath: string;
  /**
   * Untimed: for `people` distinct people (<prefix><i>@<domain>), a real AuthnRequest and RelayState
   * each (GET /sso/start), and the IdP's signed answer to it: the form bodies the browser would
   * POST to the ACS, in person order.
   */
  readonly prepare: (people: number, prefix: string) => Promise<string[]>;
}

/**
 * A fresh JIT organisation with `seats` standard seats (the owner's invitation holds one), a SAML
 * connection, and its own IdP (samlify, in this process; `slug` names its entity id).
 */
async function samlOrganisation(
  r: Resources,
  seatkeeper: ChildServer,
  {
    slug,
    domain,
    seats,
    sign = 'both',
  }: {
    readonly slug: string;
    readonly domain: string;
    readonly seats: number;
    /** What the IdP signs: the Response and its assertion, or the assertion alone. */
    readonly sign?: SamlSigning;
  },
): Promise<SamlOrganisation> {
  const { organisationId } = await seatkeeper.call<{ organisationId: number }>('organisation', {
    slug,
    domain,
    seats,
  });
  // The IdP first (its certificate goes into the connection); responses are then addressed to
  // the connection's real entity id and ACS, as in test/integration/sso/sign-in-http.test.ts.
  const idp: SamlIdp = startSamlIdp({
    spMetadata: `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="placeholder"><SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${seatkeeper.url}/placeholder" index="0"/></SPSSODescriptor></EntityDescriptor>`,
    entityId: `https://idp.test/${slug}`,
    now: () => DateTime.now(),
  });
  r.add(() => idp.close());
  const connection = await seatkeeper.call<{ spEntityId: string; acsUrl: string }>('samlConnection', {
    organisationId,
    idpEntityId: idp.entityId,
    idpSsoUrl: idp.ssoUrl,
    certPem: idp.certPem,
    responseSigned: sign === 'both',
  });
  const addressed = {
    audience: connection.spEntityId,
    recipient: connection.acsUrl,
    destination: connection.acsUrl,
    sign,
  };
  const starter = client(r, seatkeeper.url, {}, PREPARE_CONCURRENCY);
  return {
    organisationId,
    acsPath: new URL(connection.acsUrl).pathname,
    prepare: async (people, prefix) => {
      const { results } = await timeConcurrent(people, PREPARE_CONCURRENCY, async (i) => {
        const { location: redirect } = await startSignIn(starter, slug);
        const user = `${prefix}${i}`;
        const form = await idp.respond(
          redirect,
          { nameId: `${user}-id`, attributes: { [EMAIL_ATTRIBUTE]: `${user}@${domain}` } },
          addressed,
        );
        return new URLSearchParams(form).toString();
      });
      return results;
    },
  };
}

/**
 * What the IdP signs. Okta signs the Response and the assertion; Entra ID, by default, the
 * assertion alone (its "Sign SAML assertion" option). Each signature is a separate validation.
 */
type SamlSigning = 'both' | 'assertion';

const samlSignIns = samlSignInScenario('SAML sign-ins per second', 'both');
const samlAssertionSignIns = samlSignInScenario(
  'SAML sign-ins per second, assertion signed only',
  'assertion',
);

function samlSignInScenario(name: string, sign: SamlSigning): Scenario {
  return {
    name,
    async run(options: RunOptions): Promise<ScenarioResult> {
      const { count, warmup } = samlSizes(options);
      const r = new Resources();
      try {
        const { seatkeeper, echo } = await startServers(r);
        const { organisationId, acsPath, prepare } = await samlOrganisation(r, seatkeeper, {
          slug: 'bench-saml',
          domain: 'saml.bench.example',
          seats: count + warmup + 10,
          sign,
        });
        const prepareStarted = performance.now();
        const bodies = await prepare(warmup + count, 'user');
        const prepareSeconds = (performance.now() - prepareStarted) / 1000;
        const bodyBytes = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / bodies.length;

        const server = client(r, seatkeeper.url, FORM, CONCURRENCY);
        const baseline = client(r, echo.url, FORM, CONCURRENCY);
        const post = (http: HttpClient, i: number) => http.send('POST', acsPath, bodies[i]);

        // Warm-up: the first `warmup` responses to the server, and all of them to the echo server.
        const warm = await timeConcurrent(warmup, CONCURRENCY, (i) => post(server, i));
        requireAll(warm.results, 303, 'SAML warm-up sign-ins', '/sso/me');
        requireAll(
          (await timeConcurrent(warmup + count, CONCURRENCY, (i) => post(baseline, i))).results,
          200,
          'echo',
        );

        // Timed: echo, server, echo, over the same bodies.
        const timed = (http: HttpClient) => timeConcurrent(count, CONCURRENCY, (i) => post(http, warmup + i));
        const echoBefore = await timed(baseline);
        const cpuBefore = cpuSecondsOf(seatkeeper.pid);
        const ownBefore = process.cpuUsage();
        const signIns = await timed(server);
        const serverCpu = cpuSince(cpuBefore, seatkeeper.pid);
        const ownCpu = cpuSeconds(process.cpuUsage(ownBefore));
        const echoAfter = await timed(baseline);
        requireAll(signIns.results, 303, 'SAML sign-ins', '/sso/me');
        requireAll([...echoBefore.results, ...echoAfter.results], 200, 'echo');

        const checked = verify(await seatkeeper.call<Counts>('counts', { organisationId }), warmup + count);
        const echoT = joined(echoBefore.timing, echoAfter.timing);
        const value = rate(signIns.timing);
        const baselineValue = rate(echoT);
        return {
          name,
          unit: 'sign-ins/s',
          value,
          baseline: { name: 'express echo, same form POST', value: baselineValue },
          ratio: value / baselineValue,
          goal: { description: `>= ${SAML_GOAL_PER_SECOND} sign-ins/s`, met: value >= SAML_GOAL_PER_SECOND },
          notes: [
            `${count} distinct people timed after ${warmup} warm-up, ${CONCURRENCY} in flight (keep-alive); each POST to the ACS is a full validation (XML signatures, issuer/audience/recipient/destination, times, InResponseTo, replay cache), a JIT member + seat + identity, and a session; only 303 → /sso/me counted`,
            sign === 'both'
              ? 'the IdP signs the Response and its assertion (as Okta does), and the connection requires the Response signature: two signatures checked per sign-in'
              : "the IdP signs the assertion alone (Entra ID's default), and the connection does not require a signed Response: one signature checked per sign-in",
            `the server verifies responses (signatures, addressing, times) in ${availableParallelism()} worker threads (its default: one per core); its main thread runs HTTP and one transaction per sign-in (login state, InResponseTo, assertion id, member + seat + identity, session)`,
            `server and echo each in a child process (own event loop); load generator and samlify IdP in this process; every response was signed beforehand (prepare: ${prepareSeconds.toFixed(1)} s for ${warmup + count} GET /sso/start + sign, not timed); form body ${Math.round(bodyBytes).toLocaleString('en-US')} B`,
            `sign-in latency ${latencySummary(signIns.timing)}; echo ${perSecond(baselineValue)} (before ${perSecond(rate(echoBefore.timing))}, after ${perSecond(rate(echoAfter.timing))}), latency ${latencySummary(echoT)}`,
            `${cpuNote(signIns.timing.seconds, serverCpu, count, 'server')}; this process (load generator): ${share(ownCpu, signIns.timing.seconds)}`,
            checked,
          ],
        };
      } finally {
        await r.close();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A burst of first sign-ins racing for the last seats

/** Everyone signs in for the first time at once, against fewer free seats than people. */
export const BURST = { people: 200, seats: 50 } as const;
/** Before it, on another organisation of the same server: the same race, smaller (not timed). */
const burstWarmup = ({ quick }: RunOptions) => (quick ? { people: 20, seats: 5 } : { people: 40, seats: 10 });
/** What the refusal page for want of a seat names as its stable code (sso/router.ts). */
const NO_SEATS_CODE = '<code>no_seats</code>';

interface BurstOutcome {
  /** 303 → /sso/me: signed in, so seated. */
  readonly seated: number;
  /** 403 with the no-seats page. */
  readonly refused: number;
  /** Anything else. */
  readonly others: readonly HttpAnswer[];
}

const isSeated = (a: HttpAnswer) => a.status === 303 && a.headers.location === '/sso/me';
const isNoSeatsPage = (a: HttpAnswer) => a.status === 403 && a.text.includes(NO_SEATS_CODE);

function outcomeOf(answers: readonly HttpAnswer[]): BurstOutcome {
  return {
    seated: answers.filter(isSeated).length,
    refused: answers.filter(isNoSeatsPage).length,
    others: answers.filter((a) => !isSeated(a) && !isNoSeatsPage(a)),
  };
}

const sample = (a: HttpAnswer) =>
  `${a.status} ${a.headers.location ?? ''} ${a.text.replace(/\s+/g, ' ').slice(0, 300)}`.trim();

/**
 * The database after a burst: verify() against the 303s the client saw (one JIT member, seat,
 * identity and session each; pools agree with member rows; no 5xx, no warning), and one audited
 * no_seats refusal and one open waiting-list entry per no-seats page. Throws on any disagreement:
 * that is the server contradicting its own answers, whatever the seat count.
 */
function verifyBurst(counts: Counts, outcome: BurstOutcome, seats: number): string {
  const checked = verify(counts, outcome.seated);
  const problems: string[] = [];
  const noSeats = counts.refusals.no_seats ?? 0;
  if (noSeats !== outcome.refused)
    problems.push(`${noSeats} no_seats refusals audited for ${outcome.refused} no-seats pages`);
  if (counts.waitlisted !== outcome.refused)
    problems.push(`${counts.waitlisted} on the waiting list for ${outcome.refused} no-seats pages`);
  // The owner's invitation holds one seat; every other held seat is a JIT member's.
  const held = counts.pools.reduce((n, p) => n + p.held, 0);
  if (held !== 1 + outcome.seated)
    problems.push(`pools hold ${held} seats for ${outcome.seated} signed in + 1 invited`);
  for (const p of counts.pools)
    if (p.held > p.allocation) problems.push(`pool ${p.tierId} holds ${p.held} of ${p.allocation}`);
  if (problems.length > 0) throw new Error(`the server's state is wrong:\n  ${problems.join('\n  ')}`);
  return `${checked}; ${noSeats} no_seats refusals audited and ${counts.waitlisted} people on the waiting list = no-seats pages; ${seats} seats were free, ${counts.pools.map((p) => `${p.tierId} ${p.held} of ${p.allocation} held`).join(', ')}`;
}

/** Opens `sockets` keep-alive connections at once (GET /livez, which the echo server answers too). */
async function openConnections(http: HttpClient, sockets: number, what: string): Promise<void> {
  const answers = await Promise.all(Array.from({ length: sockets }, () => http.send('GET', '/livez')));
  requireAll(answers, 200, `${what}: opening connections`);
}

/**
 * 200 distinct people's first SAML sign-in (prepared and signed beforehand), all in flight at once,
 * to a JIT organisation with exactly 50 free seats. Value: the burst's wall time; baseline: the echo
 * server's for the same 200 requests, just before and just after. Goal: exactly 50 signed in and
 * seated, 150 answered with the no-seats page; the database must agree with the answers, or it fails.
 */
export function seatRaceScenario(name: string, backend: Backend): Scenario {
  return {
    name,
    async run(options: RunOptions): Promise<ScenarioResult> {
      const warm = burstWarmup(options);
      const r = new Resources();
      try {
        const { seatkeeper, echo } = await startServers(r, await backend.freshDatabase('sso_burst'));
        // One seat more than free: the owner's invitation holds one.
        const target = await samlOrganisation(r, seatkeeper, {
          slug: 'bench-burst',
          domain: 'burst.bench.example',
          seats: BURST.seats + 1,
        });
        const warmOrg = await samlOrganisation(r, seatkeeper, {
          slug: 'bench-burst-warm',
          domain: 'warm.bench.example',
          seats: warm.seats + 1,
        });
        const before = await seatkeeper.call<Counts>('counts', { organisationId: target.organisationId });
        const free = before.pools.reduce((n, p) => n + p.allocation - p.held, 0);
        if (free !== BURST.seats || before.jitMembers !== 0)
          throw new Error(
            `the organisation starts with ${free} free seats and ${before.jitMembers} JIT members`,
          );

        const prepareStarted = performance.now();
        const warmBodies = await warmOrg.prepare(warm.people, 'warm');
        const bodies = await target.prepare(BURST.people, 'person');
        const prepareSeconds = (performance.now() - prepareStarted) / 1000;

        // Every connection is open before the burst, so it times sign-ins, not TCP handshakes.
        const server = client(r, seatkeeper.url, FORM, BURST.people);
        const baseline = client(r, echo.url, FORM, BURST.people);
        await openConnections(server, BURST.people, 'seatkeeper');
        await openConnections(baseline, BURST.people, 'echo');
        const burst = (http: HttpClient, path: string, forms: readonly string[]) =>
          timeConcurrent(forms.length, forms.length, (i) => http.send('POST', path, forms[i]));

        // Warm-up: the smaller race on the other organisation (JIT seats and refusals alike), and the
        // burst's bodies once to the echo server.
        const warmed = outcomeOf((await burst(server, warmOrg.acsPath, warmBodies)).results);
        if (warmed.others.length > 0)
          throw new Error(
            `warm-up: ${warmed.others.length} unexpected answers:\n  ${warmed.others.slice(0, 3).map(sample).join('\n  ')}`,
          );
        const warmChecked = verifyBurst(
          await seatkeeper.call<Counts>('counts', { organisationId: warmOrg.organisationId }),
          warmed,
          warm.seats,
        );
        requireAll((await burst(baseline, target.acsPath, bodies)).results, 200, 'echo warm-up');

        // Timed: echo, server, echo, over the same bodies.
        const echoBefore = await burst(baseline, target.acsPath, bodies);
        const cpuBefore = cpuSecondsOf(seatkeeper.pid);
        const databaseBefore = await backend.databaseCpu();
        const ownBefore = process.cpuUsage();
        const signIns = await burst(server, target.acsPath, bodies);
        const serverCpu = cpuSince(cpuBefore, seatkeeper.pid);
        const ownCpu = cpuSeconds(process.cpuUsage(ownBefore));
        const databaseAfter = await backend.databaseCpu();
        const echoAfter = await burst(baseline, target.acsPath, bodies);
        requireAll([...echoBefore.results, ...echoAfter.results], 200, 'echo');

        const outcome = outcomeOf(signIns.results);
        const checked = verifyBurst(
          await seatkeeper.call<Counts>('counts', { organisationId: target.organisationId }),
          outcome,
          BURST.seats,
        );
        const correct = outcome.seated === BURST.seats && outcome.refused === BURST.people - BURST.seats;
        const ms = (t: Timing) => t.seconds * 1000;
        const value = ms(signIns.timing);
        const baselineValue = (ms(echoBefore.timing) + ms(echoAfter.timing)) / 2;
        const fastest = Math.min(...signIns.timing.latenciesMs);
        return {
          name,
          unit: 'ms',
          value,
          baseline: { name: 'express echo, same 200 POSTs at once', value: baselineValue },
          ratio: value / baselineValue,
          goal: {
            description: `exactly ${BURST.seats} seated, ${BURST.people - BURST.seats} clean refusals`,
            met: correct,
          },
          notes: [
            `${BURST.people} distinct people, each a first sign-in (a SAML POST to the ACS, full validation, no cookie), all ${BURST.people} in flight at once over ${BURST.people} keep-alive connections opened beforehand; the organisation is in JIT mode with exactly ${BURST.seats} free standard seats (allocation ${BURST.seats + 1}, the owner's invitation holds one) and no premium ones; every response was signed beforehand (prepare: ${prepareSeconds.toFixed(1)} s for ${warm.people + BURST.people} GET /sso/start + sign, not timed)`,
            `answers: ${outcome.seated} × 303 → /sso/me, ${outcome.refused} × 403 no-seats page (Reference: no_seats), ${outcome.others.length} other${outcome.others.length > 0 ? `: ${outcome.others.slice(0, 3).map(sample).join(' | ')}` : ''}; ${correct ? 'correct' : 'NOT CORRECT'}`,
            `wall time ${value.toFixed(0)} ms; first answer after ${fastest.toFixed(0)} ms, latency ${latencySummary(signIns.timing)}; echo ${ms(echoBefore.timing).toFixed(0)} ms before, ${ms(echoAfter.timing).toFixed(0)} ms after (the same ${BURST.people} bodies over its own ${BURST.people} connections)`,
            ...(await backend.notes()),
            `warm-up (not timed), on a second organisation of the same server: ${warm.people} first sign-ins at once against ${warm.seats} free seats, ${warmed.seated} signed in and ${warmed.refused} refused; then the burst's bodies once to the echo server`,
            `${cpuNote(signIns.timing.seconds, serverCpu, BURST.people, 'server')}; ${databaseBefore === undefined || databaseAfter === undefined ? '' : `PostgreSQL ${share(databaseAfter - databaseBefore, signIns.timing.seconds)}; `}this process (load generator): ${share(ownCpu, signIns.timing.seconds)}`,
            checked,
            `warm-up organisation ${warmChecked}`,
          ],
        };
      } finally {
        await r.close();
      }
    },
  };
}

export const seatRace = seatRaceScenario(
  `${BURST.people} concurrent first sign-ins against ${BURST.seats} seats`,
  sqlite,
);

// ---------------------------------------------------------------------------------------------
// OIDC

/** Authorization codes live 60 s at oidc-provider (its default TTL, which the test helper keeps),
 * and its development store is an LRU of 1,000 entries (interaction, session, grant, code … per
 * login), which evicts codes not yet redeemed when a few hundred logins are prepared at once. So
 * codes are prepared and redeemed in batches of at most CODE_BATCH_MAX logins, each prepared within
 * CODE_BATCH_SECONDS. */
const CODE_BATCH_MAX = 100;
const CODE_BATCH_SECONDS = 25;

/** A prepared OpenID Connect callback: the provider's redirect back, and the browser's cookie. */
interface Callback {
  readonly path: string;
  readonly cookie: string;
}

export const oidcSignIns: Scenario = {
  name: 'OIDC sign-ins per second',
  async run(options: RunOptions): Promise<ScenarioResult> {
    const { count, warmup } = oidcSizes(options);
    const r = new Resources();
    try {
      const { seatkeeper, echo } = await startServers(r);
      const slug = 'bench-oidc';
      const domain = 'oidc.bench.example';
      const { organisationId } = await seatkeeper.call<{ organisationId: number }>('organisation', {
        slug,
        domain,
        seats: count + warmup + 10,
      });
      const accountId = (i: number) => `user${i}`;
      const provider: OidcTestProvider = await startOidcProvider({
        accounts: Object.fromEntries(
          Array.from({ length: warmup + count }, (_, i) => [
            accountId(i),
            { email: `${accountId(i)}@${domain}`, email_verified: true, name: `User ${i}` },
          ]),
        ),
        clients: [
          {
            client_id: 'seatkeeper',
            client_secret: 'bench-secret',
            redirect_uris: [`${seatkeeper.url}/sso/oidc/callback`],
          },
        ],
      });
      r.add(() => provider.close());
      await seatkeeper.call('oidcConnection', {
        organisationId,
        issuer: provider.issuer,
        clientId: 'seatkeeper',
        clientSecret: 'bench-secret',
      });

      const starter = client(r, seatkeeper.url, {}, PREPARE_CONCURRENCY);
      const server = client(r, seatkeeper.url, {}, CONCURRENCY);
      const baseline = client(r, echo.url, {}, CONCURRENCY);
      let prepareSeconds = 0;
      /** Untimed: for people from..from+n-1, GET /sso/start and the provider's login, as a browser
       * would; the callback's path and query (code, state, iss) and the browser's binding cookie.
       * Stops early when the batch's time is up, so every code is redeemed well within its lifetime. */
      const prepare = async (from: number, n: number): Promise<Callback[]> => {
        const started = performance.now();
        const paths: Callback[] = [];
        let next = from;
        const worker = async () => {
          while (next < from + n && performance.now() - started < CODE_BATCH_SECONDS * 1000) {
            const i = next++;
            const { location, cookie } = await startSignIn(starter, slug);
            const callback = await provider.login(location, accountId(i));
            paths.push({ path: `${callback.pathname}${callback.search}`, cookie });
          }
        };
        await Promise.all(Array.from({ length: PREPARE_CONCURRENCY }, worker));
        prepareSeconds += (performance.now() - started) / 1000;
        return paths;
      };

      // Warm-up (also discovers the provider and fetches its keys once).
      const warmPaths = await prepare(0, warmup);
      if (warmPaths.length !== warmup) throw new Error('could not prepare the warm-up codes in time');
      const get = (http: HttpClient, c: Callback) =>
        http.send('GET', c.path, undefined, { cookie: c.cookie });
      const warm = await timeConcurrent(warmup, CONCURRENCY, (i) => get(server, warmPaths[i]!));
      requireAll(warm.results, 303, 'OIDC warm-up sign-ins', '/sso/me');
      requireAll(
        (await timeConcurrent(warmup, CONCURRENCY, (i) => get(baseline, warmPaths[i]!))).results,
        200,
        'echo',
      );

      // Timed, batch by batch: echo, server, echo over the batch's callback URLs.
      const batches: number[] = [];
      let signIns: Timing | undefined;
      let echoT: Timing | undefined;
      const serverCpu = { total: 0, main: 0 };
      let ownCpu = 0;
      const add = (a: Timing | undefined, b: Timing) => (a ? joined(a, b) : b);
      for (let done = 0; done < count;) {
        const paths = await prepare(warmup + done, Math.min(CODE_BATCH_MAX, count - done));
        const timed = (http: HttpClient) =>
          timeConcurrent(paths.length, CONCURRENCY, (i) => get(http, paths[i]!));
        const echoBefore = await timed(baseline);
        const cpuBefore = cpuSecondsOf(seatkeeper.pid);
        const ownBefore = process.cpuUsage();
        const batch = await timed(server);
        const batchCpu = cpuSince(cpuBefore, seatkeeper.pid);
        serverCpu.total += batchCpu.total;
        serverCpu.main += batchCpu.main;
        ownCpu += cpuSeconds(process.cpuUsage(ownBefore));
        const echoAfter = await timed(baseline);
        requireAll(batch.results, 303, 'OIDC sign-ins', '/sso/me');
        requireAll([...echoBefore.results, ...echoAfter.results], 200, 'echo');
        signIns = add(signIns, batch.timing);
        echoT = add(add(echoT, echoBefore.timing), echoAfter.timing);
        batches.push(paths.length);
        done += paths.length;
      }

      const checked = verify(await seatkeeper.call<Counts>('counts', { organisationId }), warmup + count);
      const value = rate(signIns!);
      const baselineValue = rate(echoT!);
      return {
        name: oidcSignIns.name,
        unit: 'sign-ins/s',
        value,
        baseline: { name: 'express echo, same GET', value: baselineValue },
        ratio: value / baselineValue,
        goal: { description: 'none (reported)', met: true },
        notes: [
          `${count} distinct people timed after ${warmup} warm-up, ${CONCURRENCY} in flight (keep-alive); each GET /sso/oidc/callback is the state lookup, the code exchange with PKCE at the provider (loopback), ID token validation against its JWKS, a JIT member + seat + identity, and a session; only 303 → /sso/me counted`,
          `server and echo each in a child process; the OpenID Provider (oidc-provider) runs in this process next to the load generator, so its token endpoint shares this event loop, and it shares the 2 cores with the server: the figure is the pair's, not the server's alone`,
          `codes live 60 s at the provider, and its development store (an LRU of 1,000 entries) evicts unredeemed ones, so they were prepared and redeemed in ${batches.length} batch(es) of ${batches.join(', ')} (prepare: ${prepareSeconds.toFixed(1)} s for ${warmup + count} provider logins, not timed); with batches this small, ramp-up and tail count`,
          `sign-in latency ${latencySummary(signIns!)}; echo ${perSecond(baselineValue)}, latency ${latencySummary(echoT!)}`,
          `${cpuNote(signIns!.seconds, serverCpu, count, 'server')}; this process (load generator + provider): ${share(ownCpu, signIns!.seconds)}`,
          checked,
        ],
      };
    } finally {
      await r.close();
    }
  },
};

// ---------------------------------------------------------------------------------------------
// One verification, with and without the libraries' speed-ups (sso/saml-speedups.ts)

/**
 * verifySamlResponse in this thread on the same responses (both signatures, as in "SAML sign-ins per
 * second"), round-robin: each response is verified with the speed-ups on and with the libraries'
 * own code in turn, so a noisy neighbour slows both alike. The first rounds warm up and are not
 * counted. Every verdict is checked: each response must be accepted, with the same identity, both ways.
 */
const samlVerifyRoundRobin: Scenario = {
  name: 'SAML verification in one thread, speed-ups on vs off (round-robin)',
  async run({ quick }: RunOptions): Promise<ScenarioResult> {
    const { responses, rounds, warmRounds } = quick
      ? { responses: 10, rounds: 6, warmRounds: 2 }
      : { responses: 40, rounds: 24, warmRounds: 4 };
    const clock = new FixedClock(DateTime.utc().toISO());
    const sp: SamlConnectionConfig = {
      connectionId: 1,
      spEntityId: 'https://bench.seatkeeper.test/sso/saml/1',
      acsUrl: 'https://bench.seatkeeper.test/sso/saml/1/acs',
      idpEntityId: 'https://idp.test/bench-verify',
      idpSsoUrl: 'https://idp.test/bench-verify/sso',
      idpCerts: [],
      responseSigned: true,
      nameIdFormat: null,
      attributeMap: {},
      idpInitiated: false,
    };
    const idp = startSamlIdp({
      spMetadata: samlServiceProviderMetadata(sp),
      entityId: sp.idpEntityId,
      now: () => clock.now(),
    });
    const statuses = installSamlSpeedups();
    try {
      const config = { ...sp, idpCerts: [idp.certPem] };
      const bodies: string[] = [];
      for (let i = 0; i < responses; i++) {
        const { redirectUrl } = await startSamlLogin(config, 'bench', {
          clock,
          requests: { save: () => {} },
        });
        const posted = await idp.respond(redirectUrl, {
          nameId: `verify-${i}-id`,
          attributes: { [EMAIL_ATTRIBUTE]: `verify-${i}@saml.bench.example` },
        });
        bodies.push(readSamlResponse(config, posted));
      }
      const nowMs = clock.now().toMillis();
      const spent = { on: 0, off: 0 };
      const latencies = { on: [] as number[], off: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        for (const [i, body] of bodies.entries()) {
          // Each response on then off (off then on every other round), so a busy spell of the
          // machine falls on both alike.
          for (const mode of (round + i) % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
            setSamlSpeedups(mode === 'on');
            // The speed-ups' own comparison: both ways through node-saml, as before the direct path.
            setSamlDirect(false);
            const t0 = performance.now();
            const verified = await verifySamlResponse(config, body, nowMs);
            const ms = performance.now() - t0;
            if (verified.identity.subject !== `verify-${i}-id`)
              throw new Error(`response ${i} verified as ${verified.identity.subject}`);
            if (round < warmRounds) continue;
            spent[mode] += ms;
            latencies[mode].push(ms);
          }
        }
      }
      setSamlSpeedups(true);
      setSamlDirect(true);
      const timing = (mode: 'on' | 'off'): Timing => ({
        ops: latencies[mode].length,
        seconds: spent[mode] / 1000,
        latenciesMs: Float64Array.from(latencies[mode]),
      });
      const on = timing('on');
      const off = timing('off');
      const value = rate(on);
      const baselineValue = rate(off);
      const installed = statuses.filter((s) => s.installed).map((s) => s.name);
      return {
        name: samlVerifyRoundRobin.name,
        unit: 'verifications/s',
        value,
        baseline: { name: "the libraries' own code, same responses", value: baselineValue },
        ratio: value / baselineValue,
        goal: { description: ">= 1.5x the libraries' own code", met: value >= 1.5 * baselineValue },
        notes: [
          `${responses} responses (both the Response and its assertion signed, RSA-2048/SHA-256, exc-c14n; ${Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length).toLocaleString('en-US')} base64 characters) verified ${rounds - warmRounds} times each way after ${warmRounds} warm-up rounds, each response on and off in turn, one at a time in this thread`,
          `speed-ups on: ${(spent.on / on.ops).toFixed(2)} ms per verification (${latencySummary(on)}); off: ${(spent.off / off.ops).toFixed(2)} ms (${latencySummary(off)}); on/off time ${(spent.on / on.ops / (spent.off / off.ops)).toFixed(2)}, of the medians ${(quantile(on.latenciesMs, 0.5) / quantile(off.latenciesMs, 0.5)).toFixed(2)}`,
          `installed: ${installed.join(', ') || 'none'}${
            statuses.some((s) => !s.installed)
              ? `; not installed: ${statuses
                  .filter((s) => !s.installed)
                  .map((s) => `${s.name} (${s.reason})`)
                  .join('; ')}`
              : ''
          }`,
        ],
      };
    } finally {
      setSamlSpeedups(true);
      setSamlDirect(true);
      idp.close();
    }
  },
};

// ---------------------------------------------------------------------------------------------
// One verification: the direct path, node-saml's path, and the code before the speed work

/** How a verification runs: the libraries' speed-ups and the direct path (sso/saml-direct.ts). */
const VERIFY_MODES = {
  direct: { speedups: true, direct: true },
  'node-saml': { speedups: true, direct: false },
  before: { speedups: false, direct: false },
} as const;
type VerifyMode = keyof typeof VERIFY_MODES;

/**
 * verifySamlResponse in this thread on the same responses (both signatures), round-robin over three
 * ways: the direct path on one parsed document (with the speed-ups, as the server runs), node-saml's
 * path with the speed-ups (before the direct path), and node-saml with the libraries' own code
 * (before the speed work). Each response goes through the three in turn, in a rotating order, so a
 * noisy neighbour slows them alike; the first rounds warm up and are not counted. Every verdict is
 * checked: each response must be accepted with the same identity all three ways.
 */
const samlDirectRoundRobin: Scenario = {
  name: 'SAML verification in one thread, direct vs before the speed work (round-robin)',
  async run({ quick }: RunOptions): Promise<ScenarioResult> {
    const { responses, rounds, warmRounds } = quick
      ? { responses: 10, rounds: 6, warmRounds: 2 }
      : { responses: 40, rounds: 24, warmRounds: 4 };
    const clock = new FixedClock(DateTime.utc().toISO());
    const sp: SamlConnectionConfig = {
      connectionId: 1,
      spEntityId: 'https://bench.seatkeeper.test/sso/saml/1',
      acsUrl: 'https://bench.seatkeeper.test/sso/saml/1/acs',
      idpEntityId: 'https://idp.test/bench-verify',
      idpSsoUrl: 'https://idp.test/bench-verify/sso',
      idpCerts: [],
      responseSigned: true,
      nameIdFormat: null,
      attributeMap: {},
      idpInitiated: false,
    };
    const idp = startSamlIdp({
      spMetadata: samlServiceProviderMetadata(sp),
      entityId: sp.idpEntityId,
      now: () => clock.now(),
    });
    installSamlSpeedups();
    const modes = Object.keys(VERIFY_MODES) as VerifyMode[];
    try {
      const config = { ...sp, idpCerts: [idp.certPem] };
      const bodies: string[] = [];
      for (let i = 0; i < responses; i++) {
        const { redirectUrl } = await startSamlLogin(config, 'bench', {
          clock,
          requests: { save: () => {} },
        });
        const posted = await idp.respond(redirectUrl, {
          nameId: `verify-${i}-id`,
          attributes: { [EMAIL_ATTRIBUTE]: `verify-${i}@saml.bench.example` },
        });
        bodies.push(readSamlResponse(config, posted));
      }
      const nowMs = clock.now().toMillis();
      const latencies: Record<VerifyMode, number[]> = { direct: [], 'node-saml': [], before: [] };
      for (let round = 0; round < rounds; round++) {
        for (const [i, body] of bodies.entries()) {
          const shift = (round + i) % modes.length;
          for (const mode of [...modes.slice(shift), ...modes.slice(0, shift)]) {
            setSamlSpeedups(VERIFY_MODES[mode].speedups);
            setSamlDirect(VERIFY_MODES[mode].direct);
            const t0 = performance.now();
            const verified = await verifySamlResponse(config, body, nowMs);
            const ms = performance.now() - t0;
            if (verified.identity.subject !== `verify-${i}-id`)
              throw new Error(`response ${i} verified as ${verified.identity.subject} (${mode})`);
            if (round >= warmRounds) latencies[mode].push(ms);
          }
        }
      }
      const timing = (mode: VerifyMode): Timing => ({
        ops: latencies[mode].length,
        seconds: latencies[mode].reduce((a, b) => a + b, 0) / 1000,
        latenciesMs: Float64Array.from(latencies[mode]),
      });
      const t = { direct: timing('direct'), 'node-saml': timing('node-saml'), before: timing('before') };
      const ms = (mode: VerifyMode) => (t[mode].seconds * 1000) / t[mode].ops;
      const median = (mode: VerifyMode) => quantile(t[mode].latenciesMs, 0.5);
      const value = rate(t.direct);
      const baselineValue = rate(t.before);
      setSamlSpeedups(true);
      setSamlDirect(true);
      const status = samlDirectStatus();
      return {
        name: samlDirectRoundRobin.name,
        unit: 'verifications/s',
        value,
        baseline: { name: 'node-saml, libraries own code, same responses', value: baselineValue },
        ratio: value / baselineValue,
        goal: { description: '>= 1.5x before the speed work', met: value >= 1.5 * baselineValue },
        notes: [
          `${responses} responses (the Response and its assertion signed, RSA-2048/SHA-256, exc-c14n) verified ${rounds - warmRounds} times each way after ${warmRounds} warm-up rounds, the three ways in turn for each response, one at a time in this thread`,
          `direct path (speed-ups on): ${ms('direct').toFixed(2)} ms per verification (${latencySummary(t.direct)}); node-saml with the speed-ups: ${ms('node-saml').toFixed(2)} ms (${latencySummary(t['node-saml'])}); node-saml, libraries' own code: ${ms('before').toFixed(2)} ms (${latencySummary(t.before)})`,
          `direct / node-saml with speed-ups: time ${(ms('direct') / ms('node-saml')).toFixed(2)}, medians ${(median('direct') / median('node-saml')).toFixed(2)}; direct / before: time ${(ms('direct') / ms('before')).toFixed(2)}, medians ${(median('direct') / median('before')).toFixed(2)}`,
          `direct path: ${status.reason === null ? 'in use' : `not in use (${status.reason})`}`,
        ],
      };
    } finally {
      setSamlSpeedups(true);
      setSamlDirect(true);
      idp.close();
    }
  },
};

export const ssoScenarios: readonly Scenario[] = [
  samlSignIns,
  samlAssertionSignIns,
  samlVerifyRoundRobin,
  samlDirectRoundRobin,
  oidcSignIns,
  seatRace,
];
