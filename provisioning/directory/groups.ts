// Directory groups and their memberships: created, changed step by step (a SCIM PATCH) or replaced,
// and deleted. With advanced group mappings on, every member whose groups changed is re-settled in
// the same write (seat-settlement.ts). The write steps run inside the caller's write.
import { inOrder } from '../../domain/in-order.js';
import type { Clock } from '../../domain/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.js';
import type { Actor } from '../../domain/model.js';
import type { DirectoryReader, Queries, Store } from '../../db/port.js';
import type { Group, ListPage } from '../../domain/records.js';
import { recordAudit } from '../../audit/record.js';
import { requireOrganisation } from '../../seats/contract-state.js';
import type { SeatSettlement } from './seat-settlement.js';
import type { DirectoryUsers } from './users.js';
import { checkVersion } from './version.js';

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

async function requireGroup(q: Queries, organisationId: number, publicId: string): Promise<Group> {
  const group = await q.groups.byPublicId(organisationId, publicId);
  if (!group) throw new NotFoundError(`Group ${publicId} not found.`);
  return group;
}

export interface DirectoryGroupsDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly users: Pick<DirectoryUsers, 'linkAsShown'>;
  readonly settlement: Pick<SeatSettlement, 'resettle'>;
  /** Runs lists off the event loop; absent (an in-memory database): in process. */
  readonly reader?: DirectoryReader;
}

export type DirectoryGroups = ReturnType<typeof createDirectoryGroups>;

export function createDirectoryGroups({ store, clock, users, settlement, reader }: DirectoryGroupsDeps) {
  const now = () => clock.now().toISO()!;
  const { resettle } = settlement;

  /** The members named by public id, each taken over as SCIM showed it if the directory did not manage them yet. */
  async function memberIdsFor(
    q: Queries,
    organisationId: number,
    publicIds: readonly string[],
    actor: Actor,
  ): Promise<number[]> {
    return await inOrder(publicIds, async (publicId) => {
      const member = await q.directoryUsers.byPublicId(organisationId, publicId);
      if (!member)
        throw new ValidationError(
          `Group member "${publicId}" is not a known user.`,
          { value: publicId },
          'invalid_value',
        );
      return (await users.linkAsShown(q, member, actor)).id;
    });
  }

  async function createGroupIn(
    q: Queries,
    organisationId: number,
    input: DirectoryGroupInput,
    actor: Actor,
  ): Promise<Group> {
    await requireOrganisation(q, organisationId);
    if (await q.groups.byName(organisationId, input.displayName)) {
      throw new ConflictError(`A group named "${input.displayName}" already exists.`, {}, 'uniqueness');
    }
    const group = await q.groups.insert(organisationId, input.displayName, input.externalId, now());
    const ids = await memberIdsFor(q, organisationId, input.members, actor);
    for (const id of ids) await q.groups.addMember(group, id);
    await recordAudit(q, {
      organisationId,
      at: now(),
      actor,
      action: 'group.created',
      subjectType: 'group',
      subjectId: group.id,
      after: { displayName: group.displayName, members: ids.length },
    });
    await resettle(q, organisationId, ids, actor);
    return (await q.groups.byId(organisationId, group.id))!;
  }

  /** Applies the changes in order; touches only the membership rows they name. */
  async function changeGroupIn(
    q: Queries,
    organisationId: number,
    publicId: string,
    changes: readonly GroupChange[],
    actor: Actor,
    expectedVersion?: number,
  ): Promise<Group> {
    const group = await requireGroup(q, organisationId, publicId);
    checkVersion(group.version, expectedVersion);
    const touched = new Set<number>();
    let renamed = false;
    let { displayName, externalId } = group;
    for (const change of changes) {
      switch (change.kind) {
        case 'rename':
          if (
            change.displayName.toLowerCase() !== displayName.toLowerCase() &&
            (await q.groups.byName(organisationId, change.displayName))
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
          for (const id of await memberIdsFor(q, organisationId, change.members, actor))
            if (await q.groups.addMember(group, id)) touched.add(id);
          break;
        case 'remove':
          for (const publicId of change.members) {
            const member = await q.directoryUsers.byPublicId(organisationId, publicId);
            if (member && (await q.groups.removeMember(group, member.id))) touched.add(member.id);
          }
          break;
        case 'replace': {
          const wanted = new Set(await memberIdsFor(q, organisationId, change.members, actor));
          for (const id of await q.groups.memberIds(group))
            if (!wanted.has(id) && (await q.groups.removeMember(group, id))) touched.add(id);
          for (const id of wanted) if (await q.groups.addMember(group, id)) touched.add(id);
          break;
        }
        case 'removeAll':
          for (const id of await q.groups.memberIds(group)) touched.add(id);
          await q.groups.removeAllMembers(group);
          break;
      }
    }
    if (displayName !== group.displayName || externalId !== group.externalId)
      await q.groups.update(group, displayName, externalId, now());
    else if (touched.size > 0) await q.groups.touch(group, now());
    if (renamed || touched.size > 0) {
      await recordAudit(q, {
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
    await resettle(
      q,
      organisationId,
      renamed ? [...(await q.groups.memberIds(group)), ...touched] : touched,
      actor,
    );
    return (await q.groups.byId(organisationId, group.id))!;
  }

  async function deleteGroupIn(
    q: Queries,
    organisationId: number,
    publicId: string,
    actor: Actor,
    expectedVersion?: number,
  ): Promise<void> {
    const group = await requireGroup(q, organisationId, publicId);
    checkVersion(group.version, expectedVersion);
    const ids = await q.groups.memberIds(group);
    await q.groups.remove(group);
    await recordAudit(q, {
      organisationId,
      at: now(),
      actor,
      action: 'group.deleted',
      subjectType: 'group',
      subjectId: group.id,
      before: { displayName: group.displayName, members: ids.length },
    });
    await resettle(q, organisationId, ids, actor);
  }

  return {
    createGroupIn,
    changeGroupIn,
    deleteGroupIn,

    getGroup: (organisationId: number, publicId: string): Promise<Group> =>
      store.read((q) => requireGroup(q, organisationId, publicId)),

    groupMembers: (group: Group) => store.read((q) => q.groups.members(group)),

    /** One page of the groups and the total, filtered, sorted and paged in SQL. */
    listGroups: async (
      organisationId: number,
      page: ListPage,
    ): Promise<{ total: number; groups: Group[] }> =>
      reader
        ? reader.listGroups(organisationId, page)
        : await store.read((q) => q.groups.list(organisationId, page)),
  };
}
