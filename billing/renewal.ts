// The term roll-over job. An auto-renewing contract enters its next term with, per tier, as many
// seats as were in use (held) at the end of the last one, and gets a 12-month renewal invoice; a
// contract that does not renew expires. Safe to run any number of times, in any number of
// processes: each roll-over is conditional on the term number it read, and the renewal invoice is
// unique per organisation and term.
import type { Clock } from '../domain/clock.js';
import type { Actor } from '../domain/model.js';
import { termEnd } from '../domain/term.js';
import type { Store } from '../db/store.js';
import type { SeatPool } from '../seats/seat-pool.js';
import { issueInvoice, termLines } from './invoicing.js';

export interface RenewalOutcome {
  readonly organisationId: number;
  readonly slug: string;
  readonly outcome: 'renewed' | 'expired';
  readonly termNumber: number;
  readonly invoiceNumber?: string;
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
  function rollOnce(organisationId: number): RenewalOutcome | undefined {
    return store.write((q) => {
      const now = clock.now();
      const contract = q.contracts.byOrganisation(organisationId);
      const organisation = q.organisations.byId(organisationId);
      if (!contract || !organisation || contract.status !== 'active') return undefined;
      const end = termEnd(contract.termStart, contract.timeZone);
      if (now < end) return undefined;

      const before = Object.fromEntries(
        q.seatPools.list(organisationId).map((t) => [t.tierId, t.allocation]),
      );
      if (!contract.autoRenew) {
        if (!q.contracts.expire(organisationId, contract.termNumber)) return undefined;
        q.audit.append({
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
      seats.expireLapsedInvitations(q, organisationId, end);
      const nextStart = end.toISODate()!;
      if (!q.contracts.rollToNextTerm(organisationId, contract.termNumber, nextStart)) return undefined;
      q.seatPools.resetAllocationToHeld(organisationId);
      const renewed = q.contracts.byOrganisation(organisationId)!;
      const pool = q.seatPools.list(organisationId);
      const invoice = issueInvoice(q, {
        organisation,
        contract: renewed,
        kind: 'renewal',
        lines: termLines(renewed, pool, 'Renewal:'),
        quoteId: null,
        actor: RENEWAL_JOB,
        at: now,
      });
      q.audit.append({
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
    run(): RenewalOutcome[] {
      const outcomes: RenewalOutcome[] = [];
      for (const contract of store.read((q) => q.contracts.active())) {
        for (
          let outcome = rollOnce(contract.organisationId);
          outcome;
          outcome = rollOnce(contract.organisationId)
        ) {
          outcomes.push(outcome);
          if (outcome.outcome === 'expired') break;
        }
      }
      return outcomes;
    },
  };
}
