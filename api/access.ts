// Access to the console: the caller's own profile, emailed one-time sign-in links, and handing
// primary ownership to another member. Rules: provisioning/console-sign-in.ts, provisioning/ownership.ts.
import { z } from 'zod';
import type { ConsoleSignIn } from '../provisioning/console-sign-in.js';
import type { MemberAdmin } from '../provisioning/member-admin.js';
import type { OwnershipService, TransferView } from '../provisioning/ownership.js';
import { sessionSecret, setSessionCookie } from '../http/cookies.js';
import { LinkToken } from './invitations.js';
import {
  MemberId,
  memberJson,
  MemberSchema,
  organisationJson,
  OrganisationSchema,
  SignedInSchema,
} from './members.js';
import { created, noContent, ok, route, type Route } from './route.js';
import { Instant, RowId } from './schemas.js';

const PersonSchema = z.object({ id: RowId, email: z.string(), displayName: z.string().nullable() });

const TransferSchema = z
  .object({
    id: RowId,
    from: PersonSchema,
    to: PersonSchema,
    status: z.enum(['pending', 'confirmed', 'cancelled', 'expired']),
    createdAt: Instant,
    expiresAt: Instant,
  })
  .meta({ id: 'OwnershipTransfer' });

const TransferConfirmedSchema = z.object({
  organisation: OrganisationSchema,
  primaryOwner: MemberSchema,
  previousPrimaryOwner: MemberSchema,
});

/** What a request answered later (by mail) says at once. */
const AcceptedSchema = z.object({ detail: z.string() });

function person(m: TransferView['from']): z.infer<typeof PersonSchema> {
  return { id: m.id, email: m.email, displayName: m.displayName };
}

/** A pending ownership transfer as the admin API shows it (docs/api.md, "Ownership transfer"). */
function transferJson(t: TransferView): z.infer<typeof TransferSchema> {
  return {
    id: t.id,
    from: person(t.from),
    to: person(t.to),
    status: t.status,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
  };
}

// The public routes here (and accepting an invitation) take only application/json (415
// otherwise): a cross-site form cannot send it and a cross-site script can only after a CORS
// preflight this server never grants, so no other site can sign a visitor in with a link of its
// own choosing (login CSRF).
export function accessRoutes({
  memberAdmin: admin,
  consoleSignIn: links,
  ownership,
  publicBaseUrl,
}: {
  readonly memberAdmin: MemberAdmin;
  readonly consoleSignIn: ConsoleSignIn;
  readonly ownership: OwnershipService;
  /** Where the console is served: Secure cookies over https. */
  readonly publicBaseUrl: string;
}): Route[] {
  const secure = publicBaseUrl.startsWith('https:');
  return [
    route({
      method: 'get',
      path: '/profile',
      tag: 'Session',
      summary: 'Show your own member record',
      operationId: 'getProfile',
      role: 'user',
      sessionOnly: true,
      response: SignedInSchema,
      responses: { 200: '`member` (the caller) and `organisation`.' },
      handle: async ({ caller }) => {
        const profile = await admin.profile(caller.organisationId, caller.actor);
        return ok({
          member: memberJson(profile.member),
          organisation: organisationJson(profile.organisation),
        });
      },
    }),
    route({
      method: 'post',
      path: '/sign-in-links',
      tag: 'Session',
      summary: 'Email a one-time sign-in link',
      operationId: 'requestSignInLink',
      role: 'public',
      body: z.strictObject({
        organisation: z.string().trim().min(1).max(63),
        email: z.string().trim().min(1).max(254),
      }),
      response: AcceptedSchema,
      responses: {
        202: 'Always, whether or not the address is a seated member (nothing is revealed); a link is mailed only if it is.',
        400: 'A field is missing, empty, too long or unknown; `errors` points at it.',
      },
      handle: async ({ body }) => {
        await links.request(body.organisation, body.email);
        return {
          status: 202,
          body: {
            detail:
              'If that address belongs to a member with a seat in that organisation, a sign-in link is on its way.',
          },
        };
      },
    }),
    route({
      method: 'post',
      path: '/sign-in-links/redeem',
      tag: 'Session',
      summary: 'Sign in with a one-time link',
      operationId: 'redeemSignInLink',
      role: 'public',
      body: LinkToken,
      response: SignedInSchema,
      responses: {
        200: 'Signed in: a session cookie is set; `member` and `organisation`.',
        400: 'Not a sign-in link (`sign_in_link_invalid`).',
        403: 'The member no longer has a seat (`not_seated`), or the organisation requires single sign-on (`sso_required`).',
        410: 'The link was used already (`sign_in_link_used`) or has expired (`sign_in_link_expired`).',
      },
      handle: async ({ body, req, res }) => {
        const previous = sessionSecret(req);
        const signed = await links.redeem(body.token, previous ? { currentSession: previous } : {});
        setSessionCookie(res, signed.session, secure);
        return ok({ member: memberJson(signed.member), organisation: organisationJson(signed.organisation) });
      },
    }),
    route({
      method: 'post',
      path: '/members/:memberId/ownership-transfer',
      tag: 'Members',
      summary: 'Transfer primary ownership',
      operationId: 'startOwnershipTransfer',
      role: 'primary_owner',
      sessionOnly: true,
      params: MemberId,
      response: TransferSchema,
      responses: {
        201: 'The pending transfer; the member is mailed a confirmation link valid for 72 hours. A transfer already pending is replaced.',
        400: 'The member is the caller (`transfer_to_self`).',
        404: 'No such member.',
        409: 'The member has no seat (`target_not_seated`).',
      },
      handle: async ({ caller, params }) =>
        created(transferJson(await ownership.start(caller.organisationId, params.memberId, caller.actor))),
    }),
    route({
      method: 'get',
      path: '/ownership-transfer',
      tag: 'Members',
      summary: 'Show the pending ownership transfer',
      operationId: 'getOwnershipTransfer',
      role: 'owner',
      response: z.object({ transfer: TransferSchema.nullable() }),
      responses: { 200: '`transfer`: the pending transfer, or null.' },
      handle: async ({ caller }) => {
        const pending = await ownership.pending(caller.organisationId, caller.actor);
        return ok({ transfer: pending ? transferJson(pending) : null });
      },
    }),
    route({
      method: 'delete',
      path: '/ownership-transfer',
      tag: 'Members',
      summary: 'Cancel the pending ownership transfer',
      operationId: 'cancelOwnershipTransfer',
      role: 'primary_owner',
      sessionOnly: true,
      responses: { 204: 'Cancelled; its link no longer works.', 404: 'No transfer is pending.' },
      handle: async ({ caller }) => {
        await ownership.cancel(caller.organisationId, caller.actor);
        return noContent;
      },
    }),
    route({
      method: 'post',
      path: '/ownership-transfers/confirm',
      tag: 'Members',
      summary: 'Confirm an ownership transfer',
      operationId: 'confirmOwnershipTransfer',
      role: 'public',
      body: LinkToken,
      response: TransferConfirmedSchema,
      responses: {
        200: '`organisation`, `primaryOwner` (the confirming member) and `previousPrimaryOwner` (now an owner).',
        400: 'Not a transfer link (`transfer_invalid`).',
        409: 'The named member no longer has a seat (`target_not_seated`), or the primary owner changed (`transfer_stale`).',
        410: 'Confirmed already (`transfer_used`), cancelled or replaced (`transfer_cancelled`), or expired (`transfer_expired`).',
      },
      handle: async ({ body }) => {
        const done = await ownership.confirm(body.token);
        return ok({
          organisation: organisationJson(done.organisation),
          primaryOwner: memberJson(done.primaryOwner),
          previousPrimaryOwner: memberJson(done.previousPrimaryOwner),
        });
      },
    }),
  ];
}
