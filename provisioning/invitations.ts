// Manual invitations from the admin API: invite (the seat is held at once and a single-use link is
// mailed in the same transaction), list, re-send, revoke, and accept by the link's secret, which
// seats the invitee and starts their console session. Expiry after 21 days is the clock-driven job
// in seats/seat-pool.ts (`expireInvitations`). Where the organisation requires single sign-on, an
// invitee on its verified domains accepts by signing in through the identity provider (the sign-in
// links the invited member by verified address and seats them), not by the link alone.
import type { Clock } from '../domain/clock.js';
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  ValidationError,
} from '../domain/errors.js';
import { hasRole, LOWEST, type Actor, type Role, type TierChoice } from '../domain/model.js';
import { hashSecret, newSecret } from '../domain/secrets.js';
import type { Queries, Store } from '../db/port.js';
import type {
  Invitation,
  InvitationListing,
  InvitationStatus,
  Member,
  Organisation,
} from '../domain/records.js';
import { invitationMail } from '../mail/messages.js';
import { enqueueMail } from '../mail/outbox.js';
import { readerOf } from '../mail/reader.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import { INVITATION_TTL_DAYS, snapshot, type SeatPool } from '../seats/seat-pool.js';
import { consoleLink } from './console-links.js';
import { emailDomain, type MemberService } from './members.js';
import { endSession, sessionOf, startSession, type StartedSession } from './sessions.js';
import { ssoRequiredError, ssoRequiredFor } from './sso.js';
import { recordAudit } from '../audit/record.js';

export type { InvitationListing } from '../domain/records.js';

/** Says what kind of secret an invitation link carries (and lets secret scanners recognise it). */
export const INVITATION_SECRET_PREFIX = 'skinv_';
/** "Recent" in the invitations listing: ended (accepted, revoked, expired) within this many days. */
export const RECENT_INVITATION_DAYS = 30;
export const MAX_INVITATIONS_PER_PAGE = 200;

export interface NewInvitation {
  readonly email: string;
  readonly displayName?: string | null;
  readonly role: Exclude<Role, 'primary_owner'>;
  /** A tier id; absent, the lowest tier with a free seat. */
  readonly tier?: string;
}

export interface InvitationPage {
  readonly invitations: InvitationListing[];
  readonly total: number;
  readonly page: number;
  readonly perPage: number;
}

export interface Accepted {
  readonly member: Member;
  readonly organisation: Organisation;
  /** The new console session; null when the invitee had accepted already and is signed in. */
  readonly session: StartedSession | null;
}

export interface InvitationServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly seats: SeatPool;
  readonly members: MemberService;
  /** Where links in the mails point. */
  readonly publicBaseUrl: string;
}

/** Mails the invitation's link, in the caller's transaction: no commit, no mail. */
export async function mailInvitation(
  publicBaseUrl: string,
  q: Queries,
  organisation: Organisation,
  invitation: Invitation,
  secret: string,
  actor: Actor,
): Promise<void> {
  const member = (await q.members.byId(organisation.id, invitation.memberId))!;
  const inviter = actor.type === 'member' ? await q.members.byId(organisation.id, actor.memberId) : undefined;
  const content = invitationMail({
    organisationName: organisation.name,
    inviterName: inviter ? (inviter.displayName ?? inviter.email) : null,
    link: consoleLink(publicBaseUrl, 'accept-invitation', secret),
    expiresAt: invitation.expiresAt,
    ...(await readerOf(q, organisation.id, member.id)),
  });
  await enqueueMail(
    q,
    { organisationId: organisation.id, kind: 'invitation', to: member.email, ...content },
    invitation.sentAt,
  );
}

export type InvitationService = ReturnType<typeof createInvitationService>;

export function createInvitationService({
  store,
  clock,
  seats,
  members,
  publicBaseUrl,
}: InvitationServiceDeps) {
  async function listing(q: Queries, invitation: Invitation): Promise<InvitationListing> {
    const member = (await q.members.byId(invitation.organisationId, invitation.memberId))!;
    return {
      ...invitation,
      email: member.email,
      displayName: member.displayName,
      role: member.role,
      tierId: invitation.status === 'pending' ? member.tierId : null,
    };
  }

  async function requireInvitation(
    q: Queries,
    organisationId: number,
    invitationId: number,
  ): Promise<Invitation> {
    const invitation = await q.invitations.byId(organisationId, invitationId);
    if (!invitation) throw new NotFoundError(`No invitation ${invitationId} in this organisation.`);
    return invitation;
  }

  /** Admins invite users and admins; an owner's invitation (new, re-sent or revoked) needs an owner. */
  async function requireInviterFor(
    q: Queries,
    organisationId: number,
    actor: Actor,
    role: Role,
    doing: string,
  ): Promise<void> {
    await requireRole(q, organisationId, actor, 'admin', doing);
    if (hasRole(role, 'owner')) await requireRole(q, organisationId, actor, 'owner', `${doing} for an owner`);
  }

  /** A new pending invitation for `input`, holding a seat, with its link mailed. */
  async function invite(
    q: Queries,
    organisation: Organisation,
    input: { email: string; displayName: string | null; role: Role },
    choice: TierChoice,
    actor: Actor,
  ): Promise<InvitationListing> {
    const secret = newSecret(INVITATION_SECRET_PREFIX);
    const { invitationId } = await members.inviteIn(q, organisation.id, input, choice, actor, {
      tokenHash: hashSecret(secret),
      // Only a re-send of the primary owner's own lapsed invitation gets here with that role.
      allowPrimaryOwner: input.role === 'primary_owner',
    });
    const invitation = (await q.invitations.byId(organisation.id, invitationId))!;
    await mailInvitation(publicBaseUrl, q, organisation, invitation, secret, actor);
    return await listing(q, invitation);
  }

  /** An invitation as create makes it, inside the caller's transaction. */
  async function createIn(
    q: Queries,
    organisationId: number,
    input: NewInvitation,
    actor: Actor,
  ): Promise<InvitationListing> {
    // The type says so, but the CLI and scripts pass strings: the rule is checked here too.
    const role = input.role as Role;
    if (role === 'primary_owner') {
      throw new ValidationError(
        'There is one primary owner per organisation; invite an owner, who can later receive primary ownership by transfer.',
        {},
        'invalid_role',
      );
    }
    const organisation = await requireOrganisation(q, organisationId);
    await requireInviterFor(q, organisationId, actor, role, 'send invitations');
    // An address first: what is not one is refused as such, never looked up.
    emailDomain(input.email);
    // Inviting an address back brings back its member, who keeps a role above the one asked
    // for (a lapsed primary owner stays primary owner): that takes the inviter the kept role would.
    for (const member of await q.members.withEmail(organisationId, input.email.trim())) {
      await requireInviterFor(q, organisationId, actor, member.role, 'send invitations');
    }
    const displayName = input.displayName?.trim() || null;
    return await invite(
      q,
      organisation,
      { email: input.email.trim(), displayName, role },
      input.tier === undefined ? LOWEST : { tier: input.tier },
      actor,
    );
  }

  return {
    /**
     * Invites a person on a verified domain with a role (user or admin; owner only by an owner) and
     * a seat of the named tier, or the lowest with a free seat. The seat is held and the link mailed
     * in one transaction; without a free seat nothing is written and the error says an owner must
     * add seats.
     */
    async create(organisationId: number, input: NewInvitation, actor: Actor): Promise<InvitationListing> {
      return await store.write((q) => createIn(q, organisationId, input, actor));
    },
    createIn,

    /**
     * A page of invitations, most recently sent first: those with `status`, or by default the
     * pending ones and those that ended in the last 30 days.
     */
    async list(
      organisationId: number,
      filter: { readonly status?: InvitationStatus },
      paging: { readonly page: number; readonly perPage: number },
      actor: Actor,
    ): Promise<InvitationPage> {
      const perPage = Math.min(Math.max(Math.trunc(paging.perPage), 1), MAX_INVITATIONS_PER_PAGE);
      const page = Math.max(Math.trunc(paging.page), 1);
      return await store.read(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'admin', 'see invitations');
        const { invitations, total } = await q.invitations.list(
          organisationId,
          filter.status !== undefined
            ? { status: filter.status }
            : { endedSince: clock.now().minus({ days: RECENT_INVITATION_DAYS }).toISO()! },
          { limit: perPage, offset: (page - 1) * perPage },
        );
        return { invitations, total, page, perPage };
      });
    },

    /**
     * Sends an invitation again with a new link and a new 21 days; the old link stops working.
     * A pending invitation keeps its id and its seat. One that expired or was revoked (its seat
     * given back) becomes a new invitation that holds a seat again, of the lowest tier with one
     * free, as a new invitation would; one that was accepted cannot be re-sent.
     */
    async resend(organisationId: number, invitationId: number, actor: Actor): Promise<InvitationListing> {
      return await store.write(async (q) => {
        await q.organisations.lockForChange(organisationId);
        const organisation = await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'admin', 're-send invitations');
        const invitation = await requireInvitation(q, organisationId, invitationId);
        const member = (await q.members.byId(organisationId, invitation.memberId))!;
        await requireInviterFor(q, organisationId, actor, member.role, 're-send invitations');
        if (invitation.status === 'accepted') {
          throw new ConflictError(
            `${member.email} accepted this invitation already; there is nothing to re-send.`,
            {},
            'invitation_accepted',
          );
        }
        if (invitation.status === 'pending') {
          const now = clock.now();
          const secret = newSecret(INVITATION_SECRET_PREFIX);
          const sentAt = now.toISO()!;
          const expiresAt = now.plus({ days: INVITATION_TTL_DAYS }).toISO()!;
          if (!(await q.invitations.renew(invitation.id, hashSecret(secret), sentAt, expiresAt))) {
            throw new ConflictError(
              'The invitation was changed by another request; try again.',
              {},
              'concurrent_change',
            );
          }
          const renewed = (await q.invitations.byId(organisationId, invitation.id))!;
          await recordAudit(q, {
            organisationId,
            at: sentAt,
            actor,
            action: 'invitation.resent',
            subjectType: 'member',
            subjectId: member.id,
            before: { ...snapshot(member), invitationId: invitation.id, expiresAt: invitation.expiresAt },
            after: { ...snapshot(member), invitationId: invitation.id, expiresAt: renewed.expiresAt },
          });
          await mailInvitation(publicBaseUrl, q, organisation, renewed, secret, actor);
          return await listing(q, renewed);
        }
        const latest = await q.invitations.latestFor(organisationId, member.id);
        if (latest?.id !== invitation.id || member.seatState !== 'removed') {
          throw new ConflictError(
            `${member.email} has been invited or added again since; act on their current invitation or membership.`,
            { memberId: member.id },
            'invitation_superseded',
          );
        }
        return await invite(
          q,
          organisation,
          { email: member.email, displayName: member.displayName, role: member.role },
          LOWEST,
          actor,
        );
      });
    },

    /** Revokes a pending invitation: its seat is released at once and its link stops working. */
    async revoke(organisationId: number, invitationId: number, actor: Actor): Promise<void> {
      await store.write(async (q) => {
        // Before reading the invitation: an acceptance that commits first is seen as such.
        await q.organisations.lockForChange(organisationId);
        await requireRole(q, organisationId, actor, 'admin', 'revoke invitations');
        const invitation = await requireInvitation(q, organisationId, invitationId);
        const member = (await q.members.byId(organisationId, invitation.memberId))!;
        if (member.role === 'primary_owner') {
          throw new ForbiddenError(
            "The primary owner's invitation cannot be revoked: the organisation would have no one to own it.",
            {},
            'primary_owner_protected',
          );
        }
        await requireInviterFor(q, organisationId, actor, member.role, 'revoke invitations');
        if (invitation.status !== 'pending') {
          throw new ConflictError(
            `This invitation is ${invitation.status}, not pending.`,
            { invitationStatus: invitation.status },
            'invitation_not_pending',
          );
        }
        await seats.revokeInvitationIn(q, organisationId, member.id, actor);
      });
    },

    /**
     * The invitee follows the link: the held seat becomes theirs and a console session starts, in
     * one transaction. A link that never existed (or was replaced by a re-send) is 400
     * `invitation_invalid`; one that was used, revoked or has expired is 410. Clicking twice is
     * safe: the second click from the browser the first one signed in answers with the member again
     * and writes nothing; from anywhere else it is refused as used.
     */
    async accept(token: string, options: { readonly currentSession?: string } = {}): Promise<Accepted> {
      const tokenHash = hashSecret(token);
      return await store.write(async (q) => {
        // The organisation is known from the invitation only: read it, lock the organisation for
        // the change, then read it again. A request that used the link meanwhile has committed by
        // then, so this one sees the invitation accepted (or revoked) and is refused as such.
        const found = await q.invitations.byTokenHash(tokenHash);
        if (found) await q.organisations.lockForChange(found.organisationId);
        const invitation = found && (await q.invitations.byTokenHash(tokenHash));
        if (!invitation) {
          throw new ValidationError(
            'This invitation link is not valid: it may have been replaced by a newer invitation email. Use the link in the most recent one, or ask for a new invitation.',
            {},
            'invitation_invalid',
          );
        }
        const organisation = (await q.organisations.byId(invitation.organisationId))!;
        const member = (await q.members.byId(organisation.id, invitation.memberId))!;
        if (invitation.status === 'accepted') {
          const session = options.currentSession
            ? await sessionOf(q, clock.now(), options.currentSession)
            : undefined;
          if (session?.memberId === member.id && member.seatState === 'seated') {
            return { member, organisation, session: null };
          }
          throw new GoneError(
            'This invitation was accepted already; sign in instead.',
            {},
            'invitation_used',
          );
        }
        if (invitation.status === 'revoked') {
          throw new GoneError(
            `This invitation to ${organisation.name} was revoked. Ask an administrator if you should have access.`,
            {},
            'invitation_revoked',
          );
        }
        const now = clock.now();
        if (invitation.status === 'expired' || now.toISO()! >= invitation.expiresAt) {
          throw new GoneError(
            `This invitation to ${organisation.name} has expired. Ask an administrator to send it again.`,
            { expiredAt: invitation.expiresAt },
            'invitation_expired',
          );
        }
        // Someone the identity provider has disabled must not get in by the mailed link alone.
        if (await ssoRequiredFor(q, organisation, member)) {
          throw ssoRequiredError(organisation, 'accept this invitation by signing in');
        }
        const seated = await seats.acceptInvitationIn(q, organisation.id, member.id, {
          type: 'member',
          memberId: member.id,
        });
        if (options.currentSession) await endSession(q, now, options.currentSession);
        return {
          member: seated,
          organisation,
          session: await startSession(q, now, organisation.id, member.id),
        };
      });
    },
  };
}
