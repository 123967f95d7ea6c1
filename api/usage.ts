// Seat usage for administrators: per tier what is bought, seated, held by invitations and free; who
// waits for a seat; the owners' notice thresholds; and "sync now", which seats the waiting.
import { z } from 'zod';
import type { Directory } from '../provisioning/directory.js';
import type { OwnerNotices } from '../seats/notices.js';
import { ok, route, type Route } from './route.js';

const TAG = 'Seat usage';

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
      role: 'admin',
      responses: {
        200: 'Per tier (highest first): allocation, held, seated, held by invitations, available; the waiting list; the notice thresholds.',
      },
      handle: ({ caller }) => {
        const usage = directory.usage(caller.organisationId, caller.actor);
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
      role: 'owner',
      body: z.strictObject({
        /** Whole percents of a tier's allocation, each once, at most five; [] turns notices off. */
        thresholds: z.array(z.number().int().min(1).max(100)).max(5),
      }),
      responses: { 200: 'The thresholds now in force, ascending.' },
      handle: ({ caller, body }) =>
        ok({
          noticeThresholds: notices.setNoticeThresholds(caller.organisationId, body.thresholds, caller.actor),
        }),
    }),
    route({
      method: 'post',
      path: '/usage/sync-now',
      tag: TAG,
      summary: 'Seat waiting members now',
      role: 'admin',
      responses: {
        200: 'How many waiting members were seated (first come, first served, as far as seats allow).',
      },
      handle: ({ caller }) => ok({ seated: directory.syncNow(caller.organisationId, caller.actor) }),
    }),
  ];
}
