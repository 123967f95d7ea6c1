// The term roll-over job. An auto-renewing contract enters its next term with, per tier, as many
// seats as were in use (held) at the end of the last one, and gets a 12-month renewal invoice; a
// contract that does not renew expires. Safe to run any number of times, in any number of
// processes: each roll-over is conditional on the term number it read, and the renewal invoice is
// unique per organisation and term.
import type { Clock } from '../domain/clock.js';
import type { Actor } from '../domain/model.js';
import { termEnd } from '../domain/term.js';
import type { Contract, InvoiceLine, PoolTier } from '../domain/records.js';
import type { Store } from '../db/port.js';
import type { SeatPool } from '../seats/seat-pool.js';
import { issueInvoice, termLines } from './invoicing.js';
import { recordAudit } from '../audit/record.js';

export interface RenewalOutcome {
  readonly organisationId: number;
  readonly slug: string;
  readonly outcome: 'renewed' | 'expired';
  readonly termNumber: number;
  readonly invoiceNumber?: string;
}

export interface RenewalPreview {
  /** False when the contract does not auto-renew or has expired: it ends, nothing is billed. */
  readonly renews: boolean;
  readonly nextTerm: { readonly number: number; readonly start: string; readonly end: string };
  readonly currency: string;
  /** Per tier with seats in use: seats held × the tier's monthly price × 12 months. */
  readonly lines: readonly InvoiceLine[];
  readonly totalMinor: number;
}

/**
 * What the roll-over below would invoice if the current term ended with the pool as it is now:
 * the next term, with each tier's allocation set to the seats held (seated members and pending
 * invitations), billed for 12 months at the term's prices. Pure: the same lines, from the same
 * `termLines`, as the renewal invoice the job issues.
 */
export function previewRenewal(contract: Contract, pool: readonly PoolTier[]): RenewalPreview {
  const start = termEnd(contract.termStart, contract.timeZone);
  const next: Contract = { ...contract, termNumber: contract.termNumber + 1, termStart: start.toISODate()! };
  const renews = contract.autoRenew && contract.status === 'active';
  const lines = renews
    ? termLines(
        next,
        pool.map((t) => ({ ...t, allocation: t.held })),
        'Renewal:',
      )
    : [];
  return {
    renews,
    nextTerm: {
      number: next.termNumber,
      start: next.termStart,
      end: termEnd(next.termStart, next.timeZone).minus({ days: 1 }).toISODate()!,
    },
    currency: contract.currency,
    lines,
    totalMinor: lines.reduce((sum, l) => sum + l.amountMinor, 0),
  };
}

const RENEWAL_JOB: Actor = { type: 'system', job: 'renewal' };

export function createRenewals({
  store,
  clock,
  seats,
}: {
  readonly store: Store;
  readonly clock: Clock;
  readonly seats: SeatPool;
}) {
  /** Rolls over one organisation's term if it has ended; undefined when nothing was due. */
  async function rollOnce(organisationId: number): Promise<RenewalOutcome | undefined> {
    return await store.write(async (q) => {
      const now = clock.now();
      const contract = await q.contracts.byOrganisation(organisationId);
      const organisation = await q.organisations.byId(organisationId);
      if (!contract || !organisation || contract.status !== 'active') return undefined;
      const end = termEnd(contract.termStart, contract.timeZone);
      if (now < end) return undefined;

      const before = Object.fromEntries(
        (await q.seatPools.list(organisationId)).map((t) => [t.tierId, t.allocation]),
      );
      if (!contract.autoRenew) {
        if (!(await q.contracts.expire(organisationId, contract.termNumber))) return undefined;
        await recordAudit(q, {
          organisationId,
          at: now.toISO()!,
          actor: RENEWAL_JOB,
          action: 'contract.expired',
          subjectType: 'contract',
          subjectId: organisationId,
          before: { termNumber: contract.termNumber, status: 'active' },
          after: { termNumber: contract.termNumber, status: 'expired' },
        });
        return {
          organisationId,
          slug: organisation.slug,
          outcome: 'expired',
          termNumber: contract.termNumber,
        };
      }

      // Seats in use at term end: an invitation that lapsed before then no longer holds one,
      // even if the expiry job has not run yet.
      await seats.expireLapsedInvitations(q, organisationId, end);
      const nextStart = end.toISODate()!;
      if (!(await q.contracts.rollToNextTerm(organisationId, contract.termNumber, nextStart)))
        return undefined;
      await q.seatPools.resetAllocationToHeld(organisationId);
      const renewed = (await q.contracts.byOrganisation(organisationId))!;
      const pool = await q.seatPools.list(organisationId);
      const invoice = await issueInvoice(q, {
        organisation,
        contract: renewed,
        kind: 'renewal',
        lines: termLines(renewed, pool, 'Renewal:'),
        quoteId: null,
        actor: RENEWAL_JOB,
        at: now,
      });
      await recordAudit(q, {
        organisationId,
        at: now.toISO()!,
        actor: RENEWAL_JOB,
        action: 'contract.renewed',
        subjectType: 'contract',
        subjectId: organisationId,
        before: { termNumber: contract.termNumber, termStart: contract.termStart, allocation: before },
        after: {
          termNumber: renewed.termNumber,
          termStart: renewed.termStart,
          allocation: Object.fromEntries(pool.map((t) => [t.tierId, t.allocation])),
        },
        invoiceId: invoice.id,
      });
      return {
        organisationId,
        slug: organisation.slug,
        outcome: 'renewed',
        termNumber: renewed.termNumber,
        invoiceNumber: invoice.number,
      };
    });
  }

  return {
    /** Rolls every due contract forward, as many terms as have ended (after a long outage, several). */
    async run(): Promise<RenewalOutcome[]> {
      const outcomes: RenewalOutcome[] = [];
      // One contract's failure must not hold up every other organisation's renewal.
      const failures: unknown[] = [];
      for (const contract of await store.read((q) => q.contracts.active())) {
        try {
          for (
            let outcome = await rollOnce(contract.organisationId);
            outcome;
            outcome = await rollOnce(contract.organisationId)
          ) {
            outcomes.push(outcome);
            if (outcome.outcome === 'expired') break;
          }
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) {
        throw new AggregateError(failures, `${failures.length} contract(s) could not be renewed`);
      }
      return outcomes;
    },
  };
}
