// Directory sync as the identity provider drives it: users created, replaced, deactivated,
// reactivated and deleted; groups and their memberships; advanced group mappings. Protocol-free:
// the SCIM edge hands in plain values and gets members and groups back.
//
// Every command is one transaction in which the seat changes with the member. The rules live in
// rooms of their own under directory/: users, groups, seat settlement, group mappings, identity
// settings and the waiting list. This file composes them into the one object the edges call.
import type { Clock } from '../domain/clock.js';
import { ConflictError, PreconditionFailedError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';
import type { Group, Member } from '../domain/records.js';
import type { DirectoryReader, Queries, Store } from '../db/port.js';
import { keyedQueue } from '../runtime/keyed-queue.js';
import type { SeatPool } from '../seats/seat-pool.js';
import { seatUsage } from '../seats/usage.js';
import { command } from './directory/command-forms.js';
import { createGroupMappings } from './directory/group-mappings.js';
import { createDirectoryGroups } from './directory/groups.js';
import { createIdentitySettings } from './directory/identity-settings.js';
import { createSeatSettlement } from './directory/seat-settlement.js';
import { createDirectoryUsers, type DirectoryUserInput } from './directory/users.js';
import { createWaitingList } from './directory/waiting-list.js';

/** The records and inputs the directory hands to its edge, so the edge needs nothing from db/. */
export type { Group, GroupMemberRef, Member } from '../domain/records.js';
export { shownResource, shownUserName } from '../domain/shown-user.js';
export type { DirectoryUserInput } from './directory/users.js';
export type { DirectoryGroupInput, GroupChange } from './directory/groups.js';
export type { MappingChange } from './directory/group-mappings.js';

export interface DirectoryDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly seats: SeatPool;
  /**
   * Runs SCIM lists off the event loop (db/sqlite/directory-reader.ts), so that a filter scanning a whole
   * directory does not stall every other organisation. Absent (an in-memory database): in process.
   */
  readonly reader?: DirectoryReader;
}

export type Directory = ReturnType<typeof createDirectory>;

/** Applications of one change to a user that keeps changing under it before giving up (changeUser). */
export const CHANGE_USER_ATTEMPTS = 10;

export function createDirectory({ store, clock, seats, reader }: DirectoryDeps) {
  const settlement = createSeatSettlement({ clock, seats });
  const users = createDirectoryUsers({ store, clock, seats, settlement, ...(reader ? { reader } : {}) });
  const groups = createDirectoryGroups({ store, clock, users, settlement, ...(reader ? { reader } : {}) });
  const waitingList = createWaitingList({ store, clock, seats, settlement });
  const mappings = createGroupMappings({ store, clock, settlement });
  const identity = createIdentitySettings({ store, clock });

  // The six write commands of the SCIM edge, each one write of its own (command-forms.ts). A create or
  // a reactivation refused for want of a seat leaves nothing behind but its record on the waiting list.
  const createUser = command(
    store,
    (q: Queries, organisationId: number, input: DirectoryUserInput, actor: Actor) =>
      waitingList.recordingRefusal(q, organisationId, input.userName, () =>
        users.createUserIn(q, organisationId, input, actor),
      ),
  );
  const replaceUser = command(
    store,
    (
      q: Queries,
      organisationId: number,
      publicId: string,
      input: DirectoryUserInput,
      actor: Actor,
      expectedVersion?: number,
    ) =>
      waitingList.recordingRefusal(q, organisationId, input.userName, () =>
        users.replaceUserIn(q, organisationId, publicId, input, actor, expectedVersion),
      ),
  );
  const deleteUser = command(store, users.deleteUserIn);

  // Changes of one user in this process run one after another: each reads what the one before
  // wrote, so they do not collide (they would in one group commit, all reading the same version).
  const oneUserAtATime = keyedQueue();

  /**
   * A read-modify-write of one user (a SCIM PATCH): `change` turns the user as it is (with its
   * groups) into the user as it should be, and the result is written guarded by the version read.
   * A concurrent change (another process, a group change that re-seated the user) makes that write
   * fail, and `change` is applied again to the newer user: optimistic, so it holds on any backend.
   * With `expected` (If-Match, RFC 7644 §3.14) a different version is a PreconditionFailedError at
   * once; a user changed under it CHANGE_USER_ATTEMPTS times over is a ConflictError to retry.
   * `change` runs outside any transaction (it may take a while, on a thread of its own).
   */
  function changeUser(
    organisationId: number,
    publicId: string,
    change: (member: Member, groups: Group[]) => Promise<DirectoryUserInput>,
    actor: Actor,
    expected?: number,
  ): Promise<Member> {
    return oneUserAtATime(`${organisationId}/${publicId}`, async () => {
      for (let attempt = 1; ; attempt++) {
        const member = await users.getUser(organisationId, publicId);
        const input = await change(member, await users.groupsOf(member.id));
        try {
          return await replaceUser(organisationId, publicId, input, actor, expected ?? member.version);
        } catch (error) {
          if (!(error instanceof PreconditionFailedError) || expected !== undefined) throw error;
          if (attempt >= CHANGE_USER_ATTEMPTS) {
            throw new ConflictError(
              'The user kept changing while this PATCH was applied; send it again.',
              {},
              'concurrent_change',
            );
          }
        }
      }
    });
  }
  const createGroup = command(store, groups.createGroupIn);
  const changeGroup = command(store, groups.changeGroupIn);
  const deleteGroup = command(store, groups.deleteGroupIn);

  return {
    createUser,
    /** The create rule as a step inside the caller's write: many users in one (a bulk load). */
    createUserIn: users.createUserIn,
    replaceUser,
    changeUser,
    deleteUser,
    getUser: users.getUser,
    groupsOf: users.groupsOf,
    listUsers: users.listUsers,

    createGroup,
    changeGroup,
    deleteGroup,
    getGroup: groups.getGroup,
    groupMembers: groups.groupMembers,
    listGroups: groups.listGroups,

    setSeatExhaustion: identity.setSeatExhaustion,
    setProvisioningMode: identity.setProvisioningMode,
    identitySettings: identity.identitySettings,
    configureIdentity: identity.configureIdentity,
    configureIdentityIn: identity.configureIdentityIn,

    configureGroupMappings: mappings.configureGroupMappings,
    changeGroupMappings: mappings.changeGroupMappings,
    groupMappings: mappings.groupMappings,

    waiting: waitingList.waiting,
    syncNow: waitingList.syncNow,

    /** Seat usage for administrators (seats/usage.ts), for the usage page's route. */
    usage: (organisationId: number, actor: Actor) => store.read((q) => seatUsage(q, organisationId, actor)),
  };
}
