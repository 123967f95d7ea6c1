// The tiered seat pool: every operation that takes, moves or gives back a seat.
//
// Each operation changes the pool counter, the member row and the audit log together, or nothing at
// all, and comes in two forms: a step (`claimIn(q, …)`) that runs inside the caller's transaction
// and never opens one, and a command (`claim(…)`) that opens exactly one write around the step.
// Code that already holds a `q` calls the step; a command inside another's write is refused.
//
// Accepting, revoking and expiring an invitation lock the organisation for the change first
// (`lockForChange`) and read the member and invitation after it: on PostgreSQL two of them at once
// would otherwise both read the invitation as pending, and all but one fail halfway.
import type { DateTime } from 'luxon';
import type { Clock } from '../domain/clock.js';
import {
  ConflictError,
  ContractExpiredError,
  NotFoundError,
  SeatLimitError,
  ValidationError,
} from '../domain/errors.js';
import {
  HIGHEST,
  type Actor,
  type MemberSnapshot,
  type SeatState,
  type TierChoice,
} from '../domain/model.js';
import type { Queries, Store } from '../db/port.js';
import type { Invitation, Member, PoolTier } from '../domain/records.js';
import { requireOpenContract, type OpenContract } from './contract-state.js';
import type { OwnerNotices } from './notices.js';
import { tierUsage, type TierUsage } from './usage.js';
import { recordAudit } from '../audit/record.js';

/** Product rule: a pending invitation holds its seat for 21 days after it was sent. */
export const INVITATION_TTL_DAYS = 21;

const SEAT_WAITING_JOB: Actor = { type: 'system', job: 'seat-waiting' };
const INVITATION_EXPIRY_JOB: Actor = { type: 'system', job: 'invitation-expiry' };

export function snapshot(m: Member): MemberSnapshot {
  return { email: m.email, role: m.role, seatState: m.seatState, tierId: m.tierId };
}

/** States a seat may be released into. */
export type SeatlessState = Exclude<SeatState, 'seated' | 'invited'>;

/** Every state without a seat: a member in one of these may claim or be invited. */
const SEATLESS: readonly SeatlessState[] = [
  'unassigned',
  'deactivated',
  'awaiting_seat',
  'unmapped',
  'removed',
];

export interface SeatPoolDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** Told of every change of a held counter, in its transaction (seat-threshold notices). */
  readonly notices?: OwnerNotices;
  /**
   * Told of invitations sent, accepted, revoked and expired (how many), once the change is made:
   * the container counts them in its metrics.
   */
  readonly onInvitation?: (event: InvitationEvent, count: number) => void;
}

export type InvitationEvent = 'sent' | 'accepted' | 'expired' | 'revoked';

export type SeatPool = ReturnType<typeof createSeatPool>;

export function createSeatPool({ store, clock, notices, onInvitation }: SeatPoolDeps) {
  /**
   * Takes one seat of the tier, false when none is left. One conditional UPDATE decides and
   * returns the new count, from which a reached usage threshold is announced in this transaction.
   */
  async function take(q: Queries, organisationId: number, tierId: string): Promise<boolean> {
    const count = await q.seatPools.claimCounted(organisationId, tierId);
    if (count === undefined) return false;
    await notices?.seatTaken(q, organisationId, tierId, count);
    return true;
  }

  const rankOf = (choice: TierChoice): 'highest' | 'lowest' => ('lowest' in choice ? 'lowest' : 'highest');

  /** Claims one seat by the choice's rule and returns its tier, or throws SeatLimitError. */
  async function claimTier(q: Queries, open: OpenContract, choice: TierChoice): Promise<string> {
    // By rank, one statement chooses the tier and takes the seat. When it takes none, the tiers
    // are tried one by one (claimTierByTier).
    if (!('tier' in choice)) {
      const taken = await q.seatPools.claimRanked(open.organisation.id, rankOf(choice));
      if (taken) {
        await notices?.seatTaken(q, open.organisation.id, taken.tierId, taken.count);
        return taken.tierId;
      }
    }
    return await claimTierByTier(q, open, choice);
  }

  /**
   * claimTier's way when a claim by rank took nothing, or a tier is named: one tier at a time, in
   * the choice's order, which also names them in the refusal (and, on PostgreSQL, finds a seat a
   * concurrent claim left in another tier).
   */
  async function claimTierByTier(q: Queries, open: OpenContract, choice: TierChoice): Promise<string> {
    const pool = await q.seatPools.list(open.organisation.id);
    const candidates = tierOrder(pool, choice);
    for (const tier of candidates) {
      // One conditional UPDATE per candidate: the database decides, not a count read earlier.
      if (await take(q, open.organisation.id, tier.tierId)) return tier.tierId;
    }
    throw new SeatLimitError(
      open.organisation.slug,
      candidates.map((t) => t.tierId),
    );
  }

  async function freeTier(q: Queries, member: Member): Promise<void> {
    const { tierId } = member;
    const count =
      tierId === null ? undefined : await q.seatPools.releaseCounted(member.organisationId, tierId);
    if (tierId === null || count === undefined) {
      throw new Error(`seat pool out of step: member ${member.id} holds no countable seat`);
    }
    await notices?.seatFreed(q, member.organisationId, tierId, count);
  }

  /** Moves the member to (state, tier), guarded by the state it was read in, and audits the move. */
  async function move(
    q: Queries,
    member: Member,
    state: SeatState,
    tierId: string | null,
    actor: Actor,
    action: string,
    at: DateTime,
  ): Promise<Member> {
    const when = at.toISO()!;
    const after = await q.members.setSeat(member, member.seatState, state, tierId, when);
    return await moved(q, member, after, actor, action, when);
  }

  /** What follows a move guarded by the state `member` was read in: `after`, or a conflict. */
  async function moved(
    q: Queries,
    member: Member,
    after: Member | undefined,
    actor: Actor,
    action: string,
    when: string,
  ): Promise<Member> {
    if (after === undefined) {
      throw new ConflictError(
        `Member ${member.email} was changed by another request; try again.`,
        {},
        'concurrent_change',
      );
    }
    const state = after.seatState;
    // Losing the seat ends the member's sessions: a session is refused only while unseated, so
    // one kept would work again on any later re-seating (a laptop left behind, for hours).
    if (member.seatState === 'seated' && state !== 'seated') {
      await q.ssoState.revokeMemberSessions(member.organisationId, member.id, when);
    }
    await recordAudit(q, {
      organisationId: member.organisationId,
      at: when,
      actor,
      action,
      subjectType: 'member',
      subjectId: member.id,
      before: snapshot(member),
      after: snapshot(after),
    });
    return after;
  }

  async function requireMember(q: Queries, organisationId: number, memberId: number): Promise<Member> {
    const member = await q.members.byId(organisationId, memberId);
    if (!member) throw new NotFoundError(`No member ${memberId} in this organisation.`);
    return member;
  }

  function requireState(member: Member, allowed: readonly SeatState[], doing: string): void {
    if (!allowed.includes(member.seatState)) {
      throw new ConflictError(
        `Cannot ${doing} ${member.email}: the member is ${member.seatState.replace('_', ' ')}.`,
        { seatState: member.seatState },
        'invalid_seat_state',
      );
    }
  }

  async function requirePendingInvitation(q: Queries, member: Member): Promise<Invitation> {
    const invitation = await q.invitations.pendingFor(member.organisationId, member.id);
    if (!invitation) throw new Error(`member ${member.id} is invited but has no pending invitation`);
    return invitation;
  }

  /**
   * Seats members waiting for a seat (the `hold` policy), first come first served, for as long as
   * seats are available. Runs inside every transaction that frees or adds seats, so a freed seat
   * goes to the longest-waiting member in the same commit. Returns how many were seated.
   */
  async function seatWaiting(q: Queries, organisationId: number): Promise<number> {
    const waiting = await q.directoryUsers.waiting(organisationId);
    if (waiting.length === 0) return 0;
    const now = clock.now();
    // After the term, nobody is seated; but the release that called this must still go through
    // (seats can always be given back), so an ended contract seats no one instead of refusing.
    try {
      await requireOpenContract(q, organisationId, now);
    } catch (error) {
      if (error instanceof ContractExpiredError) return 0;
      throw error;
    }
    let seated = 0;
    for (const member of waiting) {
      let tier: PoolTier | undefined;
      for (const t of tierOrder(await q.seatPools.list(organisationId), HIGHEST)) {
        if (await take(q, organisationId, t.tierId)) {
          tier = t;
          break;
        }
      }
      if (!tier) break;
      await move(q, member, 'seated', tier.tierId, SEAT_WAITING_JOB, 'seat.claimed', now);
      seated += 1;
    }
    return seated;
  }

  /** Frees an invited member's seat and ends the invitation with `status`. */
  async function endInvitation(
    q: Queries,
    member: Member,
    status: 'revoked' | 'expired',
    to: SeatlessState,
    actor: Actor,
    at: DateTime,
  ): Promise<Member> {
    const invitation = await requirePendingInvitation(q, member);
    await q.invitations.end(invitation.id, status, at.toISO()!);
    await freeTier(q, member);
    const action = status === 'expired' ? 'invitation.expired' : 'invitation.revoked';
    const ended = await move(q, member, to, null, actor, action, at);
    if (status === 'revoked') await seatWaiting(q, member.organisationId);
    return ended;
  }

  /** Expires one pending invitation if it still is pending; 1 if it did. */
  async function expireOne(q: Queries, invitation: Invitation, now: DateTime): Promise<number> {
    // Read after the lock: an acceptance or revoke that committed meanwhile is seen, not undone.
    await q.organisations.lockForChange(invitation.organisationId);
    const member = await q.members.byId(invitation.organisationId, invitation.memberId);
    const pending = member && (await q.invitations.pendingFor(member.organisationId, member.id));
    if (!member || pending?.id !== invitation.id || member.seatState !== 'invited') return 0;
    await endInvitation(q, member, 'expired', 'removed', INVITATION_EXPIRY_JOB, now);
    return 1;
  }

  // The step forms: each runs inside the caller's transaction (the `q` it holds) and never opens
  // one, so a use case that also creates the member, say, commits the member and the seat together.

  /** Seats a member who holds none: the highest, the lowest, or a named tier. */
  async function claimIn(
    q: Queries,
    organisationId: number,
    memberId: number,
    choice: TierChoice,
    actor: Actor,
  ): Promise<Member> {
    const now = clock.now();
    const open = await requireOpenContract(q, organisationId, now);
    const member = await requireMember(q, organisationId, memberId);
    return await seat(q, open, member, choice, actor, now);
  }

  /**
   * claimIn for a member the caller's transaction has just written or read (a member enrolled a
   * statement ago): the same rules, without reading the member again.
   */
  async function claimMemberIn(
    q: Queries,
    member: Member,
    choice: TierChoice,
    actor: Actor,
  ): Promise<Member> {
    const now = clock.now();
    const open = await requireOpenContract(q, member.organisationId, now);
    return await seat(q, open, member, choice, actor, now);
  }

  async function seat(
    q: Queries,
    open: OpenContract,
    member: Member,
    choice: TierChoice,
    actor: Actor,
    now: DateTime,
  ): Promise<Member> {
    requireState(member, SEATLESS, 'seat');
    // Every JIT and SCIM arrival claims by rank: the claim and the member's move are one step (one
    // statement on PostgreSQL, whose lock on the pool's row lasts until the commit). A named tier,
    // or a claim by rank that took nothing, goes tier by tier.
    const when = now.toISO()!;
    const taken =
      'tier' in choice
        ? undefined
        : await q.seatPools.claimRankedFor(member, member.seatState, rankOf(choice), when);
    if (taken === undefined) {
      const tierId = await claimTierByTier(q, open, choice);
      return await move(q, member, 'seated', tierId, actor, 'seat.claimed', now);
    }
    await notices?.seatTaken(q, open.organisation.id, taken.tierId, taken.count);
    return await moved(q, member, taken.member, actor, 'seat.claimed', when);
  }

  /** A seated member's seat back to the pool, the member to `to`; the seat goes to whoever waits longest. */
  async function vacate(
    q: Queries,
    organisationId: number,
    memberId: number,
    actor: Actor,
    to: 'deactivated' | 'removed' | 'unmapped' | 'unassigned',
    action: 'seat.released' | 'seat.unassigned',
    doing: string,
  ): Promise<Member> {
    const member = await requireMember(q, organisationId, memberId);
    requireState(member, ['seated'], doing);
    await freeTier(q, member);
    const vacated = await move(q, member, to, null, actor, action, clock.now());
    await seatWaiting(q, organisationId);
    return vacated;
  }

  function releaseIn(
    q: Queries,
    organisationId: number,
    memberId: number,
    actor: Actor,
    to: 'deactivated' | 'removed' | 'unmapped' = 'deactivated',
  ): Promise<Member> {
    return vacate(q, organisationId, memberId, actor, to, 'seat.released', 'release the seat of');
  }

  function unassignIn(q: Queries, organisationId: number, memberId: number, actor: Actor): Promise<Member> {
    return vacate(q, organisationId, memberId, actor, 'unassigned', 'seat.unassigned', 'unassign');
  }

  async function changeTierIn(
    q: Queries,
    organisationId: number,
    memberId: number,
    tierId: string,
    actor: Actor,
  ): Promise<Member> {
    const now = clock.now();
    const open = await requireOpenContract(q, organisationId, now);
    const member = await requireMember(q, organisationId, memberId);
    requireState(member, ['seated', 'invited'], 'change the tier of');
    if (member.tierId === tierId) return member;
    const claimed = await claimTier(q, open, { tier: tierId });
    await freeTier(q, member);
    const changed = await move(q, member, member.seatState, claimed, actor, 'seat.tier_changed', now);
    await seatWaiting(q, organisationId);
    return changed;
  }

  /** The hold itself, without telling onInvitation: each form tells it once its change is made. */
  async function hold(
    q: Queries,
    organisationId: number,
    memberId: number,
    choice: TierChoice,
    actor: Actor,
    tokenHash: string | null = null,
  ): Promise<{ member: Member; invitationId: number }> {
    const now = clock.now();
    const open = await requireOpenContract(q, organisationId, now);
    const member = await requireMember(q, organisationId, memberId);
    requireState(member, SEATLESS, 'invite');
    const tierId = await claimTier(q, open, choice);
    const expiresAt = now.plus({ days: INVITATION_TTL_DAYS });
    const invitationId = await q.invitations.insert(
      organisationId,
      member.id,
      tokenHash,
      now.toISO()!,
      expiresAt.toISO()!,
    );
    return {
      member: await move(q, member, 'invited', tierId, actor, 'invitation.seat_held', now),
      invitationId,
    };
  }

  async function revoke(q: Queries, organisationId: number, memberId: number, actor: Actor): Promise<Member> {
    await q.organisations.lockForChange(organisationId);
    const member = await requireMember(q, organisationId, memberId);
    requireState(member, ['invited'], 'revoke the invitation of');
    return await endInvitation(q, member, 'revoked', 'removed', actor, clock.now());
  }

  async function accept(q: Queries, organisationId: number, memberId: number, actor: Actor): Promise<Member> {
    const now = clock.now();
    await q.organisations.lockForChange(organisationId);
    const member = await requireMember(q, organisationId, memberId);
    requireState(member, ['invited'], 'accept the invitation of');
    const invitation = await requirePendingInvitation(q, member);
    if (now.toISO()! >= invitation.expiresAt) {
      throw new ConflictError(
        'This invitation has expired; ask an administrator to send it again.',
        {},
        'invitation_expired',
      );
    }
    await q.invitations.end(invitation.id, 'accepted', now.toISO()!);
    return await move(q, member, 'seated', member.tierId, actor, 'invitation.accepted', now);
  }

  async function parkIn(
    q: Queries,
    organisationId: number,
    memberId: number,
    to: SeatlessState,
    actor: Actor,
    action = 'member.state_changed',
  ): Promise<Member> {
    const member = await requireMember(q, organisationId, memberId);
    requireState(member, SEATLESS, 'change the state of');
    if (member.seatState === to) return member;
    return await move(q, member, to, null, actor, action, clock.now());
  }

  /** A step told to onInvitation once it returned (inside the caller's transaction, as it runs). */
  function told<A extends unknown[], T>(
    event: InvitationEvent,
    step: (q: Queries, ...args: A) => Promise<T>,
  ) {
    return async (q: Queries, ...args: A): Promise<T> => {
      const result = await step(q, ...args);
      onInvitation?.(event, 1);
      return result;
    };
  }

  /** The command form of a step: one write transaction of its own, told to onInvitation after it committed. */
  function command<A extends unknown[], T>(
    step: (q: Queries, ...args: A) => Promise<T>,
    event?: InvitationEvent,
  ) {
    return async (...args: A): Promise<T> => {
      const result = await store.write((q) => step(q, ...args));
      if (event) onInvitation?.(event, 1);
      return result;
    };
  }

  return {
    /** Allocation, held, seated, invited and available seats per tier, highest tier first. */
    async usage(organisationId: number): Promise<TierUsage[]> {
      return await store.read((q) => tierUsage(q, organisationId));
    },

    /** Seats a member who holds none: the highest, the lowest, or a named tier. */
    claim: command(claimIn),
    claimIn,
    claimMemberIn,

    /**
     * Gives a seated member's seat back to the pool at once. `to` says what the member becomes:
     * deactivated (the directory switched them off), removed, or unmapped (out of every
     * role-mapped group). The freed seat goes to the longest-waiting member, if any.
     */
    release: command(releaseIn),
    releaseIn,

    /** Unassigns a seated member: still a member, no seat, no access (used to swap people). */
    unassign: command(unassignIn),
    unassignIn,

    /**
     * Moves a member's held seat (seated or invited) to another tier, only into an available seat
     * of that tier; otherwise SeatLimitError names the tier an owner must buy.
     */
    changeTier: command(changeTierIn),
    changeTierIn,

    /** Holds a seat for a member's pending invitation, which expires after 21 days. */
    holdForInvitation: command(hold, 'sent'),
    holdForInvitationIn: told('sent', hold),

    /** Revokes a pending invitation and frees its seat; the member row stays (as removed) for history. */
    revokeInvitation: command(revoke, 'revoked'),
    revokeInvitationIn: told('revoked', revoke),

    /** The invitee accepts: the held seat becomes theirs, no pool change. */
    acceptInvitation: command(accept, 'accepted'),
    acceptInvitationIn: told('accepted', accept),

    /**
     * The clock-driven job: every invitation past its expiry releases its seat. Each one is its own
     * transaction guarded by the invitation still being pending, so running the job twice, or in two
     * processes at once, expires each invitation exactly once. Returns how many it expired.
     */
    async expireInvitations(): Promise<number> {
      const now = clock.now();
      const due = await store.read((q) => q.invitations.dueForExpiry(now.toISO()!));
      let expired = 0;
      // One organisation's failure must not keep every other organisation's seats held.
      const failures: unknown[] = [];
      for (const invitation of due) {
        try {
          expired += await store.write(async (q) => {
            const n = await expireOne(q, invitation, now);
            if (n > 0) await seatWaiting(q, invitation.organisationId);
            return n;
          });
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) {
        throw new AggregateError(failures, `${failures.length} invitation(s) could not be expired`);
      }
      onInvitation?.('expired', expired);
      return expired;
    },

    /**
     * Inside the caller's transaction: expires the organisation's invitations that lapsed by
     * `instant` (the renewal counts seats in use at term end, and a lapsed invitation is not).
     */
    async expireLapsedInvitations(q: Queries, organisationId: number, instant: DateTime): Promise<number> {
      const lapsed = (await q.invitations.dueForExpiry(instant.toISO()!)).filter(
        (i) => i.organisationId === organisationId,
      );
      let expired = 0;
      for (const invitation of lapsed) expired += await expireOne(q, invitation, clock.now());
      onInvitation?.('expired', expired);
      return expired;
    },

    /** Seats waiting members now, as far as seats allow ("sync now"). */
    async seatWaiting(organisationId: number): Promise<number> {
      return await store.write(async (q) => {
        // Asked for on purpose ("sync now"): an ended contract is said to be, not skipped.
        await requireOpenContract(q, organisationId, clock.now());
        return await seatWaiting(q, organisationId);
      });
    },

    /**
     * Inside the caller's transaction: after seats were added (or on demand), re-arms the usage
     * notices the new allocation falls below, then seats waiting members.
     */
    async seatWaitingIn(q: Queries, organisationId: number): Promise<number> {
      await notices?.allocationChanged(q, organisationId);
      return await seatWaiting(q, organisationId);
    },

    /**
     * Moves a member between two seatless states (say awaiting a seat → deactivated), with its
     * audit row; no pool change.
     */
    park: command(parkIn),
    parkIn,
  };
}

/** The order in which a claim tries tiers: highest rank first, lowest first, or just the named one. */
export function tierOrder(pool: readonly PoolTier[], choice: TierChoice): PoolTier[] {
  if ('tier' in choice) {
    const named = pool.find((t) => t.tierId === choice.tier);
    if (!named)
      throw new ValidationError(
        `There is no seat tier "${choice.tier}".`,
        { tier: choice.tier },
        'unknown_tier',
      );
    return [named];
  }
  const highestFirst = [...pool].sort((a, b) => b.rank - a.rank);
  return 'lowest' in choice ? highestFirst.reverse() : highestFirst;
}
