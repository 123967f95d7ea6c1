// Bringing people in: a new (or returning) member either takes a seat at once or is invited,
// which holds a seat until the invitation ends. Each is one transaction with its seat change.
import type { Clock } from '../domain/clock.js';
import { ConflictError, ValidationError } from '../domain/errors.js';
import { roleRank, type Actor, type MemberSource, type Role, type TierChoice } from '../domain/model.js';
import { foldKey } from '../domain/fold.js';
import type { Queries, Store } from '../db/port.js';
import type { Member } from '../domain/records.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { snapshot, type SeatPool } from '../seats/seat-pool.js';
import { recordAudit } from '../audit/record.js';

export interface MemberInput {
  readonly email: string;
  readonly displayName?: string | null;
  readonly role: Role;
}

/**
 * RFC 5321-shaped enough to refuse typos; the verified-domain rule does the real gatekeeping. No
 * control characters (RFC 5322 §3.2.3: not in an atom): such an address could never receive mail.
 */
const EMAIL = /^[^\s@\p{Cc}]{1,64}@([a-z0-9-]+(\.[a-z0-9-]+)+)$/iu;

export function emailDomain(email: string): string {
  const match = EMAIL.exec(email.trim());
  if (!match) throw new ValidationError(`"${email}" is not an email address.`, { email }, 'invalid_email');
  return match[1]!.toLowerCase();
}

export interface MemberServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly seats: SeatPool;
}

export type MemberService = ReturnType<typeof createMemberService>;

export function createMemberService({ store, clock, seats }: MemberServiceDeps) {
  /**
   * The member row for this email: a new one, or a removed one brought back (same id, so the
   * audit history stays with the person). A current member is a conflict.
   */
  async function enrol(
    q: Queries,
    organisationId: number,
    input: MemberInput,
    source: MemberSource,
    actor: Actor,
  ): Promise<Member> {
    const at = clock.now().toISO()!;
    const email = input.email.trim();
    emailDomain(email);
    // No index keeps one current member per address: it is looked up under a lock on the address,
    // so two invitations (or admissions) of one address at once cannot both find none and both
    // make a member on PostgreSQL. Only the same address waits: first sign-ins of different
    // people still run side by side.
    await q.members.lockAddress(organisationId, email);
    const existing = await q.members.byEmail(organisationId, email);
    if (existing && existing.seatState !== 'removed') {
      throw new ConflictError(
        `${existing.email} is already a member of this organisation.`,
        { memberId: existing.id },
        'member_exists',
      );
    }
    if (existing) {
      // A returning primary owner stays primary owner: only a transfer changes who that is.
      await q.members.setRole(existing, existing.role === 'primary_owner' ? 'primary_owner' : input.role, at);
      const revived = (await q.members.byId(organisationId, existing.id))!;
      await recordAudit(q, {
        organisationId,
        at,
        actor,
        action: 'member.readded',
        subjectType: 'member',
        subjectId: existing.id,
        before: snapshot(existing),
        after: snapshot(revived),
      });
      return revived;
    }
    const member = await q.members.insert({
      organisationId,
      email,
      displayName: input.displayName ?? null,
      role: input.role,
      source,
      at,
    });
    await recordAudit(q, {
      organisationId,
      at,
      actor,
      action: 'member.created',
      subjectType: 'member',
      subjectId: member.id,
      after: snapshot(member),
    });
    return member;
  }

  function refusePrimaryOwner(role: Role): void {
    if (role === 'primary_owner') {
      throw new ValidationError(
        'There is one primary owner per organisation; transfer primary ownership instead.',
        {},
        'invalid_role',
      );
    }
  }

  /** A new member with a seat of the chosen tier at once, inside the caller's transaction. */
  async function admitIn(
    q: Queries,
    organisationId: number,
    input: MemberInput,
    source: MemberSource,
    choice: TierChoice,
    actor: Actor,
  ): Promise<Member> {
    refusePrimaryOwner(input.role);
    const member = await enrol(q, organisationId, input, source, actor);
    return await seats.claimMemberIn(q, member, choice, actor);
  }

  /** An invitation holding a seat, inside the caller's transaction; see invite. */
  async function inviteIn(
    q: Queries,
    organisationId: number,
    input: MemberInput,
    choice: TierChoice,
    actor: Actor,
    options: { allowPrimaryOwner?: boolean; tokenHash?: string | null } = {},
  ): Promise<{ member: Member; invitationId: number }> {
    if (!options.allowPrimaryOwner) refusePrimaryOwner(input.role);
    const organisation = await requireOrganisation(q, organisationId);
    const domain = emailDomain(input.email);
    const verified = (await q.organisations.domains(organisationId)).some(
      (d) => d.domain === domain && d.verifiedAt !== null,
    );
    if (!verified) {
      throw new ValidationError(
        `${input.email} is not on a verified domain of ${organisation.name}; only addresses on its verified domains can be invited.`,
        { domain },
        'domain_not_verified',
      );
    }
    const member = await enrol(q, organisationId, input, 'manual', actor);
    return await seats.holdForInvitationIn(
      q,
      organisationId,
      member.id,
      choice,
      actor,
      options.tokenHash ?? null,
    );
  }

  return {
    /** A new member with a seat of the chosen tier at once (SCIM, JIT and operator paths). */
    async admit(
      organisationId: number,
      input: MemberInput,
      source: MemberSource,
      choice: TierChoice,
      actor: Actor,
    ): Promise<Member> {
      return await store.write((q) => admitIn(q, organisationId, input, source, choice, actor));
    },
    admitIn,

    /**
     * Invites a person on one of the organisation's verified domains; the invitation holds a seat
     * of the chosen tier (by default the lowest available) for 21 days.
     */
    async invite(
      organisationId: number,
      input: MemberInput,
      choice: TierChoice,
      actor: Actor,
      options: { allowPrimaryOwner?: boolean; tokenHash?: string | null } = {},
    ): Promise<{ member: Member; invitationId: number }> {
      return await store.write((q) => inviteIn(q, organisationId, input, choice, actor, options));
    },
    inviteIn,
  };
}

/**
 * What a set of group names maps to under the organisation's advanced group mappings: the highest
 * mapped role and the highest mapped tier, each null when no group maps one.
 */
export async function mappedAccess(
  q: Queries,
  organisationId: number,
  groupNames: Iterable<string>,
): Promise<{ role: Exclude<Role, 'primary_owner'> | null; tier: string | null }> {
  const mappings = new Map((await q.groupMappings.list(organisationId)).map((m) => [m.groupName, m]));
  const ranks = new Map((await q.tiers.all()).map((t) => [t.id, t.rank]));
  let role: Exclude<Role, 'primary_owner'> | null = null;
  let tier: string | null = null;
  for (const name of groupNames) {
    const m = mappings.get(foldKey(name));
    if (m?.role && (role === null || roleRank(m.role) > roleRank(role))) role = m.role;
    if (m?.tierId && (tier === null || (ranks.get(m.tierId) ?? 0) > (ranks.get(tier) ?? 0))) tier = m.tierId;
  }
  return { role, tier };
}

/** Gives the member `role` and audits the change, inside the caller's transaction. */
export async function changeRole(
  q: Queries,
  member: Member,
  role: Role,
  actor: Actor,
  at: string,
): Promise<Member> {
  if (member.role === role) return member;
  await q.members.setRole(member, role, at);
  const after = (await q.members.byId(member.organisationId, member.id))!;
  await recordAudit(q, {
    organisationId: member.organisationId,
    at,
    actor,
    action: 'member.role_changed',
    subjectType: 'member',
    subjectId: member.id,
    before: snapshot(member),
    after: snapshot(after),
  });
  return after;
}
