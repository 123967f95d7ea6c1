// Seat usage over the current term, day by day: per tier the seats bought, held, seated and held by
// invitations at the end of each day, replayed from the audit log, and its CSV (docs/rules.md,
// "Seat usage over time").
//
// Why replay the log rather than keep daily snapshots: every seat move and every allocation change
// is audited in its own transaction with the state after it (the log's promise, docs/rules.md,
// "Audit"), so the history is exact for every day since the organisation began, including days
// before this feature shipped, and no job has to run (or be backfilled) for a day to count. The
// price is one pass over the organisation's seat rows of the log per request, read as a stream.
import { DateTime } from 'luxon';
import type { Clock } from '../domain/clock.js';
import { NotFoundError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';
import { termEnd } from '../domain/term.js';
import type { Store } from '../db/port.js';
import { requireOrganisation } from './contract-state.js';
import { requireRole } from './roles.js';

export interface UsageDay {
  /** A calendar date in the contract's time zone. */
  readonly date: string;
  /** Seats bought (the allocation). */
  readonly bought: number;
  /** Seats held: seated members and pending invitations. */
  readonly held: number;
  readonly seated: number;
  readonly invited: number;
  readonly available: number;
}

export interface TierHistory {
  readonly tierId: string;
  readonly tierName: string;
  readonly rank: number;
  readonly days: UsageDay[];
}

export interface UsageHistory {
  readonly termNumber: number;
  /** First and last day of the term, in the contract's time zone. */
  readonly termStart: string;
  readonly termEnd: string;
  readonly timeZone: string;
  /** The last day shown: today (its state as of now), or the term's last day once it is over. */
  readonly through: string | null;
  /** Highest tier first; each with one entry per day from the term's first day to `through`. */
  readonly tiers: TierHistory[];
}

interface Counts {
  bought: number;
  seated: number;
  invited: number;
}

/** The CSV's columns: one row per day per tier. */
export const USAGE_CSV_COLUMNS = [
  'date',
  'tier',
  'bought',
  'held',
  'seated',
  'invited',
  'available',
] as const;

/**
 * The history as CSV (RFC 4180): a header row, then per day (oldest first) one row per tier
 * (highest first); CRLF line ends. Every value is a date, a tier id or a whole number, so no field
 * needs quoting or a formula guard.
 */
export function usageCsv(history: UsageHistory): string {
  const lines = [USAGE_CSV_COLUMNS.join(',')];
  const days = history.tiers[0]?.days.length ?? 0;
  for (let i = 0; i < days; i++) {
    for (const tier of history.tiers) {
      const d = tier.days[i]!;
      lines.push([d.date, tier.tierId, d.bought, d.held, d.seated, d.invited, d.available].join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function createUsageHistory({ store, clock }: { readonly store: Store; readonly clock: Clock }) {
  return {
    /** The current term's usage per tier and day, as of now (administrators). */
    async history(organisationId: number, actor: Actor): Promise<UsageHistory> {
      return await store.read(async (q) => {
        const organisation = await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'admin', 'see seat usage');
        const contract = await q.contracts.byOrganisation(organisationId);
        if (!contract) throw new NotFoundError(`Organisation "${organisation.slug}" has no contract.`);
        const zone = contract.timeZone;
        const first = DateTime.fromISO(contract.termStart, { zone }).startOf('day');
        const end = termEnd(contract.termStart, zone);
        const now = clock.now();
        const today = now.setZone(zone).startOf('day');
        const last = today < end ? today : end.minus({ days: 1 });
        const tiers = await q.tiers.all();

        // Each day's state is the state at its end (the next midnight in the contract's zone), today's
        // the state now (every change so far). Boundaries are UTC instants written as the log writes
        // `at`, so they compare as text.
        const boundaries: { date: string; until: string }[] = [];
        for (let day = first; day <= last; day = day.plus({ days: 1 })) {
          const next = day.plus({ days: 1 });
          boundaries.push({ date: day.toISODate()!, until: next > now ? '\uffff' : next.toUTC().toISO()! });
        }

        const members = new Map<string, { seatState: string; tierId: string | null }>();
        const counts = new Map<string, Counts>(
          tiers.map((t) => [t.id, { bought: 0, seated: 0, invited: 0 }]),
        );
        const countOf = (tierId: string) => {
          let c = counts.get(tierId);
          if (!c) counts.set(tierId, (c = { bought: 0, seated: 0, invited: 0 }));
          return c;
        };
        const shift = (seatState: string, tierId: string | null, by: 1 | -1) => {
          if (tierId === null || (seatState !== 'seated' && seatState !== 'invited')) return;
          countOf(tierId)[seatState] += by;
        };
        const days = new Map<string, UsageDay[]>(tiers.map((t) => [t.id, []]));
        const record = (date: string) => {
          for (const t of tiers) {
            const c = countOf(t.id);
            const held = c.seated + c.invited;
            days.get(t.id)!.push({
              date,
              bought: c.bought,
              held,
              seated: c.seated,
              invited: c.invited,
              available: Math.max(c.bought - held, 0),
            });
          }
        };

        let next = 0;
        for await (const change of q.audit.seatChanges(organisationId)) {
          while (next < boundaries.length && change.at >= boundaries[next]!.until) {
            record(boundaries[next]!.date);
            next += 1;
          }
          if (next >= boundaries.length) break;
          if ('allocation' in change) {
            for (const [tierId, n] of Object.entries(change.allocation)) countOf(tierId).bought = n;
            // The renewal into this term runs after its first midnight (the job's next run), but
            // what it bought is the term's from its first day: the days already counted get it.
            if (change.termStart === contract.termStart) {
              for (const t of tiers) {
                const bought = countOf(t.id).bought;
                for (const [i, d] of days.get(t.id)!.entries()) {
                  days.get(t.id)![i] = { ...d, bought, available: Math.max(bought - d.held, 0) };
                }
              }
            }
          } else {
            const before = members.get(change.memberId);
            if (before) shift(before.seatState, before.tierId, -1);
            shift(change.seatState, change.tierId, 1);
            members.set(change.memberId, { seatState: change.seatState, tierId: change.tierId });
          }
        }
        for (; next < boundaries.length; next++) record(boundaries[next]!.date);

        return {
          termNumber: contract.termNumber,
          termStart: contract.termStart,
          termEnd: end.minus({ days: 1 }).toISODate()!,
          timeZone: zone,
          through: boundaries.at(-1)?.date ?? null,
          tiers: tiers.map((t) => ({ tierId: t.id, tierName: t.name, rank: t.rank, days: days.get(t.id)! })),
        };
      });
    },
  };
}

export type UsageHistoryService = ReturnType<typeof createUsageHistory>;
