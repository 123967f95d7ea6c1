// Seat settlement: bringing a directory user's seat and role in line with what the provider says
// (active or not, the tier it asks for) and, with advanced group mappings on, with the user's
// groups. Every function runs inside the caller's write.
//
// A create or a reactivation claims a seat: the tier the provider asked for, else a tier-mapped
// group's, else the highest available. With no seat left, policy `reject` refuses the user (the
// caller records the attempt on the waiting list) and policy `hold` keeps the user awaiting a seat.
import type { Clock } from '../../domain/clock.js';
import { ForbiddenError, SeatLimitError } from '../../domain/errors.js';
import { HIGHEST, holdsSeat, type Actor, type SeatState, type TierChoice } from '../../domain/model.js';
import type { Queries } from '../../db/port.js';
import type { Member } from '../../domain/records.js';
import { requireOrganisation } from '../../seats/contract-state.js';
import type { SeatPool } from '../../seats/seat-pool.js';
import { changeRole, mappedAccess } from '../members.js';

/** Seatless states from which an active directory user claims a seat; see settle(). */
function claimsOnSettle(state: SeatState, assigning: boolean): boolean {
  return (
    state === 'deactivated' ||
    state === 'removed' ||
    state === 'unmapped' ||
    (assigning && state === 'unassigned')
  );
}

export interface SeatSettlementDeps {
  readonly clock: Clock;
  readonly seats: SeatPool;
}

export type SeatSettlement = ReturnType<typeof createSeatSettlement>;

export function createSeatSettlement({ clock, seats }: SeatSettlementDeps) {
  const now = () => clock.now().toISO()!;

  /** Role and tier that the member's groups map to; role null when no role-mapped group holds them. */
  async function mapped(q: Queries, member: Member) {
    return await mappedAccess(
      q,
      member.organisationId,
      (await q.groups.groupsOf(member.id)).map((g) => g.displayName),
    );
  }

  /**
   * Gives an active directory user a seat, or leaves them waiting. Under `reject` a seat shortage
   * is thrown; under `hold` the user waits (awaiting_seat). The claim runs in a savepoint of its
   * own, so a refused claim leaves the rest of the write to go on.
   */
  async function seatOrWait(q: Queries, member: Member, choice: TierChoice, actor: Actor): Promise<Member> {
    try {
      return await q.savepoint(() => seats.claimIn(q, member.organisationId, member.id, choice, actor));
    } catch (error) {
      // The policy matters only when no seat was left; read in this transaction, it is the one
      // in force when the claim failed.
      if (!(error instanceof SeatLimitError)) throw error;
      if ((await requireOrganisation(q, member.organisationId)).seatExhaustion !== 'hold') throw error;
      return await seats.parkIn(q, member.organisationId, member.id, 'awaiting_seat', actor, 'seat.awaiting');
    }
  }

  /**
   * Brings a member's seat in line with `active` (and, with mappings on, with its groups).
   * `assigning` is true when the provider assigns the user (a create): a member it has just
   * brought in is `unassigned` until this claim. Otherwise `unassigned` is an administrator's
   * choice (a seat taken away to swap people) that a directory update must not undo.
   */
  async function settle(
    q: Queries,
    member: Member,
    active: boolean,
    requestedTier: string | null,
    actor: Actor,
    assigning = false,
  ): Promise<Member> {
    const orgId = member.organisationId;
    if (!active) {
      if (member.role === 'primary_owner') {
        throw new ForbiddenError(
          'The primary owner cannot be deactivated or deleted through directory sync; transfer primary ownership first.',
          {},
          'primary_owner_protected',
        );
      }
      if (member.seatState === 'seated')
        return await seats.releaseIn(q, orgId, member.id, actor, 'deactivated');
      if (member.seatState === 'invited') {
        await seats.revokeInvitationIn(q, orgId, member.id, actor);
        return await seats.parkIn(q, orgId, member.id, 'deactivated', actor);
      }
      return member.seatState === 'deactivated'
        ? member
        : await seats.parkIn(q, orgId, member.id, 'deactivated', actor);
    }
    const mappingsOn = await q.groupMappings.enabled(orgId);
    const target = mappingsOn ? await mapped(q, member) : { role: null, tier: null };
    if (mappingsOn && member.role !== 'primary_owner') {
      if (target.role === null) {
        if (member.seatState === 'seated')
          return await seats.releaseIn(q, orgId, member.id, actor, 'unmapped');
        if (['deactivated', 'awaiting_seat', 'removed', 'unassigned'].includes(member.seatState)) {
          return await seats.parkIn(q, orgId, member.id, 'unmapped', actor);
        }
        return member;
      }
      member = await changeRole(q, member, target.role, actor, now());
    }
    if (claimsOnSettle(member.seatState, assigning)) {
      const tier = requestedTier ?? target.tier;
      return await seatOrWait(q, member, tier === null ? HIGHEST : { tier }, actor);
    }
    if (member.seatState === 'seated' && requestedTier !== null && requestedTier !== member.tierId) {
      return await seats.changeTierIn(q, orgId, member.id, requestedTier, actor);
    }
    return member;
  }

  /**
   * A membership change must not fail a group request for want of a seat: the person waits
   * instead (on the waiting list under `reject`, awaiting a seat under `hold`).
   */
  async function settleQuietly(q: Queries, member: Member, actor: Actor): Promise<Member> {
    const key = member.userName ?? member.email;
    try {
      const settled = await settle(q, member, true, null, actor);
      // Seated at last (a later membership change, or "sync now"): the attempt is no longer open.
      if (holdsSeat(settled.seatState)) await q.waitlist.resolve(member.organisationId, key, now());
      return settled;
    } catch (error) {
      if (!(error instanceof SeatLimitError)) throw error;
      await q.waitlist.record(member.organisationId, key, 'scim', now());
      return (await q.members.byId(member.organisationId, member.id))!;
    }
  }

  /** Re-evaluates the members whose groups changed (mappings on only). */
  async function resettle(
    q: Queries,
    organisationId: number,
    memberIds: Iterable<number>,
    actor: Actor,
  ): Promise<void> {
    if (!(await q.groupMappings.enabled(organisationId))) return;
    for (const id of new Set(memberIds)) {
      const member = await q.members.byId(organisationId, id);
      if (
        member &&
        member.seatState !== 'removed' &&
        member.seatState !== 'deactivated' &&
        member.seatState !== 'invited'
      ) {
        await settleQuietly(q, member, actor);
      }
    }
  }

  return { mapped, settle, settleQuietly, resettle };
}
