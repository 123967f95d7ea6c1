// Handing the organisation to another member: the primary owner names a seated member, who is
// mailed a single-use confirmation link; confirming makes them the primary owner and the old
// primary owner an owner, in one transaction. Nothing changes until the new owner confirms.
//
// Every write here (start, cancel, confirm) locks the organisation for the change before reading
// who is primary owner and which transfer is pending: on PostgreSQL two of them at once would
// otherwise decide on the same state, and a start by a primary owner who was just replaced could
// leave a transfer from the new one behind.
import type { Clock } from '../domain/clock.js';
import { ConflictError, GoneError, NotFoundError, ValidationError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';
import { hashSecret, newSecret } from '../domain/secrets.js';
import type { Queries, Store } from '../db/port.js';
import type { Member, Organisation, OwnershipTransfer } from '../domain/records.js';
import { ownershipTransferMail } from '../mail/messages.js';
import { enqueueMail } from '../mail/outbox.js';
import { readerOf } from '../mail/reader.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import { consoleLink } from './console-links.js';
import { changeRole } from './members.js';
import { recordAudit } from '../audit/record.js';

/**
 * How long the new owner has to confirm (docs/rules.md, "Ownership transfer"): long enough for a
 * weekend, short enough that a forgotten request does not linger.
 */
export const TRANSFER_TTL_HOURS = 72;

const SECRET_PREFIX = 'skxfer_';

export interface TransferView {
  readonly id: number;
  readonly from: Member;
  readonly to: Member;
  readonly status: OwnershipTransfer['status'];
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface TransferConfirmed {
  readonly organisation: Organisation;
  /** The new primary owner. */
  readonly primaryOwner: Member;
  /** The old primary owner, now an owner. */
  readonly previousPrimaryOwner: Member;
}

export type OwnershipService = ReturnType<typeof createOwnershipService>;

export function createOwnershipService({
  store,
  clock,
  publicBaseUrl,
}: {
  readonly store: Store;
  readonly clock: Clock;
  readonly publicBaseUrl: string;
}) {
  async function view(q: Queries, t: OwnershipTransfer): Promise<TransferView> {
    return {
      id: t.id,
      from: (await q.members.byId(t.organisationId, t.fromMemberId))!,
      to: (await q.members.byId(t.organisationId, t.toMemberId))!,
      status: t.status,
      createdAt: t.createdAt,
      expiresAt: t.expiresAt,
    };
  }

  /** Ends the organisation's pending transfer (cancelled, or expired if it ran out), audited. */
  async function endPending(
    q: Queries,
    organisationId: number,
    actor: Actor,
    at: string,
    reason: string,
  ): Promise<void> {
    const pending = await q.ownershipTransfers.pending(organisationId);
    if (!pending) return;
    const status = at >= pending.expiresAt ? 'expired' : 'cancelled';
    await q.ownershipTransfers.end(pending.id, status, at);
    await recordAudit(q, {
      organisationId,
      at,
      actor,
      action: `ownership_transfer.${status}`,
      subjectType: 'ownership_transfer',
      subjectId: pending.id,
      before: { status: 'pending', toMemberId: pending.toMemberId, expiresAt: pending.expiresAt },
      after: { status, reason },
    });
  }

  return {
    /**
     * The primary owner asks to hand the organisation to a seated member. A pending transfer is
     * replaced (its link stops working). The target is mailed the confirmation link.
     */
    async start(organisationId: number, toMemberId: number, actor: Actor): Promise<TransferView> {
      return await store.write(async (q) => {
        await q.organisations.lockForChange(organisationId);
        const organisation = await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'primary_owner', 'transfer primary ownership');
        const from = await q.members.primaryOwner(organisationId);
        if (!from)
          throw new ConflictError(
            'The organisation has no primary owner to transfer from.',
            {},
            'no_primary_owner',
          );
        const to = await q.members.byId(organisationId, toMemberId);
        if (!to) throw new NotFoundError(`No member ${toMemberId} in this organisation.`);
        if (to.id === from.id) {
          throw new ValidationError(
            'You are the primary owner already; name another member.',
            {},
            'transfer_to_self',
          );
        }
        if (to.seatState !== 'seated') {
          throw new ConflictError(
            `${to.email} is ${to.seatState.replace('_', ' ')}; primary ownership can go only to a member with a seat.`,
            { seatState: to.seatState },
            'target_not_seated',
          );
        }
        const now = clock.now();
        const at = now.toISO()!;
        await endPending(q, organisationId, actor, at, 'replaced');
        const secret = newSecret(SECRET_PREFIX);
        const expiresAt = now.plus({ hours: TRANSFER_TTL_HOURS }).toISO()!;
        const id = await q.ownershipTransfers.insert({
          organisationId,
          fromMemberId: from.id,
          toMemberId: to.id,
          tokenHash: hashSecret(secret),
          at,
          expiresAt,
        });
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: 'ownership_transfer.requested',
          subjectType: 'ownership_transfer',
          subjectId: id,
          after: {
            status: 'pending',
            fromMemberId: from.id,
            toMemberId: to.id,
            toEmail: to.email,
            expiresAt,
          },
        });
        const content = ownershipTransferMail({
          organisationName: organisation.name,
          fromName: from.displayName ?? from.email,
          link: consoleLink(publicBaseUrl, 'confirm-transfer', secret),
          expiresAt,
          ...(await readerOf(q, organisationId, to.id)),
        });
        await enqueueMail(q, { organisationId, kind: 'ownership_transfer', to: to.email, ...content }, at);
        return await view(q, (await q.ownershipTransfers.pending(organisationId))!);
      });
    },

    /** The pending transfer, if one is waiting and has not run out (owners see it). */
    async pending(organisationId: number, actor: Actor): Promise<TransferView | null> {
      return await store.read(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', 'see a pending ownership transfer');
        const pending = await q.ownershipTransfers.pending(organisationId);
        return pending && clock.now().toISO()! < pending.expiresAt ? await view(q, pending) : null;
      });
    },

    /** The primary owner withdraws the pending transfer; its link stops working. */
    async cancel(organisationId: number, actor: Actor): Promise<void> {
      await store.write(async (q) => {
        await q.organisations.lockForChange(organisationId);
        await requireRole(q, organisationId, actor, 'primary_owner', 'cancel an ownership transfer');
        const at = clock.now().toISO()!;
        const pending = await q.ownershipTransfers.pending(organisationId);
        if (!pending || at >= pending.expiresAt) {
          throw new NotFoundError('No ownership transfer is waiting for confirmation.');
        }
        await endPending(q, organisationId, actor, at, 'cancelled');
      });
    },

    /**
     * The named member confirms with the mailed secret: they become primary owner and the old
     * primary owner an owner, audited, in one transaction. The old primary owner is demoted first:
     * the schema allows one primary owner per organisation at every moment, not only at commit.
     */
    async confirm(token: string): Promise<TransferConfirmed> {
      const tokenHash = hashSecret(token);
      return await store.write(async (q) => {
        // The organisation is known from the transfer only: read it, lock the organisation for the
        // change, then read it again. A confirmation or a new start that committed meanwhile is seen
        // (the link used, or replaced), not decided on from before.
        const found = await q.ownershipTransfers.byHash(tokenHash);
        if (found) await q.organisations.lockForChange(found.organisationId);
        const transfer = found && (await q.ownershipTransfers.byHash(tokenHash));
        if (!transfer) {
          throw new ValidationError('This confirmation link is not valid.', {}, 'transfer_invalid');
        }
        const organisation = (await q.organisations.byId(transfer.organisationId))!;
        const now = clock.now().toISO()!;
        if (transfer.status === 'confirmed') {
          throw new GoneError(
            `This transfer was confirmed already; you are the primary owner of ${organisation.name}.`,
            {},
            'transfer_used',
          );
        }
        if (transfer.status === 'cancelled') {
          throw new GoneError(
            'This ownership transfer was cancelled or replaced by the primary owner.',
            {},
            'transfer_cancelled',
          );
        }
        if (transfer.status === 'expired' || now >= transfer.expiresAt) {
          throw new GoneError(
            `This ownership transfer has expired (a transfer waits ${TRANSFER_TTL_HOURS} hours). Ask the primary owner to start it again.`,
            { expiredAt: transfer.expiresAt },
            'transfer_expired',
          );
        }
        const from = (await q.members.byId(organisation.id, transfer.fromMemberId))!;
        const to = (await q.members.byId(organisation.id, transfer.toMemberId))!;
        if (from.role !== 'primary_owner') {
          throw new ConflictError(
            'The primary owner has changed since this transfer was asked for.',
            {},
            'transfer_stale',
          );
        }
        if (to.seatState !== 'seated') {
          throw new ConflictError(
            `You are ${to.seatState.replace('_', ' ')} in ${organisation.name}; primary ownership can go only to a member with a seat.`,
            { seatState: to.seatState },
            'target_not_seated',
          );
        }
        if (!(await q.ownershipTransfers.end(transfer.id, 'confirmed', now))) {
          throw new GoneError('This transfer was confirmed already.', {}, 'transfer_used');
        }
        const actor: Actor = { type: 'member', memberId: to.id };
        const previousPrimaryOwner = await changeRole(q, from, 'owner', actor, now);
        const primaryOwner = await changeRole(q, to, 'primary_owner', actor, now);
        await recordAudit(q, {
          organisationId: organisation.id,
          at: now,
          actor,
          action: 'ownership_transfer.confirmed',
          subjectType: 'ownership_transfer',
          subjectId: transfer.id,
          before: { status: 'pending', primaryOwner: from.id },
          after: { status: 'confirmed', primaryOwner: to.id },
        });
        return { organisation, primaryOwner, previousPrimaryOwner };
      });
    },
  };
}
