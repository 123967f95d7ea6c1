// Administrators managing the organisation's members: the members page (filters, search, paging),
// one member in full, a member's own profile, and the changes the roles table allows on a member:
// role, seat tier, unassign, remove. Each change is one transaction with its audit row.
//
// Who may act on whom (docs/rules.md, "Members"):
//   - roles: owners, up to owner; never to or from primary owner (that is a transfer);
//   - tier, unassign, remove: admins, but a member who is an owner (or the primary owner) only by
//     owners: the roles table lets admins remove "members (not owners)";
//   - the primary owner is never unassigned, removed or given another role by anyone;
//   - nobody changes their own role, unassigns or removes themselves (another owner or admin must).
import type { Clock } from '../domain/clock.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  SeatLimitError,
  ValidationError,
} from '../domain/errors.js';
import { hasRole, type Actor, type Role } from '../domain/model.js';
import type { Queries, Store } from '../db/port.js';
import type {
  Invitation,
  Member,
  MemberFilter,
  MemberIdentity,
  MemberSort,
  Organisation,
} from '../domain/records.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import type { SeatPool } from '../seats/seat-pool.js';
import { changeRole } from './members.js';

/** The largest page the members page may ask for. */
export const MAX_MEMBERS_PER_PAGE = 200;

export interface MemberPage {
  readonly members: Member[];
  readonly total: number;
  readonly page: number;
  readonly perPage: number;
}

export interface MemberDetail {
  readonly member: Member;
  /** The pending invitation, when the member is invited. */
  readonly invitation: Invitation | null;
  /** The identities providers have linked to the member (SSO). */
  readonly identities: MemberIdentity[];
}

export interface Profile {
  readonly member: Member;
  readonly organisation: Organisation;
}

async function requireMember(q: Queries, organisationId: number, memberId: number): Promise<Member> {
  const member = await q.members.byId(organisationId, memberId);
  if (!member) throw new NotFoundError(`No member ${memberId} in this organisation.`);
  return member;
}

/** The primary owner keeps their seat and role until they hand the organisation over. */
function refusePrimaryOwner(member: Member, doing: string): void {
  if (member.role === 'primary_owner') {
    throw new ForbiddenError(
      `Nobody can ${doing} the primary owner (${member.email}). The primary owner can first transfer primary ownership to another member.`,
      {},
      'primary_owner_protected',
    );
  }
}

/** Nobody takes away their own access or role: another administrator must, so it is deliberate. */
function refuseSelf(actor: Actor, member: Member, doing: string): void {
  if (actor.type === 'member' && actor.memberId === member.id) {
    throw new ForbiddenError(`You cannot ${doing}; ask another owner or administrator.`, {}, 'self_action');
  }
}

/** Admins act on members, not on owners: acting on an owner needs an owner (the roles table). */
async function requireAuthorityOver(q: Queries, actor: Actor, member: Member, doing: string): Promise<void> {
  if (hasRole(member.role, 'owner'))
    await requireRole(q, member.organisationId, actor, 'owner', `${doing} an owner`);
}

/**
 * A tier change refused for want of a seat, naming what to buy: one seat of the tier, or, when a
 * seated member moves up, the upgrade of their own seat with them named as the member who moves.
 */
async function purchaseNeeded(q: Queries, member: Member, tierId: string): Promise<ConflictError> {
  const tiers = await q.tiers.all();
  const to = tiers.find((t) => t.id === tierId);
  const from = tiers.find((t) => t.id === member.tierId);
  const toName = (to?.name ?? tierId).toLowerCase();
  const upgrade =
    member.seatState === 'seated' && from && to && to.rank > from.rank
      ? `, or upgrade 1 ${from.name.toLowerCase()} seat to ${toName} naming ${member.email}`
      : '';
  return new ConflictError(
    `No ${toName} seat is available: every ${toName} seat bought is held. ` +
      `An owner must add 1 ${toName} seat${upgrade} (Billing settings, Seats), or free one, ` +
      `before ${member.email} can move to ${toName}.`,
    {
      tier: tierId,
      purchase: { add: { [tierId]: 1 } },
      // Both are bodies for a billing quote as they stand (POST /billing/quotes).
      ...(upgrade
        ? {
            alternative: {
              upgrades: [{ from: member.tierId, to: tierId, quantity: 1, moveMemberIds: [member.id] }],
            },
          }
        : {}),
    },
    'seats_exhausted',
  );
}

export function createMemberAdmin({
  store,
  clock,
  seats,
}: {
  readonly store: Store;
  readonly clock: Clock;
  readonly seats: SeatPool;
}) {
  /** The tier change as changeTier makes it, inside the caller's transaction. */
  async function changeTierIn(
    q: Queries,
    organisationId: number,
    memberId: number,
    tierId: string,
    actor: Actor,
  ): Promise<Member> {
    await requireRole(q, organisationId, actor, 'admin', 'reassign seat tiers');
    const member = await requireMember(q, organisationId, memberId);
    await requireAuthorityOver(q, actor, member, 'change the seat of');
    try {
      // An unassigned member is given a seat of the tier: the second half of a swap.
      return member.seatState === 'unassigned'
        ? await seats.claimIn(q, organisationId, memberId, { tier: tierId }, actor)
        : await seats.changeTierIn(q, organisationId, memberId, tierId, actor);
    } catch (error) {
      if (error instanceof SeatLimitError) throw await purchaseNeeded(q, member, tierId);
      throw error;
    }
  }

  return {
    /**
     * One page of the organisation's members matching the filter (removed members only when
     * `seatState` asks for them), ordered by email (or last activity), with the total that match.
     */
    async list(
      organisationId: number,
      filter: MemberFilter,
      paging: { readonly page: number; readonly perPage: number },
      actor: Actor,
      sort: MemberSort = 'email',
    ): Promise<MemberPage> {
      const perPage = Math.min(Math.max(Math.trunc(paging.perPage), 1), MAX_MEMBERS_PER_PAGE);
      const page = Math.max(Math.trunc(paging.page), 1);
      return await store.read(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'admin', 'see members');
        if (filter.tierId !== undefined && !(await q.tiers.all()).some((t) => t.id === filter.tierId)) {
          throw new ValidationError(
            `There is no seat tier "${filter.tierId}".`,
            { tier: filter.tierId },
            'unknown_tier',
          );
        }
        const { members, total } = await q.members.search(
          organisationId,
          filter,
          { limit: perPage, offset: (page - 1) * perPage },
          sort,
        );
        return { members, total, page, perPage };
      });
    },

    /** One member, with their pending invitation and linked SSO identities. */
    async show(organisationId: number, memberId: number, actor: Actor): Promise<MemberDetail> {
      return await store.read(async (q) => {
        await requireRole(q, organisationId, actor, 'admin', 'see members');
        const member = await requireMember(q, organisationId, memberId);
        return {
          member,
          invitation: (await q.invitations.pendingFor(organisationId, memberId)) ?? null,
          identities: await q.sso.identitiesOf(organisationId, memberId),
        };
      });
    },

    /** The signed-in member's own record: all a user-role member sees of the organisation. */
    async profile(organisationId: number, actor: Actor): Promise<Profile> {
      return await store.read(async (q) => {
        if (actor.type !== 'member') {
          throw new ForbiddenError('A profile belongs to a signed-in member; an API token has none.', {
            requiredRole: 'user',
          });
        }
        await requireRole(q, organisationId, actor, 'user', 'see their profile');
        return {
          member: await requireMember(q, organisationId, actor.memberId),
          organisation: await requireOrganisation(q, organisationId),
        };
      });
    },

    /**
     * Gives a member another role, up to owner (owners only). The primary owner's role changes only
     * by a transfer; nobody changes their own role.
     */
    async changeRole(organisationId: number, memberId: number, role: Role, actor: Actor): Promise<Member> {
      return await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', "change members' roles");
        if (role === 'primary_owner') {
          throw new ValidationError(
            'There is one primary owner per organisation; the primary owner can transfer primary ownership instead.',
            {},
            'invalid_role',
          );
        }
        const member = await requireMember(q, organisationId, memberId);
        refusePrimaryOwner(member, 'change the role of');
        refuseSelf(actor, member, 'change your own role');
        if (member.seatState === 'removed') {
          throw new ConflictError(
            `${member.email} was removed; invite them again with the role they should have.`,
            { seatState: member.seatState },
            'invalid_seat_state',
          );
        }
        return await changeRole(q, member, role, actor, clock.now().toISO()!);
      });
    },

    /**
     * Moves a seated or invited member's seat to another tier, or seats an unassigned member in
     * one, only into an available seat of it; otherwise 409 naming the purchase an owner must make.
     * Members the directory switched off (deactivated, awaiting a seat, unmapped) are the
     * directory's to bring back, and removed ones are invited again.
     */
    async changeTier(
      organisationId: number,
      memberId: number,
      tierId: string,
      actor: Actor,
    ): Promise<Member> {
      return await store.write((q) => changeTierIn(q, organisationId, memberId, tierId, actor));
    },
    changeTierIn,

    /** Takes a seated member's seat back at once; they stay a member, without access. */
    async unassign(organisationId: number, memberId: number, actor: Actor): Promise<Member> {
      return await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'admin', 'unassign seats');
        const member = await requireMember(q, organisationId, memberId);
        refusePrimaryOwner(member, 'unassign the seat of');
        refuseSelf(actor, member, 'unassign your own seat');
        await requireAuthorityOver(q, actor, member, 'unassign the seat of');
        return await seats.unassignIn(q, organisationId, memberId, actor);
      });
    },

    /**
     * Removes a member: a held seat (seated or invited) is released at once, the row stays as
     * `removed` so that inviting the same address again brings back the same member and history.
     * Removing a removed member changes nothing.
     */
    async remove(organisationId: number, memberId: number, actor: Actor): Promise<void> {
      await store.write(async (q) => {
        // Before reading the member: removing an invited member revokes the invitation, which an
        // acceptance may be committing right now (seats/seat-pool.ts).
        await q.organisations.lockForChange(organisationId);
        await requireRole(q, organisationId, actor, 'admin', 'remove members');
        const member = await requireMember(q, organisationId, memberId);
        if (member.seatState === 'removed') return;
        refusePrimaryOwner(member, 'remove');
        refuseSelf(actor, member, 'remove yourself');
        await requireAuthorityOver(q, actor, member, 'remove');
        if (member.seatState === 'seated')
          await seats.releaseIn(q, organisationId, memberId, actor, 'removed');
        else if (member.seatState === 'invited')
          await seats.revokeInvitationIn(q, organisationId, memberId, actor);
        else await seats.parkIn(q, organisationId, memberId, 'removed', actor, 'member.removed');
      });
    },
  };
}

export type MemberAdmin = ReturnType<typeof createMemberAdmin>;
