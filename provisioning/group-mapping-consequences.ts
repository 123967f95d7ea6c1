// What a change of advanced group mappings does to people, found by making the change inside its
// transaction and comparing every member before and after: the list an owner confirms, and the
// reasons a change needs confirming (it demotes or unseats the owner making it, or it changes what
// the mappings say about the primary owner, whom they never demote).
import { roleRank, type Actor, type Role, type SeatState } from '../domain/model.js';
import type { Queries } from '../db/port.js';
import type { Member } from '../domain/records.js';
import { mappedAccess } from './members.js';

export interface MemberChange {
  readonly memberId: number;
  readonly email: string;
  /** The member making the change. */
  readonly you: boolean;
  readonly primaryOwner: boolean;
  readonly role: { readonly from: Role; readonly to: Role } | null;
  readonly seatState: { readonly from: SeatState; readonly to: SeatState } | null;
  readonly tier: { readonly from: string | null; readonly to: string | null } | null;
}

export type ConfirmationReason = 'demotes_you' | 'unseats_you' | 'primary_owner';

export interface MappingConsequences {
  /** Every member whose role, seat state or tier the change moves, caller first. */
  readonly changes: readonly MemberChange[];
  /** Why the change needs `confirm: true`; empty when it does not. */
  readonly reasons: readonly ConfirmationReason[];
  /** What the mappings give the primary owner before and after (they keep their role and seat). */
  readonly primaryOwner: {
    readonly memberId: number;
    readonly email: string;
    readonly mappedBefore: Mapped;
    readonly mappedAfter: Mapped;
  } | null;
}

type Mapped = { readonly role: Role | null; readonly tier: string | null };

async function mappedFor(q: Queries, member: Member): Promise<Mapped> {
  if (!(await q.groupMappings.enabled(member.organisationId))) return { role: null, tier: null };
  return await mappedAccess(
    q,
    member.organisationId,
    (await q.groups.groupsOf(member.id)).map((g) => g.displayName),
  );
}

/**
 * Call before the change, inside its transaction; `finish()` after it, in the same transaction,
 * says what the change did.
 */
export async function watchMappingChange(q: Queries, organisationId: number, actor: Actor) {
  const before = new Map((await q.members.list(organisationId)).map((m) => [m.id, m] as const));
  const owner = [...before.values()].find((m) => m.role === 'primary_owner');
  const ownerBefore = owner ? await mappedFor(q, owner) : null;
  const you = actor.type === 'member' ? actor.memberId : null;

  return {
    async finish(): Promise<MappingConsequences> {
      const changes: MemberChange[] = [];
      for (const now of await q.members.list(organisationId)) {
        const was = before.get(now.id);
        if (!was) continue;
        const role = was.role === now.role ? null : { from: was.role, to: now.role };
        const seatState = was.seatState === now.seatState ? null : { from: was.seatState, to: now.seatState };
        const tier = was.tierId === now.tierId ? null : { from: was.tierId, to: now.tierId };
        if (!role && !seatState && !tier) continue;
        changes.push({
          memberId: now.id,
          email: now.email,
          you: now.id === you,
          primaryOwner: now.role === 'primary_owner' || was.role === 'primary_owner',
          role,
          seatState,
          tier,
        });
      }
      changes.sort((a, b) => Number(b.you) - Number(a.you) || a.memberId - b.memberId);

      const reasons: ConfirmationReason[] = [];
      const mine = changes.find((c) => c.you);
      if (mine?.role && roleRank(mine.role.to) < roleRank(mine.role.from)) reasons.push('demotes_you');
      if (mine?.seatState?.from === 'seated') reasons.push('unseats_you');
      const ownerNow = owner ? (await q.members.byId(organisationId, owner.id))! : undefined;
      const ownerAfter = ownerNow ? await mappedFor(q, ownerNow) : null;
      const ownerTouched =
        changes.some((c) => c.primaryOwner) ||
        (ownerBefore !== null &&
          ownerAfter !== null &&
          (ownerBefore.role !== ownerAfter.role || ownerBefore.tier !== ownerAfter.tier));
      if (ownerTouched) reasons.push('primary_owner');
      return {
        changes,
        reasons,
        primaryOwner:
          owner && ownerBefore && ownerAfter
            ? { memberId: owner.id, email: owner.email, mappedBefore: ownerBefore, mappedAfter: ownerAfter }
            : null,
      };
    },
  };
}
