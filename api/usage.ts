// Seat usage for administrators: per tier what is bought, seated, held by invitations and free; who
// waits for a seat; the owners' notice thresholds; and "sync now", which seats the waiting.
import { z } from 'zod';
import { MEMBER_SOURCES } from '../domain/model.js';
import type { Directory } from '../provisioning/directory.js';
import type { OwnerNotices } from '../seats/notices.js';
import { ok, route, type Route } from './route.js';
import { Instant, RowId } from './schemas.js';

const TAG = 'Seat usage';

/** Whole percents of a tier's allocation at which owners are told, ascending. */
const Thresholds = z.array(z.number().int().min(1).max(100));
const Count = z.number().int().min(0);

const UsageSchema = z
  .object({
    tiers: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        rank: z.number().int(),
        allocation: Count,
        held: Count,
        seated: Count,
        invited: Count,
        available: z.number().int(),
      }),
    ),
    waiting: z.object({
      total: Count,
      awaitingSeat: z.array(
        z.object({
          memberId: RowId,
          email: z.string(),
          displayName: z.string().nullable(),
          source: z.enum(MEMBER_SOURCES),
          since: Instant.nullable(),
        }),
      ),
      refused: z.array(
        z.object({
          userName: z.string(),
          source: z.enum(['scim', 'jit']),
          firstAttemptAt: Instant,
          lastAttemptAt: Instant,
          attempts: z.number().int().min(1),
        }),
      ),
    }),
    noticeThresholds: Thresholds,
  })
  .meta({ id: 'SeatUsage' });

export function usageRoutes({
  directory,
  notices,
}: {
  readonly directory: Directory;
  readonly notices: OwnerNotices;
}): Route[] {
  return [
    route({
      method: 'get',
      path: '/usage',
      tag: TAG,
      summary: 'Show seat usage',
      operationId: 'getUsage',
      role: 'admin',
      response: UsageSchema,
      responses: {
        200: 'Per tier (highest first): allocation, held, seated, held by invitations, available; the waiting list; the notice thresholds.',
      },
      handle: async ({ caller }) => {
        const usage = await directory.usage(caller.organisationId, caller.actor);
        return ok({
          tiers: usage.tiers.map((t) => ({
            id: t.tierId,
            name: t.tierName,
            rank: t.rank,
            allocation: t.allocation,
            held: t.held,
            seated: t.seated,
            invited: t.invited,
            available: t.available,
          })),
          waiting: {
            // A waiting person takes the highest tier that frees up, so waiting is not per tier.
            total: usage.awaiting.length + usage.refused.length,
            awaitingSeat: usage.awaiting.map((m) => ({
              memberId: m.id,
              email: m.email,
              displayName: m.displayName,
              source: m.source,
              since: m.waitingSince,
            })),
            refused: usage.refused,
          },
          noticeThresholds: usage.noticeThresholds,
        });
      },
    }),
    route({
      method: 'put',
      path: '/usage/thresholds',
      tag: TAG,
      summary: 'Set the seat usage notice thresholds',
      operationId: 'setNoticeThresholds',
      role: 'owner',
      body: z.strictObject({
        /** Whole percents of a tier's allocation, each once, at most five; [] turns notices off. */
        thresholds: z.array(z.number().int().min(1).max(100)).max(5),
      }),
      response: z.object({ noticeThresholds: Thresholds }),
      responses: { 200: 'The thresholds now in force, ascending.' },
      handle: async ({ caller, body }) =>
        ok({
          noticeThresholds: await notices.setNoticeThresholds(
            caller.organisationId,
            body.thresholds,
            caller.actor,
          ),
        }),
    }),
    route({
      method: 'post',
      path: '/usage/sync-now',
      tag: TAG,
      summary: 'Seat waiting members now',
      operationId: 'syncNow',
      role: 'admin',
      response: z.object({ seated: z.number().int().min(0) }),
      responses: {
        200: 'How many waiting members were seated (first come, first served, as far as seats allow).',
      },
      handle: async ({ caller }) =>
        ok({ seated: await directory.syncNow(caller.organisationId, caller.actor) }),
    }),
  ];
}
