// Invitations: invite, list, re-send, revoke (administrators), and accepting one by the secret from
// the mailed link (anyone holding it), which signs the invitee in. Rules: provisioning/invitations.ts.
import { z } from 'zod';
import {
  MAX_INVITATIONS_PER_PAGE,
  type InvitationListing,
  type InvitationService,
} from '../provisioning/invitations.js';
import { sessionSecret, setSessionCookie } from '../http/cookies.js';
import { memberJson, organisationJson, paging, SignedInSchema, TierId } from './members.js';
import { created, Id, noContent, ok, route, type Route } from './route.js';
import { Instant, PageInfo, RoleName, RowId } from './schemas.js';

export const InvitationSchema = z
  .object({
    id: RowId,
    memberId: RowId,
    email: z.string(),
    displayName: z.string().nullable(),
    role: RoleName,
    tier: z
      .string()
      .nullable()
      .meta({ description: 'The tier of the seat it holds while pending; null once ended.' }),
    status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
    sentAt: Instant,
    expiresAt: Instant,
    endedAt: Instant.nullable(),
  })
  .meta({
    id: 'Invitation',
    examples: [
      {
        id: 7,
        memberId: 42,
        email: 'erin@acme.example',
        displayName: 'Erin Example',
        role: 'user',
        tier: 'standard',
        status: 'pending',
        sentAt: '2026-03-01T09:00:00.000Z',
        expiresAt: '2026-03-22T09:00:00.000Z',
        endedAt: null,
      },
    ],
  });

/** An invitation as the admin API shows it (docs/api.md, "Invitation"). */
export function invitationJson(i: InvitationListing): z.infer<typeof InvitationSchema> {
  return {
    id: i.id,
    memberId: i.memberId,
    email: i.email,
    displayName: i.displayName,
    role: i.role,
    tier: i.tierId,
    status: i.status,
    sentAt: i.sentAt,
    expiresAt: i.expiresAt,
    endedAt: i.endedAt,
  };
}

const InvitationId = z.strictObject({
  invitationId: Id,
});

/** A secret from a mailed link: 256 bits in base64url behind a short prefix. */
export const LinkToken = z.strictObject({ token: z.string().min(1).max(200) });

export function invitationRoutes({
  invitations,
  publicBaseUrl,
}: {
  readonly invitations: InvitationService;
  /** Where the console is served: Secure cookies over https. */
  readonly publicBaseUrl: string;
}): Route[] {
  const secure = publicBaseUrl.startsWith('https:');
  return [
    route({
      method: 'get',
      path: '/invitations',
      tag: 'Invitations',
      summary: 'List invitations',
      operationId: 'listInvitations',
      role: 'admin',
      query: z.strictObject({
        status: z.enum(['pending', 'accepted', 'revoked', 'expired']).optional(),
        ...paging(MAX_INVITATIONS_PER_PAGE),
      }),
      response: z.object({ invitations: z.array(InvitationSchema), ...PageInfo }),
      responses: {
        200: 'One page of invitations, most recently sent first: by default the pending ones and those ended in the last 30 days.',
      },
      handle: async ({ caller, query }) => {
        const { status, page, perPage } = query;
        const result = await invitations.list(
          caller.organisationId,
          status ? { status } : {},
          { page, perPage },
          caller.actor,
        );
        return ok({
          invitations: result.invitations.map(invitationJson),
          total: result.total,
          page: result.page,
          perPage: result.perPage,
        });
      },
    }),
    route({
      method: 'post',
      path: '/invitations',
      tag: 'Invitations',
      summary: 'Invite a member',
      operationId: 'inviteMember',
      role: 'admin',
      body: z
        .strictObject({
          email: z.string().trim().min(3).max(254),
          displayName: z.string().trim().max(200).nullable().optional(),
          role: z.enum(['owner', 'admin', 'user']),
          tier: TierId.optional(),
        })
        .meta({
          examples: [
            { email: 'erin@acme.example', displayName: 'Erin Example', role: 'user', tier: 'standard' },
          ],
        }),
      response: InvitationSchema,
      responses: {
        201: 'The pending invitation; its seat is held and its link mailed.',
        400: 'Not an email address (`invalid_email`), not on a verified domain (`domain_not_verified`), or no such tier (`unknown_tier`).',
        403: 'Inviting an owner needs an owner (`requiredRole: owner`).',
        409: 'Already a member (`member_exists`), no seat free (`seats_exhausted`: an owner must add seats), or the contract ended.',
      },
      handle: async ({ caller, body }) => {
        const invitation = await invitations.create(
          caller.organisationId,
          {
            email: body.email,
            displayName: body.displayName ?? null,
            role: body.role,
            ...(body.tier === undefined ? {} : { tier: body.tier }),
          },
          caller.actor,
        );
        return created(invitationJson(invitation), `/api/v1/members/${invitation.memberId}`);
      },
    }),
    route({
      method: 'post',
      path: '/invitations/accept',
      tag: 'Invitations',
      summary: 'Accept an invitation',
      operationId: 'acceptInvitation',
      role: 'public',
      body: LinkToken,
      response: SignedInSchema,
      responses: {
        200: 'The invitee is a seated member and signed in (a session cookie is set); `member` and `organisation`.',
        400: 'Not an invitation link (`invitation_invalid`), or one replaced by a re-send.',
        403: 'The organisation requires single sign-on (`sso_required`, with `organisation`): the invitee accepts by signing in through the identity provider.',
        410: 'The invitation was accepted already (`invitation_used`), revoked (`invitation_revoked`) or has expired (`invitation_expired`).',
      },
      handle: async ({ body, req, res }) => {
        const previous = sessionSecret(req);
        const accepted = await invitations.accept(body.token, previous ? { currentSession: previous } : {});
        if (accepted.session) setSessionCookie(res, accepted.session, secure);
        return ok({
          member: memberJson(accepted.member),
          organisation: organisationJson(accepted.organisation),
        });
      },
    }),
    route({
      method: 'post',
      path: '/invitations/:invitationId/resend',
      tag: 'Invitations',
      summary: 'Re-send an invitation',
      operationId: 'resendInvitation',
      role: 'admin',
      params: InvitationId,
      response: InvitationSchema,
      responses: {
        200: 'The invitation with a new link (mailed) and a new 21 days; the old link no longer works. An expired or revoked invitation comes back as a new one (a new `id`) holding a seat again.',
        403: "An owner's invitation needs an owner.",
        404: 'No such invitation.',
        409: 'Accepted already (`invitation_accepted`), superseded by a newer invitation or membership (`invitation_superseded`), or no seat free (`seats_exhausted`).',
      },
      handle: async ({ caller, params }) =>
        ok(
          invitationJson(await invitations.resend(caller.organisationId, params.invitationId, caller.actor)),
        ),
    }),
    route({
      method: 'delete',
      path: '/invitations/:invitationId',
      tag: 'Invitations',
      summary: 'Revoke an invitation',
      operationId: 'revokeInvitation',
      role: 'admin',
      params: InvitationId,
      responses: {
        204: 'Revoked: the seat is released and the link stops working.',
        403: "An owner's invitation needs an owner; the primary owner's cannot be revoked (`primary_owner_protected`).",
        404: 'No such invitation.',
        409: 'The invitation is not pending (`invitation_not_pending`).',
      },
      handle: async ({ caller, params }) => {
        await invitations.revoke(caller.organisationId, params.invitationId, caller.actor);
        return noContent;
      },
    }),
  ];
}
