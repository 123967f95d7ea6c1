// The billing contact (owners set it, invoices show it) and invoices as PDF documents, read back
// with PDF.js: the text must carry the number, the lines' amounts, the total and the address.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { Response } from 'supertest';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';

const CONTACT = {
  name: 'Berta Buchhaltung',
  email: 'billing@acme.example',
  addressLines: ['Hauptstraße 1', '10115 Berlin'],
  country: 'de',
  vatId: 'DE123456789',
};

/** The text of every page of a PDF, one string per page (items joined by spaces). */
async function pdfText(bytes: Buffer): Promise<string[]> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const content = await (await pdf.getPage(n)).getTextContent();
    pages.push(content.items.map((i) => ('str' in i ? i.str : '')).join(' '));
  }
  await pdf.destroy();
  return pages;
}

/** supertest keeps a binary body as a Buffer only when told to collect it so. */
function binary(res: Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
}

describe('admin API: billing contact and invoice PDFs', () => {
  let w: ApiWorld;
  let number: string;
  beforeAll(async () => {
    w = await apiWorld();
    const quote = await w.as.owner.post('/billing/quotes', {
      add: { standard: 5 },
      upgrades: [{ from: 'standard', to: 'premium', quantity: 10 }],
    });
    assert.equal(quote.status, 200, quote.text);
    const confirmed = await w.as.owner.post(`/billing/quotes/${quote.body.id as string}/confirm`);
    assert.equal(confirmed.status, 201, confirmed.text);
    number = confirmed.body.number as string;
  });
  afterAll(() => w.cleanup());

  test('When no billing contact was saved, then it is null and the PDF says so', async () => {
    const res = await w.as.owner.get('/billing/contact');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { contact: null });
    const pdf = await w.as.owner.get(`/invoices/${number}/pdf`).buffer(true).parse(binary);
    assert.equal(pdf.status, 200);
    const [text] = await pdfText(pdf.body as Buffer);
    assert.match(text!, /No billing contact on file\./);
  });

  test('When an owner saves the billing contact, then it is stored whole, country upper-cased, and audited', async () => {
    const res = await w.as.owner.put('/billing/contact', CONTACT);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.contact.country, 'DE');
    assert.deepEqual(res.body.contact.addressLines, CONTACT.addressLines);
    const again = await w.as.owner.get('/billing/contact');
    assert.deepEqual(again.body, res.body);
    const audit = await w.as.owner.get('/audit?action=billing_contact.changed');
    assert.equal(audit.body.entries.length, 1);
  });

  test('When the billing contact is bad or the caller is no owner, then a problem says why, never a 500', async () => {
    const bad = await w.as.owner.put('/billing/contact', {
      ...CONTACT,
      email: 'not-an-email',
      country: 'Germany',
      addressLines: [],
    });
    assert.equal(bad.status, 400);
    const pointers = ((problem(bad).errors ?? []) as { pointer: string }[]).map((e) => e.pointer).sort();
    assert.deepEqual(pointers, ['/addressLines', '/country', '/email']);
    const control = await w.as.owner.put('/billing/contact', { ...CONTACT, addressLines: ['a\nb'] });
    assert.equal(control.status, 400);
    assert.equal((await w.as.admin.put('/billing/contact', CONTACT)).status, 403);
    assert.equal((await w.as.admin.get(`/invoices/${number}/pdf`)).status, 403);
  });

  test('When an owner downloads an invoice as PDF, then it reads back with the number, lines, totals and billing address', async () => {
    const res = await w.as.owner.get(`/invoices/${number}/pdf`).buffer(true).parse(binary);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/pdf');
    assert.match(String(res.headers['content-disposition']), new RegExp(`invoice-${number}\\.pdf`));
    const body = res.body as Buffer;
    assert.equal(body.subarray(0, 5).toString('latin1'), '%PDF-');
    const text = (await pdfText(body)).join('\n');
    for (const expected of [
      `Invoice ${number}`,
      'Acme GmbH',
      'Berta Buchhaltung',
      'Hauptstraße 1',
      '10115 Berlin',
      'Germany',
      'billing@acme.example',
      'VAT ID: DE123456789',
      '1 March 2026',
      'Term 1',
      '2,500.00 EUR',
      '10,000.00 EUR',
      '12,500.00 EUR',
      '50.00 EUR',
      '100.00 EUR',
      'Seatkeeper',
    ]) {
      assert.ok(text.includes(expected), `"${expected}" in the PDF text: ${text}`);
    }
  });

  test('When the invoice number is unknown or malformed, then 404 or 400 as a problem', async () => {
    const missing = await w.as.owner.get('/invoices/ACME-9999/pdf');
    assert.equal(missing.status, 404);
    assert.equal(problem(missing).status, 404);
    const malformed = await w.as.owner.get('/invoices/acme%20x/pdf');
    assert.equal(malformed.status, 400);
    assert.equal(problem(malformed).status, 400);
  });
});

describe('admin API: invoice PDFs name the configured seller', () => {
  let w: ApiWorld;
  afterAll(() => w.cleanup());

  test('When the operator configured who issues invoices, then the PDF names them with their address', async () => {
    w = await apiWorld('2026-03-01T09:00:00Z', {
      invoiceSeller: { name: 'Vendor GmbH', lines: ['Musterweg 2', '80331 München', 'VAT DE999999999'] },
    });
    const invoice = (await w.as.owner.get('/invoices')).body.invoices[0] as { number: string };
    const res = await w.as.owner.get(`/invoices/${invoice.number}/pdf`).buffer(true).parse(binary);
    assert.equal(res.status, 200);
    const text = (await pdfText(res.body as Buffer)).join('\n');
    for (const expected of ['Vendor GmbH', 'Musterweg 2', '80331 München', 'VAT DE999999999']) {
      assert.ok(text.includes(expected), `"${expected}" in the PDF text: ${text}`);
    }
    assert.ok(!text.includes('Seatkeeper'));
  });
});
