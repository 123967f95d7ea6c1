// Bulk actions on the members page: change the seat tier of, unassign the seat of, or remove several
// members at once. Each member's change is its own transaction with its own audit row, made by the
// same rules as the single-member routes (provisioning/member-admin.ts); a member that cannot be
// changed is reported in the answer, next to the others' results (docs/rules.md, "Bulk actions").
import { z } from 'zod';
import { DomainError, ValidationError } from '../domain/errors.js';
import type { Store } from '../db/port.js';
import type { MemberAdmin } from '../provisioning/member-admin.js';
import { toProblem } from '../http/problem.js';
import { MemberSchema, memberJson, TierId } from './members.js';
import { ok, route, type Route } from './route.js';

/** The most members one bulk request names: a page of the members list. */
export const MAX_BULK_MEMBERS = 200;

const MemberIds = z
  .array(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER))
  .min(1)
  .max(MAX_BULK_MEMBERS)
  .refine((ids) => new Set(ids).size === ids.length, 'names a member more than once');

const BulkBody = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('change_tier'), tier: TierId, memberIds: MemberIds }),
  z.strictObject({ action: z.literal('unassign'), memberIds: MemberIds }),
  z.strictObject({ action: z.literal('remove'), memberIds: MemberIds }),
]);

const BulkResultSchema = z.union([
  z.object({ memberId: z.number().int(), ok: z.literal(true), member: MemberSchema }),
  z.object({
    memberId: z.number().int(),
    ok: z.literal(false),
    problem: z.looseObject({ status: z.number().int(), code: z.string(), detail: z.string().optional() }),
  }),
]);

const BulkAnswerSchema = z
  .object({
    action: z.enum(['change_tier', 'unassign', 'remove']),
    tier: z.string().nullable(),
    changed: z.number().int().min(0),
    refused: z.number().int().min(0),
    results: z.array(BulkResultSchema),
  })
  .meta({ id: 'MemberBulkResult' });

type BulkResult = z.infer<typeof BulkResultSchema>;

export function memberBulkRoutes({
  memberAdmin: admin,
  store,
}: {
  readonly memberAdmin: MemberAdmin;
  /** Reads the tiers and each removed member's row as it is now. */
  readonly store: Pick<Store, 'read'>;
}): Route[] {
  return [
    route({
      method: 'post',
      path: '/members/bulk',
      tag: 'Members',
      summary: 'Change the seat tier of, unassign or remove several members',
      operationId: 'bulkChangeMembers',
      role: 'admin',
      body: BulkBody,
      response: BulkAnswerSchema,
      responses: {
        200: 'One result per member, in the order named: `ok` with the member as it is now, or the problem that refused that member (each as the single-member route would answer it). Each change is its own transaction; the refused ones changed nothing.',
        400: 'No such tier (`unknown_tier`); nothing was changed.',
      },
      handle: async ({ caller, body }) => {
        const { organisationId, actor } = caller;
        const tier = body.action === 'change_tier' ? body.tier : null;
        if (tier !== null && !(await store.read((q) => q.tiers.all())).some((t) => t.id === tier)) {
          throw new ValidationError(`There is no seat tier "${tier}".`, { tier }, 'unknown_tier');
        }
        // One member after another, each its own command, in the order given.
        const results: BulkResult[] = [];
        for (const memberId of body.memberIds) results.push(await changeOne(memberId));
        const changed = results.filter((r) => r.ok).length;
        return ok({ action: body.action, tier, changed, refused: results.length - changed, results });

        async function changeOne(memberId: number): Promise<BulkResult> {
          try {
            let member;
            if (tier !== null) member = await admin.changeTier(organisationId, memberId, tier, actor);
            else if (body.action === 'unassign')
              member = await admin.unassign(organisationId, memberId, actor);
            else {
              await admin.remove(organisationId, memberId, actor);
              member = (await store.read((q) => q.members.byId(organisationId, memberId)))!;
            }
            return { memberId, ok: true as const, member: memberJson(member) };
          } catch (error) {
            // A refusal (a rule, a seat shortage, someone else's change) is this member's answer;
            // anything else is a fault and fails the request, as it would the single route.
            if (!(error instanceof DomainError)) throw error;
            const { type: _type, title: _title, ...problem } = toProblem(error);
            return { memberId, ok: false as const, problem };
          }
        }
      },
    }),
  ];
}
