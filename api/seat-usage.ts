// Seat usage over time: per tier and day of the current term, the seats bought, held, seated and
// held by invitations, as JSON for the console's chart and as CSV (one row per day per tier).
import { z } from 'zod';
import { usageCsv, type UsageHistory, type UsageHistoryService } from '../seats/usage-history.js';
import { ok, route, type Route } from './route.js';
import { CalendarDate } from './schemas.js';

const TAG = 'Seat usage';

/** The current term only, for now: any query parameter is refused rather than ignored. */
const NoQuery = z.strictObject({});

const UsageDaySchema = z.object({
  date: CalendarDate,
  bought: z.number().int().min(0),
  held: z.number().int().min(0),
  seated: z.number().int().min(0),
  invited: z.number().int().min(0),
  available: z.number().int().min(0),
});

const UsageHistorySchema = z
  .object({
    term: z.object({ number: z.number().int().min(1), start: CalendarDate, end: CalendarDate }),
    timeZone: z.string(),
    through: CalendarDate.nullable().meta({
      description: 'The last day listed: today (as of now), or the last day of a term that is over.',
    }),
    tiers: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        rank: z.number().int(),
        days: z.array(UsageDaySchema),
      }),
    ),
  })
  .meta({ id: 'SeatUsageHistory' });

function historyJson(h: UsageHistory): z.infer<typeof UsageHistorySchema> {
  return {
    term: { number: h.termNumber, start: h.termStart, end: h.termEnd },
    timeZone: h.timeZone,
    through: h.through,
    tiers: h.tiers.map((t) => ({ id: t.tierId, name: t.tierName, rank: t.rank, days: t.days })),
  };
}

export function seatUsageRoutes({
  usageHistory: usage,
}: {
  readonly usageHistory: UsageHistoryService;
}): Route[] {
  return [
    route({
      method: 'get',
      path: '/usage/history',
      tag: TAG,
      summary: 'Show seat usage over the term, by day',
      operationId: 'getSeatUsageHistory',
      role: 'admin',
      query: NoQuery,
      response: UsageHistorySchema,
      responses: {
        200: 'Per tier (highest first), one entry per day from the first day of the current term to today: seats bought, held, seated, held by invitations and available at the end of that day (today: now), in the contract’s time zone.',
      },
      handle: async ({ caller }) => ok(historyJson(await usage.history(caller.organisationId, caller.actor))),
    }),
    route({
      method: 'get',
      path: '/usage/history.csv',
      tag: TAG,
      summary: 'Download seat usage over the term as CSV',
      operationId: 'getSeatUsageHistoryCsv',
      role: 'admin',
      query: NoQuery,
      response: z.string(),
      responseType: 'text/csv',
      responses: {
        200: 'text/csv (RFC 4180): a header row `date,tier,bought,held,seated,invited,available`, then one row per day (oldest first) per tier (highest first); CRLF line ends.',
      },
      handle: async ({ caller }) => {
        const history = await usage.history(caller.organisationId, caller.actor);
        return {
          status: 200,
          body: usageCsv(history),
          type: 'text/csv; charset=utf-8; header=present',
          headers: {
            'content-disposition': `attachment; filename="seat-usage-term-${history.termNumber}.csv"`,
          },
        };
      },
    }),
  ];
}
