// The vocabulary shared by every layer: roles, seat states, sources and who acts.

/** Roles, highest first. Exactly one primary owner per organisation. */
export const ROLES = ['primary_owner', 'owner', 'admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

/** How much a role may do: a larger number may do everything a smaller one may. */
export function roleRank(role: Role): number {
  return ROLES.length - ROLES.indexOf(role);
}

/** True when `role` is `atLeast` or above. */
export function hasRole(role: Role, atLeast: Role): boolean {
  return roleRank(role) >= roleRank(atLeast);
}

/**
 * Where a member stands with respect to seats. Only `seated` and `invited` hold a seat; login is
 * allowed only while `seated`. `awaiting_seat` is a directory user kept without a seat (the `hold`
 * policy); `unmapped` is a directory user in no role-mapped group while advanced group mappings
 * are on (known to the directory, not a member); `removed` keeps the row so that re-adding the
 * same email keeps the member's history.
 */
export const SEAT_STATES = [
  'seated',
  'invited',
  'unassigned',
  'deactivated',
  'awaiting_seat',
  'unmapped',
  'removed',
] as const;
export type SeatState = (typeof SEAT_STATES)[number];

export function holdsSeat(state: SeatState): boolean {
  return state === 'seated' || state === 'invited';
}

export const MEMBER_SOURCES = ['manual', 'jit', 'scim'] as const;
export type MemberSource = (typeof MEMBER_SOURCES)[number];

/**
 * A member as the audit log records it (an entry's `before` and `after`): replaying these rebuilds
 * every member's seat state, and a webhook event about a member carries them.
 */
export interface MemberSnapshot {
  readonly email: string;
  readonly role: Role;
  readonly seatState: SeatState;
  readonly tierId: string | null;
}

/** Who performed an action, as the audit log records it. */
export type Actor =
  | { readonly type: 'member'; readonly memberId: number }
  | { readonly type: 'api_token'; readonly tokenId: number }
  | { readonly type: 'scim_token'; readonly tokenId: number }
  | { readonly type: 'jit'; readonly connectionId: number }
  | { readonly type: 'operator'; readonly name?: string }
  | { readonly type: 'system'; readonly job: string };

export const OPERATOR: Actor = { type: 'operator' };

/** How a claim chooses its tier. */
export type TierChoice = { readonly highest: true } | { readonly lowest: true } | { readonly tier: string };
export const HIGHEST: TierChoice = { highest: true };
export const LOWEST: TierChoice = { lowest: true };
