// Billing for owners: the contract and seats per tier, quotes for adding and upgrading seats, their
// confirmation into an invoice (once, however often it is sent), invoices, and a preview of the
// renewal invoice. Money is integer minor units of the contract's currency everywhere.
import { z } from 'zod';
import { formatMonths } from '../billing/invoicing.js';
import type { Billing } from '../billing/billing.js';
import { renderInvoicePdf } from '../billing/invoice-pdf.js';
import type { BillingContact, Invoice, InvoiceLine, Quote } from '../domain/records.js';
import type { RenewalPreview } from '../billing/renewal.js';
import { ValidationError } from '../domain/errors.js';
import { fraction } from '../domain/money.js';
import { created, ok, route, type Answer, type Route } from './route.js';
import { CalendarDate, Currency, Instant, Minor, RowId } from './schemas.js';

const TAG = 'Billing';

/** A tier id as stored (`standard`, `premium`); unknown ones are refused by the service. */
const TierId = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'A tier id, such as "standard".');
/** Seats in one line: whole, not negative, and below anything an organisation could mean. */
const Seats = z.number().int().min(0).max(1_000_000);
/** Printable ASCII without spaces at the ends, as an HTTP header value can carry it. */
const IdempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/, 'Printable ASCII, at most 200 characters.');

const QuoteBody = z
  .strictObject({
    /** Seats to add, per tier: `{ "standard": 5 }`. */
    add: z.record(TierId, Seats).optional(),
    /** Seats converted to a higher tier, billed at the price difference. */
    upgrades: z
      .array(
        z.strictObject({
          from: TierId,
          to: TierId,
          quantity: Seats,
          /** Members of `from` who move into the new seats (needed when too few are unclaimed). */
          moveMemberIds: z.array(z.number().int().positive()).max(10_000).optional(),
        }),
      )
      .max(20)
      .optional(),
    /** The same key returns the same quote; also accepted as the `Idempotency-Key` header. */
    idempotencyKey: IdempotencyKey.optional(),
  })
  .meta({
    examples: [{ add: { standard: 5 }, upgrades: [{ from: 'standard', to: 'premium', quantity: 10 }] }],
  });

const QuoteId = z.strictObject({ quoteId: z.string().regex(/^q_[\w-]{1,64}$/, 'A quote id (q_…).') });
const InvoiceNumber = z.strictObject({
  number: z.string().regex(/^[A-Z0-9][A-Z0-9-]{0,79}$/, 'An invoice number, such as ACME-0002.'),
});

/** One line of text on an invoice: no control characters, no blank ends. */
const Line = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'Must not be empty.')
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'Must be one line of text.');

const BillingContactBody = z.strictObject({
  /** The person or department invoices are for. */
  name: Line(200),
  email: z.string().trim().max(254).pipe(z.email('An email address, such as billing@acme.example.')),
  /** The postal address, line by line: street, postcode and city, and so on. */
  addressLines: z.array(Line(200)).min(1, 'Give at least one address line.').max(5, 'At most 5 lines.'),
  /** ISO 3166-1 alpha-2: `DE`, `IT`. */
  country: z
    .string()
    .trim()
    .transform((c) => c.toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{2}$/, 'A two-letter country code (ISO 3166-1), such as DE.')),
  /** The buyer's VAT identification number, if it has one; null or absent for none. */
  vatId: z
    .string()
    .trim()
    .max(30)
    .regex(/^[A-Za-z0-9 .-]*$/, 'Letters, digits, spaces, dots and hyphens, such as DE123456789.')
    .nullable()
    .optional(),
});

const BillingContactSchema = z
  .object({
    name: z.string(),
    email: z.string(),
    addressLines: z.array(z.string()),
    country: z.string(),
    vatId: z.string().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: 'BillingContact' });

const BillingContactAnswer = z.object({ contact: BillingContactSchema.nullable() });

const contactView = (c: BillingContact | null) => ({
  contact: c === null ? null : { ...c, addressLines: [...c.addressLines] },
});

const Count = z.number().int().min(0);

const LineSchema = z
  .object({
    tier: z.string(),
    action: z.enum(['term', 'add', 'upgrade']),
    description: z.string(),
    quantity: Count,
    unitPriceMinor: Minor.meta({ description: 'Monthly per seat, or the price difference of an upgrade.' }),
    months: z.object({
      numerator: z.number().int(),
      denominator: z.number().int().min(1),
      text: z.string().meta({ examples: ['9 16/31'] }),
    }),
    periodStart: CalendarDate,
    periodEnd: CalendarDate,
    amountMinor: Minor,
  })
  .meta({
    id: 'InvoiceLine',
    examples: [
      {
        tier: 'standard',
        action: 'add',
        description: '5 standard seats',
        quantity: 5,
        unitPriceMinor: 5000,
        months: { numerator: 10, denominator: 1, text: '10' },
        periodStart: '2026-03-01',
        periodEnd: '2026-12-31',
        amountMinor: 250000,
      },
    ],
  });

const QuoteSchema = z
  .object({
    id: z.string(),
    createdAt: Instant,
    expiresAt: Instant,
    termNumber: z.number().int().min(1),
    currency: Currency,
    request: z.object({
      add: z.record(z.string(), Count),
      upgrades: z.array(
        z.object({ from: z.string(), to: z.string(), quantity: Count, moveMemberIds: z.array(RowId) }),
      ),
    }),
    lines: z.array(LineSchema),
    totalMinor: Minor,
  })
  .meta({ id: 'Quote' });

const InvoiceSummarySchema = z
  .object({
    id: RowId,
    number: z.string(),
    kind: z.enum(['initial', 'purchase', 'renewal']),
    termNumber: z.number().int().min(1),
    issuedAt: Instant,
    currency: Currency,
    totalMinor: Minor,
    quoteId: z.string().nullable(),
  })
  .meta({ id: 'InvoiceSummary' });

const InvoiceSchema = InvoiceSummarySchema.extend({ lines: z.array(LineSchema) }).meta({ id: 'Invoice' });

const BillingSchema = z
  .object({
    contract: z.object({
      currency: Currency,
      currencyDigits: z.number().int().min(0),
      timeZone: z.string(),
      termNumber: z.number().int().min(1),
      termStart: CalendarDate,
      termEnd: CalendarDate.meta({ description: 'The last day of the term.' }),
      autoRenew: z.boolean(),
      status: z.enum(['active', 'expired']),
    }),
    tiers: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        rank: z.number().int(),
        unitPriceMinor: Minor,
        allocation: Count,
        held: Count,
        available: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'Billing' });

const RenewalPreviewSchema = z
  .object({
    renews: z.boolean(),
    nextTerm: z.object({ number: z.number().int().min(1), start: CalendarDate, end: CalendarDate }),
    currency: Currency,
    lines: z.array(LineSchema),
    totalMinor: Minor,
  })
  .meta({ id: 'RenewalPreview' });

/** One invoice line: months as the exact fraction that was billed, amount rounded once. */
export function lineView(l: InvoiceLine): z.infer<typeof LineSchema> {
  return {
    tier: l.tierId,
    action: l.action,
    description: l.description,
    quantity: l.quantity,
    unitPriceMinor: l.unitPriceMinor,
    months: {
      numerator: l.monthsNum,
      denominator: l.monthsDen,
      text: formatMonths(fraction(l.monthsNum, l.monthsDen)),
    },
    periodStart: l.periodStart,
    periodEnd: l.periodEnd,
    amountMinor: l.amountMinor,
  };
}

/** A quote as the API answers it (and the command line's --json prints it). */
export function quoteView(q: Quote): Answer<z.infer<typeof QuoteSchema>> {
  return {
    id: q.id,
    createdAt: q.createdAt,
    expiresAt: q.expiresAt,
    termNumber: q.termNumber,
    currency: q.currency,
    request: q.request,
    lines: q.lines.map(lineView),
    totalMinor: q.totalMinor,
  };
}

/** An invoice without its lines, as GET /invoices lists it. */
export function invoiceSummary(i: Invoice): z.infer<typeof InvoiceSummarySchema> {
  return {
    id: i.id,
    number: i.number,
    kind: i.kind,
    termNumber: i.termNumber,
    issuedAt: i.issuedAt,
    currency: i.currency,
    totalMinor: i.totalMinor,
    quoteId: i.quoteId,
  };
}

/** An invoice with every line, as GET /invoices/:number answers it. */
export const invoiceView = (i: Invoice): z.infer<typeof InvoiceSchema> => ({
  ...invoiceSummary(i),
  lines: i.lines.map(lineView),
});

function renewalView(p: RenewalPreview): z.infer<typeof RenewalPreviewSchema> {
  return { ...p, lines: p.lines.map(lineView) };
}

/** The key from the body or the `Idempotency-Key` header; both must agree when both are sent. */
function idempotencyKeyOf(body: string | undefined, header: string | undefined): string | undefined {
  if (header === undefined) return body;
  const parsed = IdempotencyKey.safeParse(header);
  if (!parsed.success) {
    throw new ValidationError(
      'Invalid header: Idempotency-Key must be printable ASCII, at most 200 characters.',
      {
        errors: [
          { in: 'header', pointer: '/idempotency-key', detail: 'Printable ASCII, at most 200 characters.' },
        ],
      },
    );
  }
  if (body !== undefined && body !== header) {
    throw new ValidationError('The Idempotency-Key header and the body idempotencyKey differ.', {
      errors: [
        { in: 'body', pointer: '/idempotencyKey', detail: 'Differs from the Idempotency-Key header.' },
      ],
    });
  }
  return header;
}

export function billingRoutes({ billing }: { readonly billing: Billing }): Route[] {
  return [
    route({
      method: 'get',
      path: '/billing',
      tag: TAG,
      summary: 'Show the contract and seats per tier',
      operationId: 'getBilling',
      role: 'owner',
      response: BillingSchema,
      responses: {
        200: 'The contract (currency, time zone, term, auto-renew, status) and per tier: price, allocation, held, available.',
      },
      handle: async ({ caller }) => {
        const { contract, tiers } = await billing.overview(caller.organisationId, caller.actor);
        return ok({
          contract: {
            currency: contract.currency,
            currencyDigits: contract.currencyDigits,
            timeZone: contract.timeZone,
            termNumber: contract.termNumber,
            termStart: contract.termStart,
            termEnd: contract.termEnd,
            autoRenew: contract.autoRenew,
            status: contract.status,
          },
          tiers: tiers.map((t) => ({
            id: t.tierId,
            name: t.tierName,
            rank: t.rank,
            unitPriceMinor: t.unitPriceMinor,
            allocation: t.allocation,
            held: t.held,
            available: t.available,
          })),
        });
      },
    }),
    route({
      method: 'post',
      path: '/billing/quotes',
      tag: TAG,
      summary: 'Price adding or upgrading seats',
      operationId: 'createQuote',
      role: 'owner',
      body: QuoteBody,
      response: QuoteSchema,
      responses: {
        200: 'The quote: every invoice line it would issue, the total and when it expires. Nothing is bought.',
        409: 'The purchase cannot be made as asked (an upgrade needs members named, the contract has ended, the idempotency key was used for another purchase).',
      },
      handle: async ({ caller, body, req }) => {
        const key = idempotencyKeyOf(body.idempotencyKey, req.get('idempotency-key'));
        const input = {
          ...(body.add ? { add: body.add } : {}),
          ...(body.upgrades
            ? {
                upgrades: body.upgrades.map((u) => ({
                  from: u.from,
                  to: u.to,
                  quantity: u.quantity,
                  ...(u.moveMemberIds ? { moveMemberIds: u.moveMemberIds } : {}),
                })),
              }
            : {}),
        };
        return ok(quoteView(await billing.quote(caller.organisationId, input, caller.actor, key)));
      },
    }),
    route({
      method: 'post',
      path: '/billing/quotes/:quoteId/confirm',
      tag: TAG,
      summary: 'Buy what a quote priced',
      operationId: 'confirmQuote',
      role: 'owner',
      params: QuoteId,
      response: InvoiceSchema,
      responses: {
        201: 'Bought: the invoice, issued now.',
        200: 'This quote was confirmed before: the same invoice, nothing bought again.',
        404: 'No such quote for this organisation.',
        409: 'The quote expired or went stale (the seats changed since); ask for a new one.',
      },
      handle: async ({ caller, params }) => {
        const { invoice, issued } = await billing.confirmQuote(
          caller.organisationId,
          params.quoteId,
          caller.actor,
        );
        const body = invoiceView(invoice);
        return issued ? created(body, `/api/v1/invoices/${encodeURIComponent(invoice.number)}`) : ok(body);
      },
    }),
    route({
      method: 'get',
      path: '/billing/renewal-preview',
      tag: TAG,
      summary: 'Preview the renewal invoice',
      operationId: 'previewRenewal',
      role: 'owner',
      response: RenewalPreviewSchema,
      responses: {
        200: 'What the renewal would invoice if the term ended now: per tier, seats in use × 12 months.',
      },
      handle: async ({ caller }) =>
        ok(renewalView(await billing.renewalPreview(caller.organisationId, caller.actor))),
    }),
    route({
      method: 'get',
      path: '/invoices',
      tag: TAG,
      summary: 'List invoices',
      operationId: 'listInvoices',
      role: 'owner',
      response: z.object({ invoices: z.array(InvoiceSummarySchema) }),
      responses: { 200: 'Every invoice, oldest first, without lines.' },
      handle: async ({ caller }) =>
        ok({ invoices: (await billing.invoices(caller.organisationId, caller.actor)).map(invoiceSummary) }),
    }),
    route({
      method: 'get',
      path: '/invoices/:number',
      tag: TAG,
      summary: 'Show an invoice',
      operationId: 'getInvoice',
      role: 'owner',
      params: InvoiceNumber,
      response: InvoiceSchema,
      responses: { 200: 'The invoice with every line.', 404: 'No such invoice for this organisation.' },
      handle: async ({ caller, params }) =>
        ok(invoiceView(await billing.invoice(caller.organisationId, params.number, caller.actor))),
    }),
    route({
      method: 'get',
      path: '/invoices/:number/pdf',
      operationId: 'getInvoicePdf',
      tag: TAG,
      summary: 'Download an invoice as PDF',
      role: 'owner',
      params: InvoiceNumber,
      response: z.string().meta({ format: 'binary', description: 'A PDF document (ISO 32000).' }),
      responseType: 'application/pdf',
      responses: {
        200: 'application/pdf: the invoice with seller, billing contact and address, every line and the total.',
        404: 'No such invoice for this organisation.',
      },
      handle: async ({ caller, params }) => {
        const document = await billing.invoiceDocument(caller.organisationId, params.number, caller.actor);
        return {
          status: 200,
          type: 'application/pdf',
          headers: { 'content-disposition': `attachment; filename="invoice-${document.invoice.number}.pdf"` },
          // The bytes as they are: the router sends a Buffer unchanged; the schema calls it a binary string.
          body: (await renderInvoicePdf(document)) as unknown as string,
        };
      },
    }),
    route({
      method: 'get',
      path: '/billing/contact',
      operationId: 'getBillingContact',
      tag: TAG,
      summary: 'Show the billing contact and address',
      role: 'owner',
      response: BillingContactAnswer,
      responses: { 200: 'Whom invoices are addressed to: `contact`, null until an owner saved one.' },
      handle: async ({ caller }) =>
        ok(contactView(await billing.billingContact(caller.organisationId, caller.actor))),
    }),
    route({
      method: 'put',
      path: '/billing/contact',
      operationId: 'setBillingContact',
      tag: TAG,
      summary: 'Set the billing contact and address',
      role: 'owner',
      body: BillingContactBody,
      response: BillingContactAnswer,
      responses: {
        200: 'Saved (the whole contact is replaced): shown on every invoice, page and PDF, from now on.',
      },
      handle: async ({ caller, body }) =>
        ok(
          contactView(
            await billing.setBillingContact(
              caller.organisationId,
              { ...body, vatId: body.vatId === undefined || body.vatId === '' ? null : body.vatId },
              caller.actor,
            ),
          ),
        ),
    }),
  ];
}
