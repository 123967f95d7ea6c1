// Who may do what: the product's roles table, checked in one place for every use case.
import { ForbiddenError } from '../domain/errors.js';
import { hasRole, type Actor, type Role } from '../domain/model.js';
import type { Queries } from '../db/port.js';

const WHO: Readonly<Record<Role, string>> = {
  primary_owner: 'the primary owner',
  owner: 'owners and the primary owner',
  admin: 'admins, owners and the primary owner',
  user: 'members',
};

/** Who may do each thing, in the product's words; the API and its errors name the same roles. */
export function whoMay(role: Role): string {
  return WHO[role];
}

/**
 * Refuses unless the actor is a seated member (or an API token) with `role` or above, or the operator (the vendor
 * acting for the organisation). System jobs pass only where `allowSystem` says so. The refusal
 * names who may, so the caller knows whom to ask.
 */
export async function requireRole(
  q: Queries,
  organisationId: number,
  actor: Actor,
  role: Role,
  doing: string,
  options: { readonly allowSystem?: boolean } = {},
): Promise<void> {
  if (actor.type === 'operator' || (actor.type === 'system' && options.allowSystem === true)) return;
  if (actor.type === 'member') {
    const member = await q.members.byId(organisationId, actor.memberId);
    if (member && member.seatState === 'seated' && hasRole(member.role, role)) return;
  }
  if (actor.type === 'api_token') {
    // A token acts with its own role, read afresh: a revoked token stops at once. It never acts
    // above the member who made it as that member is now: demoting or removing someone takes
    // their scripts' power with it (else a demoted owner's token could promote its owner back).
    const token = await q.apiTokens.active(organisationId, actor.tokenId);
    if (token && hasRole(token.role, role)) {
      if (token.createdByMemberId === null) return; // made by the operator: no member above it
      const maker = await q.members.byId(organisationId, token.createdByMemberId);
      if (maker?.seatState === 'seated' && hasRole(maker.role, role)) return;
    }
  }
  throw new ForbiddenError(`Only ${WHO[role]} may ${doing}.`, { requiredRole: role });
}
