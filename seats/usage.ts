// Seat usage as it stands: per tier what is bought, held, seated, held by invitations and free, and
// the administrators' usage page built on it. Every reader of per-tier usage goes through
// tierUsage, so "available" means the same number on every page, command and metric.
import type { Actor } from '../domain/model.js';
import type { Queries } from '../db/port.js';
import type { Member, WaitlistEntry } from '../domain/records.js';
import { requireOrganisation } from './contract-state.js';
import { DEFAULT_NOTICE_THRESHOLDS, validateNoticeThresholds } from './notices.js';
import { requireRole } from './roles.js';

export interface TierUsage {
  readonly tierId: string;
  readonly tierName: string;
  readonly rank: number;
  readonly unitPriceMinor: number;
  readonly allocation: number;
  /** Seats held, by seated members and pending invitations together. */
  readonly held: number;
  readonly seated: number;
  readonly invited: number;
  readonly available: number;
}

/** Seats of a tier a claim could still take: bought and not held (by a member or an invitation). */
export function availableSeats(tier: { readonly allocation: number; readonly held: number }): number {
  return tier.allocation - tier.held;
}

/**
 * Allocation, held, seated, invited and available seats per tier, highest tier first, read inside
 * the caller's transaction. `held` is the pool's counter (the one a claim decides on), and
 * available is what a claim could still take from it.
 */
export async function tierUsage(
  q: Pick<Queries, 'members' | 'seatPools'>,
  organisationId: number,
): Promise<TierUsage[]> {
  const holders = await q.members.holdersByTier(organisationId);
  return (await q.seatPools.list(organisationId)).map((t) => ({
    ...t,
    seated: holders.get(t.tierId)?.seated ?? 0,
    invited: holders.get(t.tierId)?.invited ?? 0,
    available: availableSeats(t),
  }));
}

export interface SeatUsage {
  readonly tiers: TierUsage[];
  /** Members awaiting a seat (policy hold), first come first served. */
  readonly awaiting: Member[];
  /** Refused directory attempts (policy reject) still open. */
  readonly refused: WaitlistEntry[];
  readonly noticeThresholds: readonly number[];
}

/** The stored thresholds; a hand-edited row reads as the default, as the notices themselves do. */
function noticeThresholdsOf(json: string | undefined): readonly number[] {
  try {
    return validateNoticeThresholds(JSON.parse(json ?? 'null'));
  } catch {
    return DEFAULT_NOTICE_THRESHOLDS;
  }
}

/**
 * Seat usage for administrators, from one snapshot (the caller's read): per tier usage, who is
 * waiting (members awaiting a seat and refused directory attempts), and the owners' notice
 * thresholds.
 */
export async function seatUsage(q: Queries, organisationId: number, actor: Actor): Promise<SeatUsage> {
  await requireOrganisation(q, organisationId);
  await requireRole(q, organisationId, actor, 'admin', 'see seat usage');
  return {
    tiers: await tierUsage(q, organisationId),
    awaiting: await q.directoryUsers.waiting(organisationId),
    refused: await q.waitlist.open(organisationId),
    noticeThresholds: noticeThresholdsOf(await q.notices.thresholdsJson(organisationId)),
  };
}
