// The organisation's identity settings: how members arrive besides manual invitations (provisioning
// mode), what a directory push does when no seat is free (seat exhaustion policy), and the page
// that shows them with the verified domains. Owners' settings (or the operator's).
import type { Clock } from '../../domain/clock.js';
import { ValidationError } from '../../domain/errors.js';
import type { Actor } from '../../domain/model.js';
import type { Queries, Store } from '../../db/port.js';
import type { ProvisioningMode, SeatExhaustionPolicy } from '../../domain/records.js';
import { recordAudit } from '../../audit/record.js';
import { requireOrganisation } from '../../seats/contract-state.js';
import { requireRole } from '../../seats/roles.js';

export interface IdentitySettingsChange {
  readonly provisioningMode?: ProvisioningMode;
  readonly seatExhaustion?: SeatExhaustionPolicy;
}

export function createIdentitySettings({ store, clock }: { readonly store: Store; readonly clock: Clock }) {
  const now = () => clock.now().toISO()!;

  /** `invite_only`, `jit` (first SSO sign-in creates the account) or `scim` (the directory pushes them). */
  async function setProvisioningModeIn(
    q: Queries,
    organisationId: number,
    mode: ProvisioningMode,
    actor: Actor,
  ): Promise<void> {
    if (!['invite_only', 'jit', 'scim'].includes(mode)) {
      throw new ValidationError(
        `The provisioning mode must be invite_only, jit or scim, not "${String(mode)}".`,
        { mode },
        'invalid_value',
      );
    }
    const organisation = await requireOrganisation(q, organisationId);
    await requireRole(q, organisationId, actor, 'owner', 'change provisioning settings');
    if (organisation.provisioningMode === mode) return;
    await q.organisations.setProvisioningMode(organisationId, mode);
    await recordAudit(q, {
      organisationId,
      at: now(),
      actor,
      action: 'organisation.provisioning_mode_changed',
      subjectType: 'organisation',
      subjectId: organisationId,
      before: { provisioningMode: organisation.provisioningMode },
      after: { provisioningMode: mode },
    });
  }

  /** `reject` refuses the user with 403 (and records the attempt), `hold` keeps them awaiting a seat. */
  async function setSeatExhaustionIn(
    q: Queries,
    organisationId: number,
    policy: SeatExhaustionPolicy,
    actor: Actor,
  ): Promise<void> {
    if (policy !== 'reject' && policy !== 'hold') {
      throw new ValidationError(
        `The seat exhaustion policy must be "reject" or "hold", not "${String(policy)}".`,
        { policy },
        'invalid_value',
      );
    }
    const organisation = await requireOrganisation(q, organisationId);
    await requireRole(q, organisationId, actor, 'owner', 'change provisioning settings');
    if (organisation.seatExhaustion === policy) return;
    await q.organisations.setSeatExhaustion(organisationId, policy);
    await recordAudit(q, {
      organisationId,
      at: now(),
      actor,
      action: 'organisation.seat_exhaustion_changed',
      subjectType: 'organisation',
      subjectId: organisationId,
      before: { seatExhaustion: organisation.seatExhaustion },
      after: { seatExhaustion: policy },
    });
  }

  async function identitySettingsIn(q: Queries, organisationId: number, actor: Actor) {
    const organisation = await requireOrganisation(q, organisationId);
    await requireRole(q, organisationId, actor, 'owner', 'see provisioning settings');
    return {
      provisioningMode: organisation.provisioningMode,
      seatExhaustion: organisation.seatExhaustion,
      groupMappingsEnabled: await q.groupMappings.enabled(organisationId),
      domains: await q.organisations.domains(organisationId),
    };
  }

  /** Both settings at once, inside the caller's transaction; answers the settings now in force. */
  async function configureIdentityIn(
    q: Queries,
    organisationId: number,
    change: IdentitySettingsChange,
    actor: Actor,
  ) {
    if (change.provisioningMode !== undefined)
      await setProvisioningModeIn(q, organisationId, change.provisioningMode, actor);
    if (change.seatExhaustion !== undefined)
      await setSeatExhaustionIn(q, organisationId, change.seatExhaustion, actor);
    return await identitySettingsIn(q, organisationId, actor);
  }

  return {
    /** How members arrive besides manual invitations. */
    setProvisioningMode: (organisationId: number, mode: ProvisioningMode, actor: Actor): Promise<void> =>
      store.write((q) => setProvisioningModeIn(q, organisationId, mode, actor)),

    /** What a directory push does when no seat is free. */
    setSeatExhaustion: (organisationId: number, policy: SeatExhaustionPolicy, actor: Actor): Promise<void> =>
      store.write((q) => setSeatExhaustionIn(q, organisationId, policy, actor)),

    /** The identity settings page: how people arrive, what happens without a seat, the domains. */
    identitySettings: (organisationId: number, actor: Actor) =>
      store.read((q) => identitySettingsIn(q, organisationId, actor)),

    /** Changes provisioning mode and seat exhaustion policy together, in one write: both or neither. */
    configureIdentity: (organisationId: number, change: IdentitySettingsChange, actor: Actor) =>
      store.write((q) => configureIdentityIn(q, organisationId, change, actor)),
    configureIdentityIn,
  };
}
