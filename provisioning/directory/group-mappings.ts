// Advanced group mappings: a directory group's display name maps to a role and/or a seat tier. A
// change re-settles every directory user in the same write (seat-settlement.ts), so nobody keeps a
// seat or a role the new mappings no longer give; the primary owner is never demoted or unseated.
import type { Clock } from '../../domain/clock.js';
import { ConflictError, ValidationError } from '../../domain/errors.js';
import { foldKey } from '../../domain/fold.js';
import type { Actor } from '../../domain/model.js';
import type { GroupMapping } from '../../domain/records.js';
import type { Store } from '../../db/port.js';
import { recordAudit } from '../../audit/record.js';
import { requireOrganisation } from '../../seats/contract-state.js';
import { requireRole } from '../../seats/roles.js';
import { watchMappingChange, type MappingConsequences } from '../group-mapping-consequences.js';
import type { SeatSettlement } from './seat-settlement.js';

/** A change of advanced group mappings: `replace` is the whole new list (a PUT), else set/remove. */
export interface MappingChange {
  readonly enabled?: boolean;
  readonly set?: readonly GroupMapping[];
  readonly remove?: readonly string[];
  readonly replace?: readonly GroupMapping[];
}

function describeReasons(c: MappingConsequences): string {
  const words = {
    demotes_you: 'lowers your own role',
    unseats_you: 'takes away your own seat',
    primary_owner: `changes what the mappings give the primary owner (${c.primaryOwner?.email ?? ''}), who keeps their role and seat regardless`,
  } as const;
  return c.reasons.map((r) => words[r]).join(', and ');
}

export interface GroupMappingsDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly settlement: Pick<SeatSettlement, 'settleQuietly'>;
}

export function createGroupMappings({ store, clock, settlement }: GroupMappingsDeps) {
  const now = () => clock.now().toISO()!;

  /**
   * Turns advanced group mappings on or off, sets or removes mappings, then re-evaluates every
   * directory user in the same transaction. An owner's setting (or the operator's).
   */
  async function configureGroupMappings(
    organisationId: number,
    change: MappingChange,
    actor: Actor,
    options: { readonly confirm?: boolean } = {},
  ): Promise<{ enabled: boolean; mappings: GroupMapping[] }> {
    const { enabled, mappings } = await changeGroupMappings(organisationId, change, actor, options);
    return { enabled, mappings };
  }

  /**
   * As configureGroupMappings, also saying what it did to whom. A member or API token making a
   * change that demotes or unseats the member making it, or that changes what the mappings say
   * about the primary owner, must send `confirm: true`; without it the change is made, measured
   * and rolled back, and refused with 409 `confirmation_required` listing the consequences. The
   * operator's command is its own confirmation.
   */
  async function changeGroupMappings(
    organisationId: number,
    change: MappingChange,
    actor: Actor,
    options: { readonly confirm?: boolean } = {},
  ): Promise<{ enabled: boolean; mappings: GroupMapping[]; consequences: MappingConsequences }> {
    return await store.write(async (q) => {
      await requireOrganisation(q, organisationId);
      await requireRole(q, organisationId, actor, 'owner', 'change provisioning settings');
      // Under the organisation's lock: the list a PUT replaces and the members compared before and
      // after are read here, so two changes at once must take turns, or on PostgreSQL both would
      // start from the same list and leave a mix of the two (and consequences neither was shown).
      await q.organisations.lockForChange(organisationId);
      const watch = await watchMappingChange(q, organisationId, actor);
      if (change.replace) {
        const kept = new Set(change.replace.map((m) => foldKey(m.groupName)));
        const gone = (await q.groupMappings.list(organisationId)).filter((m) => !kept.has(m.groupName));
        change = { ...change, set: change.replace, remove: gone.map((m) => m.groupName) };
      }
      const tiers = new Set((await q.tiers.all()).map((t) => t.id));
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
        enabled: await q.groupMappings.enabled(organisationId),
        mappings: await q.groupMappings.list(organisationId),
      };
      for (const name of change.remove ?? []) await q.groupMappings.remove(organisationId, name);
      for (const m of change.set ?? []) await q.groupMappings.set(organisationId, m);
      if (change.enabled !== undefined) await q.groupMappings.setEnabled(organisationId, change.enabled);
      const after = {
        enabled: await q.groupMappings.enabled(organisationId),
        mappings: await q.groupMappings.list(organisationId),
      };
      await recordAudit(q, {
        organisationId,
        at: now(),
        actor,
        action: 'organisation.group_mappings_changed',
        subjectType: 'organisation',
        subjectId: organisationId,
        before,
        after,
      });
      for (const id of await q.directoryUsers.ids(organisationId)) {
        const member = (await q.members.byId(organisationId, id))!;
        if (!['deactivated', 'invited', 'removed'].includes(member.seatState))
          await settlement.settleQuietly(q, member, actor);
      }
      const consequences = await watch.finish();
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
  }

  /** Whether advanced group mappings are on, and every mapping (group names folded). */
  async function groupMappings(
    organisationId: number,
    actor: Actor,
  ): Promise<{ enabled: boolean; mappings: GroupMapping[] }> {
    return await store.read(async (q) => {
      await requireOrganisation(q, organisationId);
      await requireRole(q, organisationId, actor, 'owner', 'see provisioning settings');
      return {
        enabled: await q.groupMappings.enabled(organisationId),
        mappings: await q.groupMappings.list(organisationId),
      };
    });
  }

  return { configureGroupMappings, changeGroupMappings, groupMappings };
}
