// Invoice lines and their issue. A line's amount is quantity × monthly unit price × months, with the
// months an exact fraction and the product rounded once, half up, to the currency's minor unit.
import type { DateTime } from 'luxon';
import { formatMinor, fraction, multiplyAndRound, type Fraction } from '../domain/money.js';
import { positionInTerm, termEnd, TERM_MONTHS } from '../domain/term.js';
import type { Actor } from '../domain/model.js';
import type { Queries } from '../db/port.js';
import type {
  Contract,
  Invoice,
  InvoiceKind,
  InvoiceLine,
  LineAction,
  Organisation,
  PoolTier,
} from '../domain/records.js';
import { ValidationError } from '../domain/errors.js';
import { recordAudit } from '../audit/record.js';

/** "10", "9 16/31": months as a person reads them. */
export function formatMonths(months: Fraction): string {
  const whole = months.num / months.den;
  const rest = months.num % months.den;
  if (rest === 0n) return String(whole);
  return whole === 0n ? `${rest}/${months.den}` : `${whole} ${rest}/${months.den}`;
}

export interface LineSpec {
  readonly tier: PoolTier;
  readonly action: LineAction;
  readonly quantity: number;
  /** Per seat per month: the tier's price, or for an upgrade the difference of two prices. */
  readonly unitPriceMinor: number;
  readonly months: Fraction;
  /** First day billed and last day billed (inclusive), ISO dates in the contract's zone. */
  readonly from: string;
  readonly through: string;
  readonly label: string;
}

export function line(spec: LineSpec, currency: string): InvoiceLine {
  const amountMinor = multiplyAndRound(spec.quantity, spec.unitPriceMinor, spec.months);
  const months = formatMonths(spec.months);
  return {
    tierId: spec.tier.tierId,
    action: spec.action,
    description:
      `${spec.label}: ${spec.quantity} × ${formatMinor(spec.unitPriceMinor, currency)} ${currency} a month × ${months} ` +
      `month${months === '1' ? '' : 's'} (${spec.from} to ${spec.through})`,
    quantity: spec.quantity,
    unitPriceMinor: spec.unitPriceMinor,
    monthsNum: Number(spec.months.num),
    monthsDen: Number(spec.months.den),
    periodStart: spec.from,
    periodEnd: spec.through,
    amountMinor,
  };
}

/** The part of the current term still to bill on the day `at` falls on, or a clear refusal. */
export function remainderOfTerm(
  contract: Contract,
  at: DateTime,
): { months: Fraction; from: string; through: string } {
  const position = positionInTerm(contract.termStart, contract.timeZone, at);
  const end = termEnd(contract.termStart, contract.timeZone);
  if (!position) {
    throw new ValidationError(
      `The current term (${contract.termStart} to ${end.minus({ days: 1 }).toISODate()}) does not include today; ` +
        'the renewal job must roll the contract over before seats can be bought.',
      {},
      'outside_term',
    );
  }
  return {
    months: position.remainingMonths,
    from: at.setZone(contract.timeZone).toISODate()!,
    through: end.minus({ days: 1 }).toISODate()!,
  };
}

/** One line per tier with seats: the whole 12-month term, for an initial or renewal invoice. */
export function termLines(contract: Contract, pool: readonly PoolTier[], label: string): InvoiceLine[] {
  const start = contract.termStart;
  const through = termEnd(start, contract.timeZone).minus({ days: 1 }).toISODate()!;
  return pool
    .filter((t) => t.allocation > 0)
    .map((tier) =>
      line(
        {
          tier,
          action: 'term',
          quantity: tier.allocation,
          unitPriceMinor: tier.unitPriceMinor,
          months: fraction(TERM_MONTHS, 1),
          from: start,
          through,
          label: `${label} ${tier.tierName} seats`,
        },
        contract.currency,
      ),
    );
}

export interface IssueInvoice {
  readonly organisation: Organisation;
  readonly contract: Contract;
  readonly kind: InvoiceKind;
  readonly lines: readonly InvoiceLine[];
  readonly quoteId: string | null;
  readonly actor: Actor;
  readonly at: DateTime;
}

/** Writes the invoice (numbered SLUG-0001, SLUG-0002, …) and its audit row, inside the caller's transaction. */
export async function issueInvoice(q: Queries, i: IssueInvoice): Promise<Invoice> {
  const sequence = (await q.invoices.count(i.organisation.id)) + 1;
  const invoice = await q.invoices.insert({
    organisationId: i.organisation.id,
    number: `${i.organisation.slug.toUpperCase()}-${String(sequence).padStart(4, '0')}`,
    kind: i.kind,
    termNumber: i.contract.termNumber,
    issuedAt: i.at.toISO()!,
    currency: i.contract.currency,
    quoteId: i.quoteId,
    lines: i.lines,
  });
  await recordAudit(q, {
    organisationId: i.organisation.id,
    at: invoice.issuedAt,
    actor: i.actor,
    action: 'invoice.issued',
    subjectType: 'invoice',
    subjectId: invoice.id,
    after: {
      number: invoice.number,
      kind: invoice.kind,
      totalMinor: invoice.totalMinor,
      currency: invoice.currency,
    },
    invoiceId: invoice.id,
  });
  return invoice;
}
