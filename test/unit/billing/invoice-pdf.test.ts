// The invoice PDF on its own, read back as text: the parts that depend on what is on file (a
// billing contact or none, a VAT ID or none, a country code the runtime cannot name) and an invoice
// long enough to need a second page.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { renderInvoicePdf } from '../../../billing/invoice-pdf.js';

type InvoiceDocument = Parameters<typeof renderInvoicePdf>[0];
type Line = InvoiceDocument['invoice']['lines'][number];

async function pdfPages(bytes: Buffer): Promise<string[]> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const content = await (await pdf.getPage(n)).getTextContent();
    // Items joined by one space, runs of spaces made one: the layout decides where items split.
    pages.push(
      content.items
        .map((i) => ('str' in i ? i.str : ''))
        .join(' ')
        .replace(/\s+/g, ' '),
    );
  }
  await pdf.destroy();
  return pages;
}

function line(n: number): Line {
  return {
    tierId: 'standard',
    action: 'add',
    description: `Standard seats, batch ${n}`,
    quantity: 1,
    unitPriceMinor: 1000,
    monthsNum: 6,
    monthsDen: 1,
    periodStart: '2026-07-01',
    periodEnd: '2026-12-31',
    amountMinor: 6000,
  };
}

function documentWith(overrides: {
  contact?: InvoiceDocument['contact'];
  lines?: readonly Line[];
  kind?: string;
}): InvoiceDocument {
  const lines = overrides.lines ?? [line(1)];
  return {
    invoice: {
      id: 1,
      organisationId: 1,
      number: 'INV-2026-0042',
      kind: (overrides.kind ?? 'purchase') as InvoiceDocument['invoice']['kind'],
      termNumber: 1,
      issuedAt: '2026-07-01T09:00:00.000Z',
      currency: 'EUR',
      totalMinor: lines.reduce((sum, l) => sum + l.amountMinor, 0),
      quoteId: null,
      lines,
    },
    organisation: {
      id: 1,
      slug: 'acme',
      name: 'Acme GmbH',
      provisioningMode: 'scim',
      seatExhaustion: 'reject',
      requireSso: false,
      createdAt: '2026-01-01T00:00:00.000Z',
    },
    timeZone: 'Europe/Berlin',
    contact: overrides.contact === undefined ? null : overrides.contact,
    seller: { name: 'Seatkeeper Ltd', lines: ['1 Example Street'] },
  };
}

const CONTACT = {
  name: 'Berta Buchhaltung',
  email: 'billing@acme.example',
  addressLines: ['Hauptstraße 1', '10115 Berlin'],
  country: 'DE',
  vatId: null,
  updatedAt: '2026-06-01T00:00:00.000Z',
};

describe('The invoice PDF', () => {
  test('When no billing contact is on file, then the invoice says so under the organisation name', async () => {
    const [page] = await pdfPages(await renderInvoicePdf(documentWith({})));
    assert.match(page!, /Bill to Acme GmbH No billing contact on file\./);
  });

  test('When the contact has no VAT ID, then no VAT line is printed; the country is named in English', async () => {
    const [page] = await pdfPages(await renderInvoicePdf(documentWith({ contact: CONTACT })));
    assert.match(page!, /Attn\. Berta Buchhaltung Hauptstraße 1 10115 Berlin Germany billing@acme\.example/);
    assert.doesNotMatch(page!, /VAT ID/);
  });

  test('When the country code is not one the runtime can name, then the code itself is printed', async () => {
    const contact = { ...CONTACT, country: 'QQ', vatId: 'XX999' };
    const [page] = await pdfPages(await renderInvoicePdf(documentWith({ contact })));
    assert.match(page!, /10115 Berlin QQ billing@acme\.example VAT ID: XX999/);
  });

  test('When the invoice kind has no printed name, then the kind is printed as stored', async () => {
    const [page] = await pdfPages(await renderInvoicePdf(documentWith({ kind: 'correction' })));
    assert.match(page!, /Kind correction Contract term/);
  });

  test('When the lines do not fit on one page, then they go on to a second and the total follows the last line', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => line(i + 1));
    const pages = await pdfPages(await renderInvoicePdf(documentWith({ lines })));
    assert.ok(pages.length >= 2, `${pages.length} page(s)`);
    const all = pages.join(' ');
    for (const n of [1, 30, 60]) assert.match(all, new RegExp(`Standard seats, batch ${n} `));
    assert.match(pages.at(-1)!, /batch 60 .*Total\s+3,600\.00 EUR/);
    assert.doesNotMatch(pages[0]!, /Total\s+3,600/, 'the total is not on the first page');
  });
});
