// The members page: list (filters, search, paging), one member in full, and an administrator's
// changes to a member: role, seat tier, unassign, remove. Rules live in provisioning/member-admin.ts.
import { z } from 'zod';
import { MEMBER_SOURCES, ROLES, SEAT_STATES } from '../domain/model.js';
import type { Invitation, Member, Organisation } from '../domain/records.js';
import type { Clock } from '../domain/clock.js';
import { MAX_MEMBERS_PER_PAGE, type MemberAdmin } from '../provisioning/member-admin.js';
import { Id, noContent, ok, route, type Route } from './route.js';
import { Instant, PageInfo, RoleName, RowId } from './schemas.js';

/** A member as every admin API answer shows one (docs/api.md, "Member"). */
export const MemberSchema = z
  .object({
    id: RowId,
    email: z.string(),
    displayName: z.string().nullable(),
    role: RoleName,
    seatState: z.enum(SEAT_STATES),
    tier: z
      .string()
      .nullable()
      .meta({ description: 'The seat tier held (seated or invited); null without a seat.' }),
    source: z.enum(MEMBER_SOURCES),
    createdAt: Instant,
    updatedAt: Instant,
    lastActiveAt: Instant.nullable().meta({
      description: 'Last sign-in, or last change the directory (SCIM) made to the member; null: never.',
    }),
  })
  .meta({
    id: 'Member',
    examples: [
      {
        id: 42,
        email: 'erin@acme.example',
        displayName: 'Erin Example',
        role: 'user',
        seatState: 'seated',
        tier: 'premium',
        source: 'jit',
        createdAt: '2026-03-01T09:00:00.000Z',
        updatedAt: '2026-03-01T09:00:00.000Z',
        lastActiveAt: '2026-03-02T08:15:00.000Z',
      },
    ],
  });

export const OrganisationSchema = z
  .object({ id: RowId, slug: z.string(), name: z.string() })
  .meta({ id: 'Organisation', examples: [{ id: 1, slug: 'acme', name: 'Acme GmbH' }] });

/** `member` and `organisation`: the answer of every way of signing in. */
export const SignedInSchema = z.object({ member: MemberSchema, organisation: OrganisationSchema });

const MemberPageSchema = z.object({ members: z.array(MemberSchema), ...PageInfo });

const MemberDetailSchema = MemberSchema.extend({
  invitation: z
    .object({
      id: RowId,
      status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
      sentAt: Instant,
      expiresAt: Instant,
    })
    .nullable(),
  identities: z.array(
    z.object({
      connectionId: RowId,
      connectionName: z.string(),
      protocol: z.enum(['saml', 'oidc']),
      subject: z.string(),
      createdAt: Instant,
      lastSignInAt: Instant.nullable(),
    }),
  ),
}).meta({ id: 'MemberDetail' });

export function memberJson(m: Member): z.infer<typeof MemberSchema> {
  return {
    id: m.id,
    email: m.email,
    displayName: m.displayName,
    role: m.role,
    seatState: m.seatState,
    tier: m.tierId,
    source: m.source,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    lastActiveAt: m.lastActiveAt,
  };
}

export function organisationJson(o: Organisation): z.infer<typeof OrganisationSchema> {
  return { id: o.id, slug: o.slug, name: o.name };
}

function invitationJson(i: Invitation) {
  return { id: i.id, status: i.status, sentAt: i.sentAt, expiresAt: i.expiresAt };
}

export const MemberId = z.strictObject({
  memberId: Id,
});

/** A tier id as tiers are named (`standard`, `premium`); whether it exists is the service's to say. */
export const TierId = z.string().trim().min(1).max(64);

/** Page numbers of every listing: `page` from 1, `perPage` up to the listing's limit. */
export function paging(maxPerPage: number) {
  return {
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    perPage: z.coerce.number().int().min(1).max(maxPerPage).default(50),
  };
}

export function memberRoutes({
  memberAdmin: admin,
  clock,
}: {
  readonly memberAdmin: MemberAdmin;
  /** What "now" is for the inactivity filter. */
  readonly clock: Clock;
}): Route[] {
  return [
    route({
      method: 'get',
      path: '/members',
      tag: 'Members',
      summary: 'List members',
      operationId: 'listMembers',
      role: 'admin',
      query: z.strictObject({
        role: z.enum(ROLES).optional(),
        tier: TierId.optional(),
        seatState: z.enum(SEAT_STATES).optional(),
        source: z.enum(MEMBER_SOURCES).optional(),
        q: z.string().trim().max(200).optional(),
        /** Only members not active (signed in, or changed by the directory) for this many days. */
        inactiveDays: z.coerce.number().int().min(1).max(3650).optional(),
        sort: z.enum(['email', 'lastActive', '-lastActive']).default('email'),
        ...paging(MAX_MEMBERS_PER_PAGE),
      }),
      response: MemberPageSchema,
      responses: {
        200: 'One page of members ordered by email (or `sort`: `lastActive`, `-lastActive`), and how many match (`total`); removed members only with `seatState=removed`.',
      },
      handle: async ({ caller, query }) => {
        const { page, perPage, tier, q, role, seatState, source, inactiveDays, sort } = query;
        const result = await admin.list(
          caller.organisationId,
          {
            ...(role ? { role } : {}),
            ...(tier ? { tierId: tier } : {}),
            ...(seatState ? { seatState } : {}),
            ...(source ? { source } : {}),
            ...(q ? { text: q } : {}),
            ...(inactiveDays ? { inactiveSince: clock.now().minus({ days: inactiveDays }).toISO()! } : {}),
          },
          { page, perPage },
          caller.actor,
          sort,
        );
        return ok({
          members: result.members.map(memberJson),
          total: result.total,
          page: result.page,
          perPage: result.perPage,
        });
      },
    }),
    route({
      method: 'get',
      path: '/members/:memberId',
      tag: 'Members',
      summary: 'Show a member',
      operationId: 'getMember',
      role: 'admin',
      params: MemberId,
      response: MemberDetailSchema,
      responses: {
        200: 'The member, its pending invitation (or null) and its linked SSO identities.',
        404: 'No such member in this organisation.',
      },
      handle: async ({ caller, params }) => {
        const detail = await admin.show(caller.organisationId, params.memberId, caller.actor);
        return ok({
          ...memberJson(detail.member),
          invitation: detail.invitation ? invitationJson(detail.invitation) : null,
          identities: detail.identities,
        });
      },
    }),
    route({
      method: 'patch',
      path: '/members/:memberId/role',
      tag: 'Members',
      summary: "Change a member's role",
      operationId: 'changeMemberRole',
      role: 'owner',
      params: MemberId,
      body: z.strictObject({ role: z.enum(['owner', 'admin', 'user']) }),
      response: MemberSchema,
      responses: {
        200: 'The member with the new role.',
        403: 'Not an owner, the primary owner (`primary_owner_protected`: transfer instead), or yourself (`self_action`).',
        404: 'No such member.',
        409: 'The member was removed (`invalid_seat_state`).',
      },
      handle: async ({ caller, params, body }) =>
        ok(
          memberJson(await admin.changeRole(caller.organisationId, params.memberId, body.role, caller.actor)),
        ),
    }),
    route({
      method: 'patch',
      path: '/members/:memberId/tier',
      tag: 'Members',
      summary: "Change a member's seat tier",
      operationId: 'changeMemberTier',
      role: 'admin',
      params: MemberId,
      body: z.strictObject({ tier: TierId }),
      response: MemberSchema,
      responses: {
        200: 'The member in a seat of the new tier.',
        400: 'No such tier (`unknown_tier`).',
        403: 'The member is an owner and the caller is not (`requiredRole: owner`).',
        404: 'No such member.',
        409: 'No seat of that tier is free (`seats_exhausted`: the detail and `purchase` name what an owner must buy), the member holds no seat (`invalid_seat_state`), or the contract ended.',
      },
      handle: async ({ caller, params, body }) =>
        ok(
          memberJson(await admin.changeTier(caller.organisationId, params.memberId, body.tier, caller.actor)),
        ),
    }),
    route({
      method: 'post',
      path: '/members/:memberId/unassign',
      tag: 'Members',
      summary: "Unassign a member's seat",
      operationId: 'unassignMemberSeat',
      role: 'admin',
      params: MemberId,
      response: MemberSchema,
      responses: {
        200: 'The member, now unassigned: still a member, no seat, no access.',
        403: 'The primary owner, yourself, or an owner while the caller is not one.',
        404: 'No such member.',
        409: 'The member is not seated (`invalid_seat_state`).',
      },
      handle: async ({ caller, params }) =>
        ok(memberJson(await admin.unassign(caller.organisationId, params.memberId, caller.actor))),
    }),
    route({
      method: 'delete',
      path: '/members/:memberId',
      tag: 'Members',
      summary: 'Remove a member',
      operationId: 'removeMember',
      role: 'admin',
      params: MemberId,
      responses: {
        204: 'Removed (or already removed); a held seat is released at once.',
        403: 'The primary owner, yourself, or an owner while the caller is not one.',
        404: 'No such member.',
      },
      handle: async ({ caller, params }) => {
        await admin.remove(caller.organisationId, params.memberId, caller.actor);
        return noContent;
      },
    }),
  ];
}
