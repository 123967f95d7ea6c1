// "hostile tenant": two organisations in one Seatkeeper server process. One (the victim) runs
// Okta's existence check (GET /Users?filter=userName eq "…") over two connections; the other sends,
// over two connections of its own and as fast as it is answered, the worst requests the SCIM limits
// allow (scim/limits.ts): a PATCH of MAX_USER_PATCH_OPERATIONS value-filtered operations on a user
// holding MAX_VALUES long emails, a filter of MAX_FILTER_TERMS `co` terms over its whole directory,
// list pages of count=1000 over users at the limits (the page budget applies), the same as a root
// search, and creates of users at the limits. The victim's latency is measured alone and with the
// hostile load, in alternating slices; the server's event-loop delay is read inside its process
// (perf_hooks.monitorEventLoopDelay). SCIM rate limits are off, so only the request limits bound
// the hostile side.
//
// Value: the victim's p99 with the hostile load; baseline: its p99 alone; goal <= 2 ×.
import { randomInt } from 'node:crypto';
import { oktaFindPath, SCIM_BASE, seededUserName } from './http/bodies.js';
import { Servers } from './http/child.js';
import { cannon, describeStatuses, httpClient, merge, scimHeaders, type LoadResult } from './http/load.js';
import { announced, freshServer, type Announced } from './http/templates.js';
import { latencySummary, quantile, type RunOptions, type Scenario, type ScenarioResult } from './scenario.js';
import { asTiming } from './http/load.js';
import {
  MAX_FILTER_TERMS,
  MAX_STRING_LENGTH,
  MAX_USER_BYTES,
  MAX_USER_PATCH_OPERATIONS,
  MAX_VALUES,
} from '../scim/limits.js';

const HOSTILE_DOMAIN = 'hostile.example';
const VICTIM_CONNECTIONS = 2;
const HOSTILE_CONNECTIONS = 2;

interface Sizes {
  readonly victimUsers: number;
  /** Ordinary users in the hostile organisation's directory (what its filters scan). */
  readonly hostileUsers: number;
  /** Users at the limits, created over HTTP before the measurement. */
  readonly fatUsers: number;
  readonly rounds: number;
  readonly seconds: number;
}

const FULL: Sizes = { victimUsers: 1_000, hostileUsers: 20_000, fatUsers: 8, rounds: 3, seconds: 5 };
const QUICK: Sizes = { victimUsers: 1_000, hostileUsers: 2_000, fatUsers: 4, rounds: 1, seconds: 2 };

/** A string `length` long, different per `seed`, so that every write changes something. */
const filled = (seed: string, length: number): string => seed.padEnd(length, '.');

/** Room per email of a user at the limits: MAX_VALUES of them and a longest displayName fill MAX_USER_BYTES. */
const DISPLAY_LENGTH = Math.floor((MAX_USER_BYTES - MAX_STRING_LENGTH - 1500) / MAX_VALUES) - 80;

/** A user at the limits: a displayName of MAX_STRING_LENGTH, MAX_VALUES emails with long displays, just under MAX_USER_BYTES. */
function fatUser(key: string): Record<string, unknown> {
  const userName = `${key}@${HOSTILE_DOMAIN}`;
  const user = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    displayName: filled(key, MAX_STRING_LENGTH),
    emails: Array.from({ length: MAX_VALUES }, (_, j) => ({
      value: j === 0 ? userName : `${key}.${j}@${HOSTILE_DOMAIN}`,
      type: 'work',
      primary: j === 0,
      display: filled(`${key}.${j}`, DISPLAY_LENGTH),
    })),
  };
  const bytes = Buffer.byteLength(JSON.stringify(user));
  if (bytes > MAX_USER_BYTES) throw new Error(`the user at the limits is ${bytes} bytes`);
  return user;
}

type Kind = 'patch' | 'filter' | 'page' | 'search' | 'create';
const KINDS: readonly Kind[] = ['patch', 'filter', 'page', 'search', 'create'];

interface HostileStats {
  readonly latencies: Map<Kind, number[]>;
  readonly statuses: Map<number, number>;
  itemsPerPage: number[];
}

/** Users created by the hostile side so far: each create is a new userName, across rounds. */
let created = 0;

/** One worst request of `kind`; `n` and `lane` make its users and values differ between requests. */
function sendHostile(
  client: ReturnType<typeof httpClient>,
  kind: Kind,
  n: number,
  lane: number,
  fatIds: readonly string[],
  firstFat: number,
) {
  const fat = (n * HOSTILE_CONNECTIONS + lane) % fatIds.length;
  if (kind === 'patch') {
    const operations = Array.from({ length: MAX_USER_PATCH_OPERATIONS }, (_, i) => ({
      op: 'replace',
      path: `emails[value eq "fat${fat}.${(i % (MAX_VALUES - 1)) + 1}@${HOSTILE_DOMAIN}"].display`,
      value: filled(`${n}.${i}`, DISPLAY_LENGTH),
    }));
    return client.send(
      'PATCH',
      `${SCIM_BASE}/Users/${fatIds[fat]}`,
      JSON.stringify({ Operations: operations }),
    );
  }
  if (kind === 'filter') {
    const filter = Array.from({ length: MAX_FILTER_TERMS }, () => 'emails[value co "q"]').join(' or ');
    return client.send('GET', `${SCIM_BASE}/Users?filter=${encodeURIComponent(filter)}`);
  }
  if (kind === 'page') return client.send('GET', `${SCIM_BASE}/Users?startIndex=${firstFat}&count=1000`);
  if (kind === 'search')
    return client.send('POST', `${SCIM_BASE}/.search`, JSON.stringify({ startIndex: firstFat, count: 1000 }));
  return client.send('POST', `${SCIM_BASE}/Users`, JSON.stringify(fatUser(`more${++created}`)));
}

/** Sends the worst requests in turn over one connection until `stop.done`. */
async function hostileLane(
  client: ReturnType<typeof httpClient>,
  lane: number,
  fatIds: readonly string[],
  firstFat: number,
  stop: { done: boolean },
  stats: HostileStats,
): Promise<void> {
  for (let n = 0; !stop.done; n++) {
    const kind = KINDS[(n + lane) % KINDS.length]!;
    const answer = await sendHostile(client, kind, n, lane, fatIds, firstFat);
    stats.statuses.set(answer.status, (stats.statuses.get(answer.status) ?? 0) + 1);
    stats.latencies.get(kind)!.push(answer.ms);
    if ((kind === 'page' || kind === 'search') && answer.status === 200)
      stats.itemsPerPage.push((JSON.parse(answer.text) as { itemsPerPage: number }).itemsPerPage);
  }
}

interface LoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

export const hostileTenant: Scenario = {
  name: 'hostile tenant',
  async run(options: RunOptions): Promise<ScenarioResult> {
    const z = options.quick ? QUICK : FULL;
    const servers = new Servers();
    try {
      const server = await freshServer(servers, 'seatkeeper-tenants');
      const victim = announced(server);
      process.stderr.write(`  seeding ${z.victimUsers} + ${z.hostileUsers} users …\n`);
      await server.call('seedUsers', {
        organisationId: victim.organisationId,
        tokenId: victim.tokenId,
        count: z.victimUsers,
      });
      const hostile = await server.call<Announced>('createOrganisation', {
        slug: 'hostile',
        domain: HOSTILE_DOMAIN,
        standardSeats: 1_000_000,
      });
      await server.call('seedUsers', {
        organisationId: hostile.organisationId,
        tokenId: hostile.tokenId,
        count: z.hostileUsers,
      });
      const hostileClient = httpClient(server.url, scimHeaders(hostile.token), HOSTILE_CONNECTIONS);
      const fatIds: string[] = [];
      for (let k = 0; k < z.fatUsers; k++) {
        const answer = await hostileClient.send(
          'POST',
          `${SCIM_BASE}/Users`,
          JSON.stringify(fatUser(`fat${k}`)),
        );
        if (answer.status !== 201)
          throw new Error(`creating a user at the limits: ${answer.status} ${answer.text}`);
        fatIds.push((JSON.parse(answer.text) as { id: string }).id);
      }
      // The hostile organisation's list, past its ordinary users: the users at the limits.
      const firstFat = z.hostileUsers + 1;

      const lookups = () => ({
        method: 'GET' as const,
        path: oktaFindPath(seededUserName(randomInt(z.victimUsers))),
      });
      const victimRun = () =>
        cannon({
          url: server.url,
          connections: VICTIM_CONNECTIONS,
          seconds: z.seconds,
          headers: scimHeaders(victim.token),
          next: lookups,
        });
      await cannon({
        url: server.url,
        connections: VICTIM_CONNECTIONS,
        seconds: 1,
        headers: scimHeaders(victim.token),
        next: lookups,
      });

      // The PATCH threads start at the first PATCH that needs one, as the reader threads at the
      // first list (warmed by the victim's lookups above): one PATCH first, so that what follows
      // measures the work, not a thread starting (under tsx, that loads its loader in the thread).
      const warm = await sendHostile(hostileClient, 'patch', 999, 0, fatIds, firstFat);
      if (warm.status !== 200) throw new Error(`warm-up PATCH: ${warm.status} ${warm.text.slice(0, 300)}`);

      // Each worst request alone, three times, nothing else running: its own latency, and the
      // longest the server's event loop was held meanwhile.
      const solo: string[] = [];
      for (const kind of KINDS) {
        await server.call('eventLoop', { action: 'start' });
        let slowest = 0;
        for (let n = 0; n < 3; n++) {
          const answer = await sendHostile(hostileClient, kind, 1000 + n, 0, fatIds, firstFat);
          if (answer.status >= 300)
            throw new Error(`${kind} alone: ${answer.status} ${answer.text.slice(0, 300)}`);
          slowest = Math.max(slowest, answer.ms);
        }
        const held = await server.call<LoopDelay>('eventLoop', { action: 'stop' });
        solo.push(`${kind} ${ms(slowest)} (loop held ≤ ${ms(held.maxMs)})`);
      }

      const alone: LoadResult[] = [];
      const attacked: LoadResult[] = [];
      const aloneLoop: LoopDelay[] = [];
      const attackedLoop: LoopDelay[] = [];
      const stats: HostileStats = {
        latencies: new Map(KINDS.map((k) => [k, [] as number[]])),
        statuses: new Map(),
        itemsPerPage: [],
      };
      for (let round = 0; round < z.rounds; round++) {
        await server.call('eventLoop', { action: 'start' });
        alone.push(await victimRun());
        aloneLoop.push(await server.call<LoopDelay>('eventLoop', { action: 'stop' }));

        await server.call('eventLoop', { action: 'start' });
        const stop = { done: false };
        const lanes = Array.from({ length: HOSTILE_CONNECTIONS }, (_, lane) =>
          hostileLane(hostileClient, lane, fatIds, firstFat, stop, stats),
        );
        attacked.push(await victimRun());
        stop.done = true;
        await Promise.all(lanes);
        attackedLoop.push(await server.call<LoopDelay>('eventLoop', { action: 'stop' }));
      }
      hostileClient.close();

      const aloneAll = merge(alone);
      const attackedAll = merge(attacked);
      for (const [name, r] of [
        ['victim alone', aloneAll],
        ['victim with the hostile load', attackedAll],
      ] as const) {
        const others = [...r.statuses.keys()].filter((s) => s !== 200);
        if (others.length > 0 || r.errors > 0)
          throw new Error(`${name}: ${describeStatuses(r.statuses)}, ${r.errors} connection errors`);
      }
      const hostileErrors = [...stats.statuses.keys()].filter((s) => s >= 300);
      if (hostileErrors.length > 0)
        throw new Error(
          `hostile requests within the limits were refused: ${describeStatuses(stats.statuses)}`,
        );

      const value = quantile(attackedAll.latenciesMs, 0.99);
      const baseline = quantile(aloneAll.latenciesMs, 0.99);
      const ratio = value / baseline;
      const worst = (loops: readonly LoopDelay[]) => Math.max(...loops.map((l) => l.maxMs));
      const kinds = KINDS.map((k) => {
        const l = Float64Array.from(stats.latencies.get(k)!);
        return `${k} ×${l.length} p50 ${ms(quantile(l, 0.5))} max ${ms(quantile(l, 1))}`;
      });
      return {
        name: this.name,
        unit: 'ms (victim p99)',
        value,
        baseline: { name: 'victim p99 alone', value: baseline },
        ratio,
        goal: { description: '<= 2 × the victim alone', met: ratio <= 2 },
        notes: [
          `one server process, two organisations; victim: ${z.victimUsers} users, userName eq lookups over ${VICTIM_CONNECTIONS} connections; hostile: ${z.hostileUsers} users + ${z.fatUsers} at the limits, ${HOSTILE_CONNECTIONS} connections; ${z.rounds} × ${z.seconds} s alternating slices (alone, attacked)`,
          `victim alone: ${latencySummary(asTiming(aloneAll))}; attacked: ${latencySummary(asTiming(attackedAll))}`,
          `server event-loop delay (monitorEventLoopDelay): alone max ${ms(worst(aloneLoop))}; attacked p99 ${ms(Math.max(...attackedLoop.map((l) => l.p99Ms)))}, max ${ms(worst(attackedLoop))}`,
          `each worst request alone (slowest of 3): ${solo.join('; ')}`,
          `hostile requests (all answered 2xx: ${describeStatuses(stats.statuses)}): ${kinds.join('; ')}`,
          `list pages over users at the limits (count=1000): itemsPerPage ${[...new Set(stats.itemsPerPage)].join(', ')}`,
        ],
      };
    } finally {
      await servers.stopAll();
    }
  },
};
