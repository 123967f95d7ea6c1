// Buying seats: a quote (the exact invoice lines, no side effects, short-lived), then a confirm of
// that quote that raises the allocation and issues the invoice in one transaction, exactly once.
import { randomBytes } from 'node:crypto';
import type { DateTime } from 'luxon';
import type { Clock } from '../domain/clock.js';
import { currencyDigits } from '../domain/money.js';
import { termEnd } from '../domain/term.js';
import { ConflictError, NotFoundError, QuoteError, ValidationError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';
import type {
  BillingContact,
  Contract,
  Invoice,
  InvoiceLine,
  Member,
  Organisation,
  PoolTier,
  Quote,
  QuoteBasis,
  QuoteRequest,
  UpgradeRequest,
} from '../domain/records.js';
import type { Queries, Store } from '../db/port.js';
import { requireOpenContract, requireOrganisation, type OpenContract } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import { snapshot, type SeatPool } from '../seats/seat-pool.js';
import { availableSeats } from '../seats/usage.js';
import { issueInvoice, line, remainderOfTerm } from './invoicing.js';
import { previewRenewal, type RenewalPreview } from './renewal.js';
import { recordAudit } from '../audit/record.js';

/** What a buyer asks for, before validation. */
export interface PurchaseInput {
  readonly add?: Readonly<Record<string, number>>;
  readonly upgrades?: readonly {
    readonly from: string;
    readonly to: string;
    readonly quantity: number;
    readonly moveMemberIds?: readonly number[];
  }[];
}

export interface BillingDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** How long a quote can be confirmed; it also ends at midnight in the contract's zone. */
  readonly quoteTtlSeconds: number;
  readonly seats: SeatPool;
  /** Who issues the invoices, as their documents name them. */
  readonly seller?: { readonly name: string; readonly lines: readonly string[] };
}

export type Billing = ReturnType<typeof createBilling>;

/** A billing contact as an owner enters it (validated by the API's schema). */
export interface BillingContactInput {
  readonly name: string;
  readonly email: string;
  readonly addressLines: readonly string[];
  readonly country: string;
  readonly vatId?: string | null;
}

/** Everything an invoice document shows: the invoice, whom it is for, and the contract's zone. */
export interface InvoiceDocument {
  readonly invoice: Invoice;
  readonly organisation: Organisation;
  readonly timeZone: string;
  readonly contact: BillingContact | null;
  readonly seller: { readonly name: string; readonly lines: readonly string[] };
}

/** The billing page: the contract (with its last day) and every tier's price and seats. */
export interface BillingOverview {
  readonly contract: Contract & {
    /** Last day of the current term (inclusive), an ISO date in the contract's zone. */
    readonly termEnd: string;
    /** ISO 4217 minor-unit digits of the currency (2 for EUR, 0 for JPY). */
    readonly currencyDigits: number;
  };
  readonly tiers: readonly (PoolTier & { readonly available: number })[];
}

export function createBilling({
  store,
  clock,
  quoteTtlSeconds,
  seats,
  seller = { name: 'Seatkeeper', lines: [] },
}: BillingDeps) {
  /**
   * Buys what the quote priced, once: a second confirm of the same quote (a retry, a double click,
   * two processes) finds its invoice and returns it with `issued: false`; the invoice's unique
   * quote_id makes a second purchase impossible even if two confirms race.
   */
  async function confirmQuote(
    organisationId: number,
    quoteId: string,
    actor: Actor,
  ): Promise<{ invoice: Invoice; issued: boolean }> {
    return await store.write(async (q) => {
      const now = clock.now();
      // Held until this transaction ends: a second confirm of the quote waits here, then finds the invoice.
      const quote = await q.quotes.byIdForConfirm(organisationId, quoteId);
      if (!quote) throw new NotFoundError(`No quote ${quoteId} for this organisation.`);
      await requireRole(q, organisationId, actor, 'owner', 'buy seats or see billing', { allowSystem: true });
      const done = await q.invoices.byQuote(quote.id);
      if (done) return { invoice: done, issued: false };

      if (now.toISO()! >= quote.expiresAt) {
        throw new QuoteError(
          'quote_expired',
          `Quote ${quote.id} expired at ${quote.expiresAt}; review a new quote.`,
        );
      }
      const open = await requireOpenContract(q, organisationId, now);
      const pool = await q.seatPools.list(organisationId);
      if (!sameAllocation(quote.basis, basisOf(open, pool))) {
        throw new QuoteError(
          'quote_stale',
          'The seats changed since this quote was made (another purchase or a renewal); review a new quote.',
        );
      }
      try {
        await checkFeasible(q, open, pool, quote.request);
      } catch (error) {
        if (error instanceof ValidationError || error instanceof ConflictError) {
          throw new QuoteError('quote_stale', `This quote can no longer be applied: ${error.message}`);
        }
        throw error;
      }
      const before = allocationOf(pool);
      await applyPurchase(q, open, quote.request, actor, now);
      const after = allocationOf(await q.seatPools.list(organisationId));
      const invoice = await issueInvoice(q, {
        organisation: open.organisation,
        contract: open.contract,
        kind: 'purchase',
        lines: quote.lines,
        quoteId: quote.id,
        actor,
        at: now,
      });
      await recordAudit(q, {
        organisationId,
        at: now.toISO()!,
        actor,
        action: 'allocation.changed',
        subjectType: 'seat_pool',
        subjectId: organisationId,
        before: { allocation: before },
        after: { allocation: after },
        invoiceId: invoice.id,
      });
      // Seats just bought go first to members waiting for one (the `hold` policy).
      await seats.seatWaitingIn(q, organisationId);
      return { invoice, issued: true };
    });
  }

  return {
    /**
     * Prices a purchase without changing anything. The same idempotency key returns the quote it
     * first produced (a different request under the same key is refused).
     */
    async quote(
      organisationId: number,
      input: PurchaseInput,
      actor: Actor,
      idempotencyKey?: string,
    ): Promise<Quote> {
      return await store.write(async (q) => {
        const now = clock.now();
        const open = await requireOpenContract(q, organisationId, now);
        await requireRole(q, organisationId, actor, 'owner', 'buy seats or see billing', {
          allowSystem: true,
        });
        const pool = await q.seatPools.list(organisationId);
        const request = normaliseRequest(input, pool);
        if (idempotencyKey !== undefined) {
          const earlier = await q.quotes.byIdempotencyKey(organisationId, idempotencyKey);
          if (earlier) {
            if (JSON.stringify(earlier.request) !== JSON.stringify(request)) {
              throw new ConflictError(
                'This idempotency key was used for a different purchase.',
                {},
                'idempotency_key_reused',
              );
            }
            return earlier;
          }
        }
        await checkFeasible(q, open, pool, request);
        const lines = priceLines(open, pool, request, now);
        return await q.quotes.insert({
          id: `q_${randomBytes(16).toString('base64url')}`,
          organisationId,
          termNumber: open.contract.termNumber,
          actor,
          createdAt: now.toISO()!,
          expiresAt: quoteExpiry(now, open, quoteTtlSeconds).toISO()!,
          request,
          basis: basisOf(open, pool),
          lines,
          currency: open.contract.currency,
          idempotencyKey: idempotencyKey ?? null,
        });
      });
    },

    /**
     * Buys what the quote priced: raises the allocation, moves the named members, issues the
     * invoice, audits it all, in one transaction. Confirming a confirmed quote returns its invoice.
     */
    async confirm(organisationId: number, quoteId: string, actor: Actor): Promise<Invoice> {
      return (await confirmQuote(organisationId, quoteId, actor)).invoice;
    },

    /** As `confirm`, saying whether this call issued the invoice or found it issued already. */
    confirmQuote,

    /** The contract and, per tier, price, allocation, held and available seats. */
    async overview(organisationId: number, actor: Actor): Promise<BillingOverview> {
      return await store.read(async (q) => {
        const organisation = await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'buy seats or see billing', {
          allowSystem: true,
        });
        const contract = await q.contracts.byOrganisation(organisationId);
        if (!contract) throw new NotFoundError(`Organisation "${organisation.slug}" has no contract.`);
        return {
          contract: {
            ...contract,
            termEnd: termEnd(contract.termStart, contract.timeZone).minus({ days: 1 }).toISODate()!,
            currencyDigits: currencyDigits(contract.currency),
          },
          tiers: (await q.seatPools.list(organisationId)).map((t) => ({
            ...t,
            available: availableSeats(t),
          })),
        };
      });
    },

    /** What the renewal job would invoice if the term ended now (billing/renewal.ts, previewRenewal). */
    async renewalPreview(organisationId: number, actor: Actor): Promise<RenewalPreview> {
      return await store.read(async (q) => {
        const organisation = await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'buy seats or see billing', {
          allowSystem: true,
        });
        const contract = await q.contracts.byOrganisation(organisationId);
        if (!contract) throw new NotFoundError(`Organisation "${organisation.slug}" has no contract.`);
        return previewRenewal(contract, await q.seatPools.list(organisationId));
      });
    },

    async invoices(organisationId: number, actor: Actor): Promise<Invoice[]> {
      return await store.read(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'buy seats or see billing', {
          allowSystem: true,
        });
        return await q.invoices.list(organisationId);
      });
    },

    /** Whom the organisation's invoices are addressed to; null until an owner saved it. */
    async billingContact(organisationId: number, actor: Actor): Promise<BillingContact | null> {
      return await store.read(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'buy seats or see billing', {
          allowSystem: true,
        });
        return await q.billingContacts.get(organisationId);
      });
    },

    /** Saves the billing contact (the whole of it), audited with what it was before. */
    async setBillingContact(
      organisationId: number,
      input: BillingContactInput,
      actor: Actor,
    ): Promise<BillingContact> {
      return await store.write(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'change the billing contact', {
          allowSystem: true,
        });
        const before = await q.billingContacts.get(organisationId);
        const at = clock.now().toISO()!;
        const contact: BillingContact = {
          name: input.name,
          email: input.email,
          addressLines: [...input.addressLines],
          country: input.country,
          vatId: input.vatId ?? null,
          updatedAt: at,
        };
        // What the audit log keeps: the contact without the time it was saved.
        const shown = (c: BillingContact) => ({
          name: c.name,
          email: c.email,
          addressLines: c.addressLines,
          country: c.country,
          vatId: c.vatId,
        });
        if (before !== null && JSON.stringify(shown(before)) === JSON.stringify(shown(contact)))
          return before;
        await q.billingContacts.put(organisationId, contact);
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: 'billing_contact.changed',
          subjectType: 'organisation',
          subjectId: organisationId,
          ...(before !== null ? { before: shown(before) } : {}),
          after: shown(contact),
        });
        return contact;
      });
    },

    /** An invoice with what its document shows besides the lines (billing/invoice-pdf.ts). */
    async invoiceDocument(organisationId: number, number: string, actor: Actor): Promise<InvoiceDocument> {
      return await store.read(async (q) => {
        const organisation = await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'buy seats or see billing', {
          allowSystem: true,
        });
        const invoice = await q.invoices.byNumber(organisationId, number);
        if (!invoice) throw new NotFoundError(`No invoice ${number} for this organisation.`);
        const contract = await q.contracts.byOrganisation(organisationId);
        return {
          invoice,
          organisation,
          timeZone: contract?.timeZone ?? 'UTC',
          contact: await q.billingContacts.get(organisationId),
          seller,
        };
      });
    },

    async invoice(organisationId: number, number: string, actor: Actor): Promise<Invoice> {
      return await store.read(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', 'buy seats or see billing', {
          allowSystem: true,
        });
        const invoice = await q.invoices.byNumber(organisationId, number);
        if (!invoice) throw new NotFoundError(`No invoice ${number} for this organisation.`);
        return invoice;
      });
    },
  };
}

/** Validates the request against the organisation's tiers and returns it in its stored form. */
export function normaliseRequest(input: PurchaseInput, pool: readonly PoolTier[]): QuoteRequest {
  const tiers = new Map(pool.map((t) => [t.tierId, t]));
  const tierNamed = (id: string): PoolTier => {
    const tier = tiers.get(id);
    if (!tier) throw new ValidationError(`There is no seat tier "${id}".`, { tier: id }, 'unknown_tier');
    return tier;
  };
  const count = (n: unknown, what: string): number => {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new ValidationError(`${what} must be a whole number of seats, 0 or more.`, { value: n });
    }
    return n;
  };

  const add: Record<string, number> = {};
  for (const [tierId, n] of Object.entries(input.add ?? {})) {
    tierNamed(tierId);
    if (count(n, `Seats to add to ${tierId}`) > 0) add[tierId] = n;
  }
  const seenPairs = new Set<string>();
  const seenMembers = new Set<number>();
  const upgrades: UpgradeRequest[] = [];
  for (const u of input.upgrades ?? []) {
    const from = tierNamed(u.from);
    const to = tierNamed(u.to);
    if (to.rank <= from.rank) {
      throw new ValidationError(
        `Seats can only be upgraded to a higher tier; ${u.to} is not above ${u.from}.`,
        {},
        'not_an_upgrade',
      );
    }
    if (seenPairs.has(`${u.from}>${u.to}`))
      throw new ValidationError(`The upgrade ${u.from} → ${u.to} is listed twice.`);
    seenPairs.add(`${u.from}>${u.to}`);
    const quantity = count(u.quantity, `Seats to upgrade from ${u.from}`);
    const moveMemberIds = [...(u.moveMemberIds ?? [])];
    for (const id of moveMemberIds) {
      if (!Number.isSafeInteger(id) || seenMembers.has(id))
        throw new ValidationError(`Member ${id} is named twice or is not a member id.`);
      seenMembers.add(id);
    }
    if (moveMemberIds.length > quantity) {
      throw new ValidationError(
        `${moveMemberIds.length} members named to move, but only ${quantity} seats upgraded.`,
      );
    }
    if (quantity > 0) upgrades.push({ from: u.from, to: u.to, quantity, moveMemberIds });
  }
  if (Object.keys(add).length === 0 && upgrades.length === 0) {
    throw new ValidationError('Nothing to buy: add seats to a tier or upgrade seats.', {}, 'empty_purchase');
  }
  return { add, upgrades };
}

/**
 * An upgrade converts unclaimed seats of the lower tier first; the rest must be seats of members
 * named to move up. Refuses, naming the shortfall, when neither covers the quantity.
 */
async function checkFeasible(
  q: Queries,
  open: OpenContract,
  pool: readonly PoolTier[],
  request: QuoteRequest,
): Promise<void> {
  const unclaimed = new Map(pool.map((t) => [t.tierId, availableSeats(t)]));
  for (const u of request.upgrades) {
    for (const id of u.moveMemberIds) {
      const member = await q.members.byId(open.organisation.id, id);
      if (!member || member.tierId !== u.from) {
        throw new ConflictError(
          `Member ${id} does not hold a ${u.from} seat, so cannot be moved to ${u.to}.`,
          {},
          'member_not_in_tier',
        );
      }
    }
    const fromUnclaimed = u.quantity - u.moveMemberIds.length;
    const left = unclaimed.get(u.from) ?? 0;
    if (fromUnclaimed > left) {
      throw new ConflictError(
        `Upgrading ${u.quantity} ${u.from} seats needs ${fromUnclaimed} unclaimed ${u.from} seats, but ${left} are unclaimed: ` +
          `name ${fromUnclaimed - left} more ${u.from} member(s) to move to ${u.to}.`,
        { tier: u.from, unclaimed: left, membersNeeded: fromUnclaimed - left },
        'upgrade_needs_members',
      );
    }
    unclaimed.set(u.from, left - fromUnclaimed);
  }
}

function priceLines(
  open: OpenContract,
  pool: readonly PoolTier[],
  request: QuoteRequest,
  at: DateTime,
): InvoiceLine[] {
  const { contract } = open;
  const rest = remainderOfTerm(contract, at);
  const tier = (id: string) => pool.find((t) => t.tierId === id)!;
  const lines: InvoiceLine[] = [];
  // Lines in tier order (highest first), adds before upgrades: the same request always prints alike.
  for (const t of pool) {
    const n = request.add[t.tierId];
    if (n !== undefined) {
      lines.push(
        line(
          {
            tier: t,
            action: 'add',
            quantity: n,
            unitPriceMinor: t.unitPriceMinor,
            ...rest,
            label: `Add ${t.tierName} seats`,
          },
          contract.currency,
        ),
      );
    }
  }
  for (const u of request.upgrades) {
    const from = tier(u.from);
    const to = tier(u.to);
    lines.push(
      line(
        {
          tier: to,
          action: 'upgrade',
          quantity: u.quantity,
          unitPriceMinor: to.unitPriceMinor - from.unitPriceMinor,
          ...rest,
          label: `Upgrade ${from.tierName} seats to ${to.tierName}`,
        },
        contract.currency,
      ),
    );
  }
  return lines;
}

async function applyPurchase(
  q: Queries,
  open: OpenContract,
  request: QuoteRequest,
  actor: Actor,
  at: DateTime,
): Promise<void> {
  const orgId = open.organisation.id;
  for (const [tierId, n] of Object.entries(request.add)) await q.seatPools.raiseAllocation(orgId, tierId, n);
  for (const u of request.upgrades) {
    await q.seatPools.raiseAllocation(orgId, u.to, u.quantity);
    for (const id of u.moveMemberIds) await moveUp(q, (await q.members.byId(orgId, id))!, u.to, actor, at);
    if (!(await q.seatPools.lowerAllocation(orgId, u.from, u.quantity))) {
      throw new QuoteError(
        'quote_stale',
        `Too few unclaimed ${u.from} seats remain to upgrade; review a new quote.`,
      );
    }
  }
}

async function moveUp(q: Queries, member: Member, to: string, actor: Actor, at: DateTime): Promise<void> {
  const when = at.toISO()!;
  if (
    !(await q.seatPools.claim(member.organisationId, to)) ||
    !(await q.seatPools.release(member.organisationId, member.tierId!))
  ) {
    throw new Error(`seat pool out of step while moving member ${member.id} to ${to}`);
  }
  if ((await q.members.setSeat(member, member.seatState, member.seatState, to, when)) === undefined) {
    throw new QuoteError('quote_stale', `Member ${member.email} changed meanwhile; review a new quote.`);
  }
  await recordAudit(q, {
    organisationId: member.organisationId,
    at: when,
    actor,
    action: 'seat.tier_changed',
    subjectType: 'member',
    subjectId: member.id,
    before: snapshot(member),
    after: snapshot({ ...member, tierId: to }),
  });
}

function quoteExpiry(now: DateTime, open: OpenContract, ttlSeconds: number): DateTime {
  // The price depends on the day in the contract's zone, so a quote never outlives that day.
  const midnight = now.setZone(open.contract.timeZone).startOf('day').plus({ days: 1 }).toUTC();
  const ttl = now.plus({ seconds: ttlSeconds });
  return ttl < midnight ? ttl : midnight;
}

function allocationOf(pool: readonly PoolTier[]): Record<string, number> {
  return Object.fromEntries(pool.map((t) => [t.tierId, t.allocation]));
}

function basisOf(open: OpenContract, pool: readonly PoolTier[]): QuoteBasis {
  return {
    termNumber: open.contract.termNumber,
    pool: Object.fromEntries(pool.map((t) => [t.tierId, { allocation: t.allocation, held: t.held }])),
  };
}

/** Held seats may move while a quote waits; only another purchase or a renewal makes it stale. */
function sameAllocation(a: QuoteBasis, b: QuoteBasis): boolean {
  const tiers = new Set([...Object.keys(a.pool), ...Object.keys(b.pool)]);
  return (
    a.termNumber === b.termNumber && [...tiers].every((t) => a.pool[t]?.allocation === b.pool[t]?.allocation)
  );
}
