// Directory sync as the identity provider drives it: users created, replaced, deactivated,
// reactivated and deleted; groups and their memberships; advanced group mappings. Protocol-free:
// the SCIM edge hands in plain values and gets members and groups back.
//
// Every command is one transaction in which the seat changes with the member. A create or a
// reactivation claims a seat (the tier the provider asked for, else a tier-mapped group's, else
// the highest available). With no seat left, policy `reject` refuses the user (nothing stored; the
// attempt goes on the waiting list) and policy `hold` keeps the user awaiting a seat.
import type { Clock } from '../domain/clock.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  SeatLimitError,
  ValidationError,
} from '../domain/errors.js';
import { HIGHEST, holdsSeat, type Actor, type SeatState, type TierChoice } from '../domain/model.js';
import type { GroupMapping } from '../db/queries/group-mappings.js';
import type { Queries } from '../db/queries/index.js';
import type { ListPage } from '../db/queries/directory-users.js';
import type { Group } from '../db/queries/groups.js';

/** The records the directory hands to its edge, so the edge needs nothing from db/. */
export type { Group, GroupMemberRef } from '../db/queries/groups.js';
export type { Member } from '../db/queries/members.js';
export { shownResource, shownUserName } from '../db/queries/directory-users.js';
import { shownResource } from '../db/queries/directory-users.js';
import type { Member } from '../db/queries/members.js';
import type { ProvisioningMode, SeatExhaustionPolicy } from '../db/queries/organisations.js';
import type { DirectoryReader } from '../db/directory-reader.js';
import type { Store } from '../db/store.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import { snapshot, type SeatPool } from '../seats/seat-pool.js';
import { changeRole, emailDomain, mappedAccess } from './members.js';
import { foldKey } from '../domain/fold.js';
import { DEFAULT_NOTICE_THRESHOLDS, validateNoticeThresholds } from '../seats/notices.js';
import { watchMappingChange, type MappingConsequences } from './group-mapping-consequences.js';
import { recordAudit } from '../audit/record.js';

/** Seatless states from which an active directory user claims a seat; see settle(). */
function claimsOnSettle(state: SeatState, assigning: boolean): boolean {
  return (
    state === 'deactivated' ||
    state === 'removed' ||
    state === 'unmapped' ||
    (assigning && state === 'unassigned')
  );
}

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

export interface DirectoryGroupInput {
  readonly displayName: string;
  readonly externalId: string | null;
  /** Public ids of the members. */
  readonly members: readonly string[];
}

/** One step of a group PATCH, applied in order. */
export type GroupChange =
  | { readonly kind: 'rename'; readonly displayName: string }
  | { readonly kind: 'externalId'; readonly externalId: string | null }
  | { readonly kind: 'add'; readonly members: readonly string[] }
  | { readonly kind: 'remove'; readonly members: readonly string[] }
  | { readonly kind: 'replace'; readonly members: readonly string[] }
  | { readonly kind: 'removeAll' };

export interface DirectoryDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly seats: SeatPool;
  /**
   * Runs SCIM lists off the event loop (db/directory-reader.ts), so that a filter scanning a whole
   * directory does not stall every other organisation. Absent (an in-memory database): in process.
   */
  readonly reader?: DirectoryReader;
}

export type Directory = ReturnType<typeof createDirectory>;

/** A change of advanced group mappings: `replace` is the whole new list (a PUT), else set/remove. */
export interface MappingChange {
  readonly enabled?: boolean;
  readonly set?: readonly GroupMapping[];
  readonly remove?: readonly string[];
  readonly replace?: readonly GroupMapping[];
}

/** The stored thresholds; a hand-edited row reads as the default, as the notices themselves do. */
function noticeThresholdsOf(json: string | undefined): readonly number[] {
  try {
    return validateNoticeThresholds(JSON.parse(json ?? 'null'));
  } catch {
    return DEFAULT_NOTICE_THRESHOLDS;
  }
}

function describeReasons(c: MappingConsequences): string {
  const words = {
    demotes_you: 'lowers your own role',
    unseats_you: 'takes away your own seat',
    primary_owner: `changes what the mappings give the primary owner (${c.primaryOwner?.email ?? ''}), who keeps their role and seat regardless`,
  } as const;
  return c.reasons.map((r) => words[r]).join(', and ');
}

export function createDirectory({ store, clock, seats, reader }: DirectoryDeps) {
  const now = () => clock.now().toISO()!;

  function requireUser(q: Queries, organisationId: number, publicId: string): Member {
    const member = q.directoryUsers.byPublicId(organisationId, publicId);
    if (!member) throw new NotFoundError(`User ${publicId} not found.`);
    return member;
  }

  function requireGroup(q: Queries, organisationId: number, publicId: string): Group {
    const group = q.groups.byPublicId(organisationId, publicId);
    if (!group) throw new NotFoundError(`Group ${publicId} not found.`);
    return group;
  }

  function checkVersion(current: number, expected: number | undefined): void {
    if (expected !== undefined && expected !== current) {
      throw new PreconditionFailedError(
        'The resource changed since the version given in If-Match; read it again.',
      );
    }
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
   * Refuses a userName or email that another live member already has. externalId is not checked:
   * RFC 7643 §3.1 leaves its uniqueness to the client ("the server does not enforce uniqueness").
   */
  /**
   * userName is the one unique key (RFC 7644 §3.3, case-insensitive by RFC 7643 §4.1.1). A deleted
   * user keeps its userName with its history: creating it again restores that user, but renaming
   * someone else onto it is refused, saying why.
   */
  function checkUnique(
    q: Queries,
    organisationId: number,
    input: DirectoryUserInput,
    self: number | null,
  ): void {
    const holder = q.directoryUsers.byUserName(organisationId, input.userName);
    if (holder?.id === self) return;
    if (!holder) {
      // A member the directory does not manage yet shows its address as userName: renaming someone
      // else onto it would show two users with one userName (RFC 7644 §3.3).
      const shownAs = q.members
        .withEmail(organisationId, input.userName)
        .some((m) => m.seatState !== 'removed' && m.userName === null && m.id !== self);
      if (shownAs) {
        throw new ConflictError(
          `The userName "${input.userName}" is the address of a member who signed in or was invited before the directory managed them. ` +
            'Create (POST) the user with this userName to link that member, or use another userName.',
          {},
          'uniqueness',
        );
      }
      return;
    }
    if (holder.seatState !== 'removed') {
      throw new ConflictError(`A user with userName "${input.userName}" already exists.`, {}, 'uniqueness');
    }
    if (self !== null) {
      throw new ConflictError(
        `The userName "${input.userName}" belongs to a user deleted from the directory, whose history is kept under it. ` +
          'Provision that user again to restore them, or use another userName.',
        {},
        'uniqueness',
      );
    }
  }

  /**
   * The member a create lands on: the same userName (a deleted user, restored with its history),
   * else the one current member not yet managed by the directory (signed in or invited before it
   * knew them: linking keeps their id and their seat) whose address is the userName, as SCIM shows
   * it and the provider matched it, else whose address is the user's email. Addresses are not
   * unique among directory users, so two candidates, or none, mean a new member.
   */
  function linkTarget(
    q: Queries,
    organisationId: number,
    userName: string,
    email: string,
  ): Member | undefined {
    return (
      q.directoryUsers.byUserName(organisationId, userName) ??
      unlinkedWithAddress(q, organisationId, userName) ??
      unlinkedWithAddress(q, organisationId, email)
    );
  }

  /** The one current member with this address whom no directory user is linked to yet, if exactly one. */
  function unlinkedWithAddress(q: Queries, organisationId: number, email: string): Member | undefined {
    const unlinked = q.members
      .withEmail(organisationId, email)
      .filter((m) => m.seatState !== 'removed' && m.userName === null);
    return unlinked.length === 1 ? unlinked[0] : undefined;
  }

  /** Role and tier that the member's groups map to; role null when no role-mapped group holds them. */
  function mapped(q: Queries, member: Member) {
    return mappedAccess(
      q,
      member.organisationId,
      q.groups.groupsOf(member.id).map((g) => g.displayName),
    );
  }

  /**
   * Gives an active directory user a seat, or leaves them waiting. Under `reject` a seat shortage
   * is thrown; under `hold` the user waits (awaiting_seat). A claim that fails rolls back only its
   * own savepoint.
   */
  function seatOrWait(q: Queries, member: Member, choice: TierChoice, actor: Actor): Member {
    try {
      return seats.claim(member.organisationId, member.id, choice, actor);
    } catch (error) {
      // The policy matters only when no seat was left; read in this transaction, it is the one
      // in force when the claim failed.
      if (!(error instanceof SeatLimitError)) throw error;
      if (requireOrganisation(q, member.organisationId).seatExhaustion !== 'hold') throw error;
      return seats.park(member.organisationId, member.id, 'awaiting_seat', actor, 'seat.awaiting');
    }
  }

  /**
   * Brings a member's seat in line with `active` (and, with mappings on, with its groups).
   * `assigning` is true when the provider assigns the user (a create): a member it has just
   * brought in is `unassigned` until this claim. Otherwise `unassigned` is an administrator's
   * choice (a seat taken away to swap people) that a directory update must not undo.
   */
  function settle(
    q: Queries,
    member: Member,
    active: boolean,
    requestedTier: string | null,
    actor: Actor,
    assigning = false,
  ): Member {
    const orgId = member.organisationId;
    if (!active) {
      if (member.role === 'primary_owner') {
        throw new ForbiddenError(
          'The primary owner cannot be deactivated or deleted through directory sync; transfer primary ownership first.',
          {},
          'primary_owner_protected',
        );
      }
      if (member.seatState === 'seated') return seats.release(orgId, member.id, actor, 'deactivated');
      if (member.seatState === 'invited') {
        seats.revokeInvitation(orgId, member.id, actor);
        return seats.park(orgId, member.id, 'deactivated', actor);
      }
      return member.seatState === 'deactivated' ? member : seats.park(orgId, member.id, 'deactivated', actor);
    }
    const mappingsOn = q.groupMappings.enabled(orgId);
    const target = mappingsOn ? mapped(q, member) : { role: null, tier: null };
    if (mappingsOn && member.role !== 'primary_owner') {
      if (target.role === null) {
        if (member.seatState === 'seated') return seats.release(orgId, member.id, actor, 'unmapped');
        if (['deactivated', 'awaiting_seat', 'removed', 'unassigned'].includes(member.seatState)) {
          return seats.park(orgId, member.id, 'unmapped', actor);
        }
        return member;
      }
      member = changeRole(q, member, target.role, actor, now());
    }
    if (claimsOnSettle(member.seatState, assigning)) {
      const tier = requestedTier ?? target.tier;
      return seatOrWait(q, member, tier === null ? HIGHEST : { tier }, actor);
    }
    if (member.seatState === 'seated' && requestedTier !== null && requestedTier !== member.tierId) {
      return seats.changeTier(orgId, member.id, requestedTier, actor);
    }
    return member;
  }

  function writeFields(
    q: Queries,
    member: Member,
    input: DirectoryUserInput,
    email: string,
    actor: Actor,
  ): Member {
    q.directoryUsers.setFields(
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
    const after = q.members.byId(member.organisationId, member.id)!;
    if (member.userName === null) {
      // The directory takes over a member it did not push: same member, same id, same seat.
      recordAudit(q, {
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
      recordAudit(q, {
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

  /** Re-evaluates the members whose groups changed (mappings on only). */
  function resettle(q: Queries, organisationId: number, memberIds: Iterable<number>, actor: Actor): void {
    if (!q.groupMappings.enabled(organisationId)) return;
    for (const id of new Set(memberIds)) {
      const member = q.members.byId(organisationId, id);
      if (
        member &&
        member.seatState !== 'removed' &&
        member.seatState !== 'deactivated' &&
        member.seatState !== 'invited'
      ) {
        settleQuietly(q, member, actor);
      }
    }
  }

  /**
   * A membership change must not fail a group request for want of a seat: the person waits
   * instead (on the waiting list under `reject`, awaiting a seat under `hold`).
   */
  function settleQuietly(q: Queries, member: Member, actor: Actor): Member {
    const key = member.userName ?? member.email;
    try {
      const settled = settle(q, member, true, null, actor);
      // Seated at last (a later membership change, or "sync now"): the attempt is no longer open.
      if (holdsSeat(settled.seatState)) q.waitlist.resolve(member.organisationId, key, now());
      return settled;
    } catch (error) {
      if (!(error instanceof SeatLimitError)) throw error;
      q.waitlist.record(member.organisationId, key, 'scim', now());
      return q.members.byId(member.organisationId, member.id)!;
    }
  }

  /**
   * A member the directory does not manage yet, taken over as SCIM showed it (its address as
   * userName) when the provider names it without describing it: as a group member, or in a DELETE.
   * Left as it is when a directory user holds that userName already.
   */
  function linkAsShown(q: Queries, member: Member, actor: Actor): Member {
    if (member.userName !== null || q.directoryUsers.byUserName(member.organisationId, member.email))
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
    return writeFields(q, member, input, member.email, actor);
  }

  function memberIdsFor(
    q: Queries,
    organisationId: number,
    publicIds: readonly string[],
    actor: Actor,
  ): number[] {
    return publicIds.map((publicId) => {
      const member = q.directoryUsers.byPublicId(organisationId, publicId);
      if (!member)
        throw new ValidationError(
          `Group member "${publicId}" is not a known user.`,
          { value: publicId },
          'invalid_value',
        );
      return linkAsShown(q, member, actor).id;
    });
  }

  /** A create, inside the caller's write. */
  function createUserWork(
    q: Queries,
    organisationId: number,
    input: DirectoryUserInput,
    actor: Actor,
  ): Member {
    requireOrganisation(q, organisationId);
    const email = addressOf(input);
    const at = now();
    // One read serves both checkUnique and linkTarget: a live holder of the userName refuses
    // the create (RFC 7644 §3.3, 409 uniqueness), a deleted one is restored with its history.
    const sameName = q.directoryUsers.byUserName(organisationId, input.userName);
    if (sameName && sameName.seatState !== 'removed') {
      throw new ConflictError(`A user with userName "${input.userName}" already exists.`, {}, 'uniqueness');
    }
    // A member the provider matched by the userName SCIM showed (their address), else by email.
    const existing =
      sameName ??
      unlinkedWithAddress(q, organisationId, input.userName) ??
      unlinkedWithAddress(q, organisationId, email);
    let member: Member;
    if (existing) {
      member = writeFields(q, existing, input, email, actor);
    } else {
      // The row is written with its directory fields at once, so the audit's snapshot (email,
      // role, seat state, tier) is the same as for a member created, then described.
      member = q.directoryUsers.insert(
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
      recordAudit(q, {
        organisationId,
        at,
        actor,
        action: 'member.created',
        subjectType: 'member',
        subjectId: member.id,
        after: snapshot(member),
      });
    }
    const settled = settle(q, member, input.active, input.tier, actor, true);
    q.waitlist.resolve(organisationId, input.userName, at);
    return settled;
  }

  /** A replace (PUT, or a PATCH applied), inside the caller's write. */
  function replaceUserWork(
    q: Queries,
    organisationId: number,
    publicId: string,
    input: DirectoryUserInput,
    actor: Actor,
    expectedVersion: number | undefined,
  ): Member {
    let member = requireUser(q, organisationId, publicId);
    checkVersion(member.version, expectedVersion);
    const email = addressOf(input);
    checkUnique(q, organisationId, input, member.id);
    if (!input.active) settle(q, member, false, null, actor); // refuses the primary owner before anything is written
    member = writeFields(q, q.members.byId(organisationId, member.id)!, input, email, actor);
    const settled = settle(q, member, input.active, input.tier, actor);
    if (holdsSeat(settled.seatState)) q.waitlist.resolve(organisationId, input.userName, now());
    return settled;
  }

  /**
   * A create or reactivation refused for want of a seat left nothing behind (its write rolled
   * back); the attempt itself is recorded for administrators, in a write of its own.
   */
  function recordingRefusal<T>(organisationId: number, userName: string, write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (error instanceof SeatLimitError)
        store.write((q) => q.waitlist.record(organisationId, userName, 'scim', now()));
      throw error;
    }
  }

  /**
   * The same for a batched write, in the same transaction: the work runs in a savepoint of its
   * own, and a refusal is recorded beside it, so the record commits with the batch the caller
   * waits for (and is not left for a later write a shutdown could cut off).
   */
  async function recordingRefusalBatched<T>(
    organisationId: number,
    userName: string,
    work: (q: Queries) => T,
  ): Promise<T> {
    const outcome = await store.writeBatched((q): { done: T } | { refused: SeatLimitError } => {
      try {
        return { done: store.write(work) };
      } catch (error) {
        if (!(error instanceof SeatLimitError)) throw error;
        q.waitlist.record(organisationId, userName, 'scim', now());
        return { refused: error };
      }
    });
    if ('refused' in outcome) throw outcome.refused;
    return outcome.done;
  }

  const directory = {
    createUser(organisationId: number, input: DirectoryUserInput, actor: Actor): Member {
      return recordingRefusal(organisationId, input.userName, () =>
        store.write((q) => createUserWork(q, organisationId, input, actor)),
      );
    },

    replaceUser(
      organisationId: number,
      publicId: string,
      input: DirectoryUserInput,
      actor: Actor,
      expectedVersion?: number,
    ): Member {
      // A reactivation refused for want of a seat is an attempt like a refused create: recorded.
      return recordingRefusal(organisationId, input.userName, () =>
        store.write((q) => replaceUserWork(q, organisationId, publicId, input, actor, expectedVersion)),
      );
    },

    deleteUser(organisationId: number, publicId: string, actor: Actor, expectedVersion?: number): void {
      store.write((q) => {
        const found = requireUser(q, organisationId, publicId);
        checkVersion(found.version, expectedVersion);
        if (found.role === 'primary_owner') settle(q, found, false, null, actor);
        // Linked first, so that creating the same userName again restores this member's history.
        const member = linkAsShown(q, found, actor);
        if (member.seatState === 'seated') seats.release(organisationId, member.id, actor, 'removed');
        else if (member.seatState === 'invited') seats.revokeInvitation(organisationId, member.id, actor);
        else seats.park(organisationId, member.id, 'removed', actor, 'member.removed');
        q.groups.removeFromAllGroups(member.id);
      });
    },

    getUser: (organisationId: number, publicId: string): Member =>
      store.read((q) => requireUser(q, organisationId, publicId)),

    groupsOf: (memberId: number): Group[] => store.read((q) => q.groups.groupsOf(memberId)),

    /** One page of the directory's users and the total, filtered, sorted and paged in SQL. */
    listUsers: async (
      organisationId: number,
      page: ListPage,
    ): Promise<{ total: number; members: Member[] }> =>
      reader
        ? reader.listUsers(organisationId, page)
        : store.read((q) => q.directoryUsers.list(organisationId, page)),

    createGroup(organisationId: number, input: DirectoryGroupInput, actor: Actor): Group {
      return store.write((q) => {
        requireOrganisation(q, organisationId);
        if (q.groups.byName(organisationId, input.displayName)) {
          throw new ConflictError(`A group named "${input.displayName}" already exists.`, {}, 'uniqueness');
        }
        const group = q.groups.insert(organisationId, input.displayName, input.externalId, now());
        const ids = memberIdsFor(q, organisationId, input.members, actor);
        for (const id of ids) q.groups.addMember(group, id);
        recordAudit(q, {
          organisationId,
          at: now(),
          actor,
          action: 'group.created',
          subjectType: 'group',
          subjectId: group.id,
          after: { displayName: group.displayName, members: ids.length },
        });
        resettle(q, organisationId, ids, actor);
        return q.groups.byId(organisationId, group.id)!;
      });
    },

    /** Applies the changes in order; touches only the membership rows they name. */
    changeGroup(
      organisationId: number,
      publicId: string,
      changes: readonly GroupChange[],
      actor: Actor,
      expectedVersion?: number,
    ): Group {
      return store.write((q) => {
        const group = requireGroup(q, organisationId, publicId);
        checkVersion(group.version, expectedVersion);
        const touched = new Set<number>();
        let renamed = false;
        let { displayName, externalId } = group;
        for (const change of changes) {
          switch (change.kind) {
            case 'rename':
              if (
                change.displayName.toLowerCase() !== displayName.toLowerCase() &&
                q.groups.byName(organisationId, change.displayName)
              ) {
                throw new ConflictError(
                  `A group named "${change.displayName}" already exists.`,
                  {},
                  'uniqueness',
                );
              }
              renamed ||= change.displayName.toLowerCase() !== displayName.toLowerCase();
              displayName = change.displayName;
              break;
            case 'externalId':
              externalId = change.externalId;
              break;
            case 'add':
              for (const id of memberIdsFor(q, organisationId, change.members, actor))
                if (q.groups.addMember(group, id)) touched.add(id);
              break;
            case 'remove':
              for (const publicId of change.members) {
                const member = q.directoryUsers.byPublicId(organisationId, publicId);
                if (member && q.groups.removeMember(group, member.id)) touched.add(member.id);
              }
              break;
            case 'replace': {
              const wanted = new Set(memberIdsFor(q, organisationId, change.members, actor));
              for (const id of q.groups.memberIds(group))
                if (!wanted.has(id) && q.groups.removeMember(group, id)) touched.add(id);
              for (const id of wanted) if (q.groups.addMember(group, id)) touched.add(id);
              break;
            }
            case 'removeAll':
              for (const id of q.groups.memberIds(group)) touched.add(id);
              q.groups.removeAllMembers(group);
              break;
          }
        }
        if (displayName !== group.displayName || externalId !== group.externalId)
          q.groups.update(group, displayName, externalId, now());
        else if (touched.size > 0) q.groups.touch(group, now());
        if (renamed || touched.size > 0) {
          recordAudit(q, {
            organisationId,
            at: now(),
            actor,
            action: 'group.changed',
            subjectType: 'group',
            subjectId: group.id,
            before: { displayName: group.displayName },
            after: { displayName, membersChanged: touched.size },
          });
        }
        // A rename can move the whole group in or out of a mapping: every member is re-evaluated.
        resettle(q, organisationId, renamed ? [...q.groups.memberIds(group), ...touched] : touched, actor);
        return q.groups.byId(organisationId, group.id)!;
      });
    },

    deleteGroup(organisationId: number, publicId: string, actor: Actor, expectedVersion?: number): void {
      store.write((q) => {
        const group = requireGroup(q, organisationId, publicId);
        checkVersion(group.version, expectedVersion);
        const ids = q.groups.memberIds(group);
        q.groups.remove(group);
        recordAudit(q, {
          organisationId,
          at: now(),
          actor,
          action: 'group.deleted',
          subjectType: 'group',
          subjectId: group.id,
          before: { displayName: group.displayName, members: ids.length },
        });
        resettle(q, organisationId, ids, actor);
      });
    },

    getGroup: (organisationId: number, publicId: string): Group =>
      store.read((q) => requireGroup(q, organisationId, publicId)),

    groupMembers: (group: Group) => store.read((q) => q.groups.members(group)),

    /** One page of the groups and the total, as listUsers. */
    listGroups: async (
      organisationId: number,
      page: ListPage,
    ): Promise<{ total: number; groups: Group[] }> =>
      reader
        ? reader.listGroups(organisationId, page)
        : store.read((q) => q.groups.list(organisationId, page)),

    /**
     * What a directory push does when no seat is free: `reject` refuses the user with 403 (and
     * records the attempt), `hold` keeps them awaiting a seat. An owner's setting (or the operator's).
     */
    setSeatExhaustion(organisationId: number, policy: SeatExhaustionPolicy, actor: Actor): void {
      if (policy !== 'reject' && policy !== 'hold') {
        throw new ValidationError(
          `The seat exhaustion policy must be "reject" or "hold", not "${String(policy)}".`,
          { policy },
          'invalid_value',
        );
      }
      store.write((q) => {
        const organisation = requireOrganisation(q, organisationId);
        requireRole(q, organisationId, actor, 'owner', 'change provisioning settings');
        if (organisation.seatExhaustion === policy) return;
        q.organisations.setSeatExhaustion(organisationId, policy);
        recordAudit(q, {
          organisationId,
          at: now(),
          actor,
          action: 'organisation.seat_exhaustion_changed',
          subjectType: 'organisation',
          subjectId: organisationId,
          before: { seatExhaustion: organisation.seatExhaustion },
          after: { seatExhaustion: policy },
        });
      });
    },

    /**
     * Advanced group mappings: turn them on or off, set or remove mappings (group display name →
     * role and/or tier), then re-evaluate every directory user in the same transaction, so nobody
     * keeps a seat or a role that the new mappings no longer give. The primary owner is never
     * demoted or deprovisioned. An owner's setting (or the operator's).
     */
    configureGroupMappings(
      organisationId: number,
      change: MappingChange,
      actor: Actor,
      options: { readonly confirm?: boolean } = {},
    ): { enabled: boolean; mappings: GroupMapping[] } {
      const { enabled, mappings } = directory.changeGroupMappings(organisationId, change, actor, options);
      return { enabled, mappings };
    },

    /**
     * As configureGroupMappings, also saying what it did to whom. A member or API token making a
     * change that demotes or unseats the member making it, or that changes what the mappings say
     * about the primary owner, must send `confirm: true`; without it the change is made, measured
     * and rolled back, and refused with 409 `confirmation_required` listing the consequences. The
     * operator's command is its own confirmation.
     */
    changeGroupMappings(
      organisationId: number,
      change: MappingChange,
      actor: Actor,
      options: { readonly confirm?: boolean } = {},
    ): { enabled: boolean; mappings: GroupMapping[]; consequences: MappingConsequences } {
      return store.write((q) => {
        requireOrganisation(q, organisationId);
        requireRole(q, organisationId, actor, 'owner', 'change provisioning settings');
        const watch = watchMappingChange(q, organisationId, actor);
        if (change.replace) {
          const kept = new Set(change.replace.map((m) => foldKey(m.groupName)));
          const gone = q.groupMappings.list(organisationId).filter((m) => !kept.has(m.groupName));
          change = { ...change, set: change.replace, remove: gone.map((m) => m.groupName) };
        }
        const tiers = new Set(q.tiers.all().map((t) => t.id));
        for (const m of change.set ?? []) {
          if (m.groupName.trim() === '')
            throw new ValidationError('A group mapping needs a group name.', {}, 'invalid_value');
          if (m.role === null && m.tierId === null) {
            throw new ValidationError(
              `The mapping of "${m.groupName}" needs a role, a tier, or both.`,
              {},
              'invalid_value',
            );
          }
          if (m.role !== null && !['owner', 'admin', 'user'].includes(m.role)) {
            throw new ValidationError(
              `A group maps to owner, admin or user, not "${m.role}".`,
              {},
              'invalid_value',
            );
          }
          if (m.tierId !== null && !tiers.has(m.tierId)) {
            throw new ValidationError(`There is no seat tier "${m.tierId}".`, {}, 'unknown_tier');
          }
        }
        const before = {
          enabled: q.groupMappings.enabled(organisationId),
          mappings: q.groupMappings.list(organisationId),
        };
        for (const name of change.remove ?? []) q.groupMappings.remove(organisationId, name);
        for (const m of change.set ?? []) q.groupMappings.set(organisationId, m);
        if (change.enabled !== undefined) q.groupMappings.setEnabled(organisationId, change.enabled);
        const after = {
          enabled: q.groupMappings.enabled(organisationId),
          mappings: q.groupMappings.list(organisationId),
        };
        recordAudit(q, {
          organisationId,
          at: now(),
          actor,
          action: 'organisation.group_mappings_changed',
          subjectType: 'organisation',
          subjectId: organisationId,
          before,
          after,
        });
        for (const id of q.directoryUsers.ids(organisationId)) {
          const member = q.members.byId(organisationId, id)!;
          if (!['deactivated', 'invited', 'removed'].includes(member.seatState))
            settleQuietly(q, member, actor);
        }
        const consequences = watch.finish();
        const confirmed = options.confirm === true || actor.type === 'operator' || actor.type === 'system';
        if (consequences.reasons.length > 0 && !confirmed) {
          // Thrown inside the transaction: everything above rolls back, nothing is written.
          throw new ConflictError(
            `This change ${describeReasons(consequences)}; send it again with "confirm": true to make it.`,
            { reasons: consequences.reasons, consequences },
            'confirmation_required',
          );
        }
        return { ...after, consequences };
      });
    },

    /**
     * How members arrive besides manual invitations: `invite_only`, `jit` (first SSO sign-in
     * creates the account) or `scim` (the directory pushes them). An owner's setting.
     */
    setProvisioningMode(organisationId: number, mode: ProvisioningMode, actor: Actor): void {
      if (!['invite_only', 'jit', 'scim'].includes(mode)) {
        throw new ValidationError(
          `The provisioning mode must be invite_only, jit or scim, not "${String(mode)}".`,
          { mode },
          'invalid_value',
        );
      }
      store.write((q) => {
        const organisation = requireOrganisation(q, organisationId);
        requireRole(q, organisationId, actor, 'owner', 'change provisioning settings');
        if (organisation.provisioningMode === mode) return;
        q.organisations.setProvisioningMode(organisationId, mode);
        recordAudit(q, {
          organisationId,
          at: now(),
          actor,
          action: 'organisation.provisioning_mode_changed',
          subjectType: 'organisation',
          subjectId: organisationId,
          before: { provisioningMode: organisation.provisioningMode },
          after: { provisioningMode: mode },
        });
      });
    },

    /**
     * Seat usage for administrators, from one snapshot: per tier (highest first) allocation, held,
     * seated, held by invitations and available; who is waiting (members awaiting a seat, first
     * come first served, and refused directory attempts); and the owners' notice thresholds.
     */
    usage(organisationId: number, actor: Actor) {
      return store.read((q) => {
        requireOrganisation(q, organisationId);
        requireRole(q, organisationId, actor, 'admin', 'see seat usage');
        const holders = q.members.holdersByTier(organisationId);
        return {
          tiers: q.seatPools.list(organisationId).map((t) => ({
            ...t,
            seated: holders.get(t.tierId)?.seated ?? 0,
            invited: holders.get(t.tierId)?.invited ?? 0,
            available: t.allocation - t.held,
          })),
          awaiting: q.directoryUsers.waiting(organisationId),
          refused: q.waitlist.open(organisationId),
          noticeThresholds: noticeThresholdsOf(q.notices.thresholdsJson(organisationId)),
        };
      });
    },

    /** The identity settings page: how people arrive, what happens without a seat, the domains. */
    identitySettings(organisationId: number, actor: Actor) {
      return store.read((q) => {
        const organisation = requireOrganisation(q, organisationId);
        requireRole(q, organisationId, actor, 'owner', 'see provisioning settings');
        return {
          provisioningMode: organisation.provisioningMode,
          seatExhaustion: organisation.seatExhaustion,
          groupMappingsEnabled: q.groupMappings.enabled(organisationId),
          domains: q.organisations.domains(organisationId),
        };
      });
    },

    /** Changes provisioning mode and seat exhaustion policy together: both or neither. */
    configureIdentity(
      organisationId: number,
      change: {
        readonly provisioningMode?: ProvisioningMode;
        readonly seatExhaustion?: SeatExhaustionPolicy;
      },
      actor: Actor,
    ) {
      return store.write(() => {
        if (change.provisioningMode !== undefined)
          directory.setProvisioningMode(organisationId, change.provisioningMode, actor);
        if (change.seatExhaustion !== undefined)
          directory.setSeatExhaustion(organisationId, change.seatExhaustion, actor);
        return directory.identitySettings(organisationId, actor);
      });
    },

    /** Whether advanced group mappings are on, and every mapping (group names folded). */
    groupMappings(organisationId: number, actor: Actor): { enabled: boolean; mappings: GroupMapping[] } {
      return store.read((q) => {
        requireOrganisation(q, organisationId);
        requireRole(q, organisationId, actor, 'owner', 'see provisioning settings');
        return {
          enabled: q.groupMappings.enabled(organisationId),
          mappings: q.groupMappings.list(organisationId),
        };
      });
    },

    /** Who is waiting: refused attempts (policy reject) and members awaiting a seat (policy hold). */
    waiting(organisationId: number) {
      return store.read((q) => ({
        refused: q.waitlist.open(organisationId),
        awaiting: q.directoryUsers.waiting(organisationId),
      }));
    },

    /**
     * "Sync now": seats what waits, as far as seats allow. Members awaiting a seat (policy hold)
     * first come, first served; then, with mappings on, members of a role-mapped group whom a
     * membership change could not seat (policy reject), in the order they were refused. The
     * provider will not send that membership again (its request succeeded, and Entra never re-reads
     * membership), so without this they would stay unseated after seats are bought.
     * Returns how many were seated.
     */
    syncNow(organisationId: number, actor: Actor): number {
      return store.write((q) => {
        requireOrganisation(q, organisationId);
        requireRole(q, organisationId, actor, 'admin', 'seat waiting members', { allowSystem: true });
        let seated = seats.seatWaitingIn(q, organisationId);
        if (!q.groupMappings.enabled(organisationId)) return seated;
        for (const entry of q.waitlist.open(organisationId)) {
          const member = linkTarget(q, organisationId, entry.userName, entry.userName);
          if (member?.seatState !== 'unmapped' || mapped(q, member).role === null) continue;
          if (holdsSeat(settleQuietly(q, member, actor).seatState)) seated += 1;
        }
        return seated;
      });
    },
  };

  return {
    ...directory,
    /**
     * The SCIM edge's write commands, each one write of a group commit (store.writeBatched):
     * requests that arrive together share one transaction and one fsync, each in its own savepoint,
     * and each promise settles only after the shared COMMIT returned. Same rules, same results and
     * same errors as the synchronous commands of the same name.
     */
    batched: {
      createUser: (organisationId: number, input: DirectoryUserInput, actor: Actor): Promise<Member> =>
        recordingRefusalBatched(organisationId, input.userName, (q) =>
          createUserWork(q, organisationId, input, actor),
        ),
      replaceUser: (
        organisationId: number,
        publicId: string,
        input: DirectoryUserInput,
        actor: Actor,
        expectedVersion?: number,
      ): Promise<Member> =>
        recordingRefusalBatched(organisationId, input.userName, (q) =>
          replaceUserWork(q, organisationId, publicId, input, actor, expectedVersion),
        ),
      deleteUser: (
        organisationId: number,
        publicId: string,
        actor: Actor,
        expectedVersion?: number,
      ): Promise<void> =>
        store.writeBatched(() => directory.deleteUser(organisationId, publicId, actor, expectedVersion)),
      createGroup: (organisationId: number, input: DirectoryGroupInput, actor: Actor): Promise<Group> =>
        store.writeBatched(() => directory.createGroup(organisationId, input, actor)),
      changeGroup: (
        organisationId: number,
        publicId: string,
        changes: readonly GroupChange[],
        actor: Actor,
        expectedVersion?: number,
      ): Promise<Group> =>
        store.writeBatched(() =>
          directory.changeGroup(organisationId, publicId, changes, actor, expectedVersion),
        ),
      deleteGroup: (
        organisationId: number,
        publicId: string,
        actor: Actor,
        expectedVersion?: number,
      ): Promise<void> =>
        store.writeBatched(() => directory.deleteGroup(organisationId, publicId, actor, expectedVersion)),
    },
  };
}
