// Directory users as the identity provider drives them: created (or linked to a member who arrived
// before the directory knew them), replaced, deactivated, reactivated and deleted, with the seat
// settled in the same write (seat-settlement.ts). The write steps run inside the caller's write.
import type { Clock } from '../../domain/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { foldKey } from '../../domain/fold.js';
import { holdsSeat, type Actor } from '../../domain/model.js';
import type { DirectoryReader, Queries, Store } from '../../db/port.js';
import type { Group, ListPage, Member } from '../../domain/records.js';
import { shownResource } from '../../domain/shown-user.js';
import { recordAudit } from '../../audit/record.js';
import { requireOrganisation } from '../../seats/contract-state.js';
import { snapshot, type SeatPool } from '../../seats/seat-pool.js';
import { emailDomain } from '../members.js';
import type { SeatSettlement } from './seat-settlement.js';
import { checkVersion } from './version.js';

/** A directory user as the provider describes it, after the edge has normalised it. */
export interface DirectoryUserInput {
  readonly userName: string;
  readonly externalId: string | null;
  /** False means deactivated: no seat, no access. */
  readonly active: boolean;
  readonly displayName: string | null;
  /** The address to use: the first email address among the primary, the work and the other emails. */
  readonly email: string | null;
  /** The seat tier the provider asks for, if it sends one. */
  readonly tier: string | null;
  /** The provider's attributes as stored, opaque to the engine. */
  readonly resource: Readonly<Record<string, unknown>>;
}

export async function requireUser(q: Queries, organisationId: number, publicId: string): Promise<Member> {
  const member = await q.directoryUsers.byPublicId(organisationId, publicId);
  if (!member) throw new NotFoundError(`User ${publicId} not found.`);
  return member;
}

function addressOf(input: DirectoryUserInput): string {
  const email = input.email ?? (input.userName.includes('@') ? input.userName : null);
  if (email === null) {
    throw new ValidationError(
      'A user needs an email address: send "emails", or a userName that is an email address.',
      {},
      'invalid_value',
    );
  }
  emailDomain(email);
  return email.trim();
}

/**
 * userName is the one unique key (RFC 7644 §3.3, case-insensitive by RFC 7643 §4.1.1); externalId
 * is not checked, as RFC 7643 §3.1 leaves its uniqueness to the client. `self` is the user taking
 * the userName: null for a create.
 *
 * A live holder refuses it. A deleted user keeps its userName with its history: creating it again
 * restores that user (returned, for the create to land on), but renaming someone else onto it is
 * refused, saying why. A member the directory does not manage yet shows its address as userName:
 * a create with it links that member, renaming someone else onto it is refused.
 */
async function claimUserName(
  q: Queries,
  organisationId: number,
  userName: string,
  self: number | null,
): Promise<Member | undefined> {
  const holder = await q.directoryUsers.byUserName(organisationId, userName);
  if (holder && holder.id === self) return undefined;
  if (holder && holder.seatState !== 'removed') {
    throw new ConflictError(`A user with userName "${userName}" already exists.`, {}, 'uniqueness');
  }
  if (self === null) return holder;
  if (holder) {
    throw new ConflictError(
      `The userName "${userName}" belongs to a user deleted from the directory, whose history is kept under it. ` +
        'Provision that user again to restore them, or use another userName.',
      {},
      'uniqueness',
    );
  }
  const shownAs = (await q.members.withEmail(organisationId, userName)).some(
    (m) => m.seatState !== 'removed' && m.userName === null && m.id !== self,
  );
  if (shownAs) {
    throw new ConflictError(
      `The userName "${userName}" is the address of a member who signed in or was invited before the directory managed them. ` +
        'Create (POST) the user with this userName to link that member, or use another userName.',
      {},
      'uniqueness',
    );
  }
  return undefined;
}

/** The one current member with this address whom no directory user is linked to yet, if exactly one. */
async function unlinkedWithAddress(
  q: Queries,
  organisationId: number,
  email: string,
): Promise<Member | undefined> {
  const unlinked = (await q.members.withEmail(organisationId, email)).filter(
    (m) => m.seatState !== 'removed' && m.userName === null,
  );
  return unlinked.length === 1 ? unlinked[0] : undefined;
}

/**
 * The member not yet managed by the directory (signed in or invited before it knew them: linking
 * keeps their id and their seat) that the provider means: the one whose address is the userName,
 * as SCIM shows it and the provider matched it, else whose address is the user's email. Addresses
 * are not unique among directory users, so two candidates, or none, mean a new member.
 */
async function unlinkedTarget(
  q: Queries,
  organisationId: number,
  userName: string,
  email: string,
): Promise<Member | undefined> {
  const byUserName = await unlinkedWithAddress(q, organisationId, userName);
  // Most providers send the address as the userName too: then it was one lookup, not two.
  if (byUserName !== undefined || foldKey(email) === foldKey(userName)) return byUserName;
  return await unlinkedWithAddress(q, organisationId, email);
}

/**
 * The member a userName names, as a create would land on it: the directory user holding it, else
 * the unlinked member the provider means (unlinkedTarget, the userName taken as the address).
 */
export async function memberForUserName(
  q: Queries,
  organisationId: number,
  userName: string,
): Promise<Member | undefined> {
  return (
    (await q.directoryUsers.byUserName(organisationId, userName)) ??
    (await unlinkedTarget(q, organisationId, userName, userName))
  );
}

export interface DirectoryUsersDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly seats: SeatPool;
  readonly settlement: SeatSettlement;
  /** Runs lists off the event loop; absent (an in-memory database): in process. */
  readonly reader?: DirectoryReader;
}

export type DirectoryUsers = ReturnType<typeof createDirectoryUsers>;

export function createDirectoryUsers({ store, clock, seats, settlement, reader }: DirectoryUsersDeps) {
  const now = () => clock.now().toISO()!;
  const { settle } = settlement;

  async function writeFields(
    q: Queries,
    member: Member,
    input: DirectoryUserInput,
    email: string,
    actor: Actor,
  ): Promise<Member> {
    await q.directoryUsers.setFields(
      member,
      {
        userName: input.userName,
        externalId: input.externalId,
        email,
        displayName: input.displayName,
        resource: input.resource,
      },
      now(),
    );
    const after = (await q.members.byId(member.organisationId, member.id))!;
    if (member.userName === null) {
      // The directory takes over a member it did not push: same member, same id, same seat.
      await recordAudit(q, {
        organisationId: member.organisationId,
        at: now(),
        actor,
        action: 'member.linked',
        subjectType: 'member',
        subjectId: member.id,
        before: { userName: null, externalId: null, source: member.source },
        after: { userName: after.userName, externalId: after.externalId, source: member.source },
      });
    }
    if (JSON.stringify(snapshot(member)) !== JSON.stringify(snapshot(after))) {
      await recordAudit(q, {
        organisationId: member.organisationId,
        at: now(),
        actor,
        action: 'member.updated',
        subjectType: 'member',
        subjectId: member.id,
        before: snapshot(member),
        after: snapshot(after),
      });
    }
    return after;
  }

  /**
   * A member the directory does not manage yet, taken over as SCIM showed it (its address as
   * userName) when the provider names it without describing it: as a group member, or in a DELETE.
   * Left as it is when a directory user holds that userName already.
   */
  async function linkAsShown(q: Queries, shown: Member, actor: Actor): Promise<Member> {
    if (shown.userName !== null) return shown;
    // As in createUserIn: locked, then read again, so that a create linking the member meanwhile wins.
    await q.organisations.lockForChange(shown.organisationId);
    const member = (await q.members.byId(shown.organisationId, shown.id)) ?? shown;
    if (member.userName !== null || (await q.directoryUsers.byUserName(member.organisationId, member.email)))
      return member;
    const input: DirectoryUserInput = {
      userName: member.email,
      externalId: null,
      active: member.seatState !== 'deactivated',
      displayName: member.displayName,
      email: member.email,
      tier: null,
      resource: shownResource(member),
    };
    return await writeFields(q, member, input, member.email, actor);
  }

  /** A create (POST): a new member, or one linked or restored; the seat claimed in the same write. */
  async function createUserIn(
    q: Queries,
    organisationId: number,
    input: DirectoryUserInput,
    actor: Actor,
  ): Promise<Member> {
    await requireOrganisation(q, organisationId);
    const email = addressOf(input);
    const at = now();
    const target = async () =>
      (await claimUserName(q, organisationId, input.userName, null)) ??
      (await unlinkedTarget(q, organisationId, input.userName, email));
    let existing = await target();
    if (existing) {
      // Linking a member the directory did not push, or restoring a deleted directory user, takes
      // the organisation's lock and decides again: two creates racing for one member (possible on
      // PostgreSQL, where each runs on its own connection) would otherwise both take it over. The
      // second then finds the userName taken (409 uniqueness) or the member linked (a new user).
      // A create of a new user needs no lock: the unique userName index decides between those.
      await q.organisations.lockForChange(organisationId);
      existing = await target();
    }
    let member: Member;
    if (existing) {
      member = await writeFields(q, existing, input, email, actor);
    } else {
      // The row is written with its directory fields at once, so the audit's snapshot (email,
      // role, seat state, tier) is the same as for a member created, then described.
      member = await q.directoryUsers.insert(
        organisationId,
        {
          userName: input.userName,
          externalId: input.externalId,
          email,
          displayName: input.displayName,
          resource: input.resource,
        },
        at,
      );
      await recordAudit(q, {
        organisationId,
        at,
        actor,
        action: 'member.created',
        subjectType: 'member',
        subjectId: member.id,
        after: snapshot(member),
      });
    }
    // The attempt is off the waiting list whatever settle decides (a refusal undoes this with the
    // rest of the create). Resolved before the claim rather than after: on PostgreSQL the seat pool's
    // row stays locked from the claim to the commit, so the claim comes as late as it can.
    await q.waitlist.resolve(organisationId, input.userName, at);
    return await settle(q, member, input.active, input.tier, actor, true);
  }

  /** A replace (PUT, or a PATCH applied); a reactivation claims a seat in the same write. */
  async function replaceUserIn(
    q: Queries,
    organisationId: number,
    publicId: string,
    input: DirectoryUserInput,
    actor: Actor,
    expectedVersion?: number,
  ): Promise<Member> {
    let member = await requireUser(q, organisationId, publicId);
    checkVersion(member.version, expectedVersion);
    const email = addressOf(input);
    await claimUserName(q, organisationId, input.userName, member.id);
    if (!input.active) await settle(q, member, false, null, actor); // refuses the primary owner before anything is written
    member = await writeFields(q, (await q.members.byId(organisationId, member.id))!, input, email, actor);
    const settled = await settle(q, member, input.active, input.tier, actor);
    if (holdsSeat(settled.seatState)) await q.waitlist.resolve(organisationId, input.userName, now());
    return settled;
  }

  /** A delete: the seat given back, the memberships ended; the row stays (removed) with its history. */
  async function deleteUserIn(
    q: Queries,
    organisationId: number,
    publicId: string,
    actor: Actor,
    expectedVersion?: number,
  ): Promise<void> {
    const found = await requireUser(q, organisationId, publicId);
    checkVersion(found.version, expectedVersion);
    if (found.role === 'primary_owner') await settle(q, found, false, null, actor);
    // Linked first, so that creating the same userName again restores this member's history.
    const member = await linkAsShown(q, found, actor);
    if (member.seatState === 'seated') await seats.releaseIn(q, organisationId, member.id, actor, 'removed');
    else if (member.seatState === 'invited')
      await seats.revokeInvitationIn(q, organisationId, member.id, actor);
    else await seats.parkIn(q, organisationId, member.id, 'removed', actor, 'member.removed');
    await q.groups.removeFromAllGroups(member.id);
  }

  return {
    createUserIn,
    replaceUserIn,
    deleteUserIn,
    linkAsShown,

    getUser: (organisationId: number, publicId: string): Promise<Member> =>
      store.read((q) => requireUser(q, organisationId, publicId)),

    groupsOf: (memberId: number): Promise<Group[]> => store.read((q) => q.groups.groupsOf(memberId)),

    /** One page of the directory's users and the total, filtered, sorted and paged in SQL. */
    listUsers: async (
      organisationId: number,
      page: ListPage,
    ): Promise<{ total: number; members: Member[] }> =>
      reader
        ? reader.listUsers(organisationId, page)
        : await store.read((q) => q.directoryUsers.list(organisationId, page)),
  };
}
