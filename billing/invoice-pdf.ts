// An invoice as a PDF document (A4): seller, the organisation and its billing contact, number,
// dates, term, every line with its proration, and the total. Amounts are the invoice's integer
// minor units, written with the currency's digits (formatMinor), never recomputed.
import { DateTime } from 'luxon';
import PDFDocument from 'pdfkit';
import type { InvoiceDocument } from './billing.js';
import { formatMonths } from './invoicing.js';
import { formatMinor, fraction } from '../domain/money.js';

const KIND: Readonly<Record<string, string>> = {
  initial: 'Initial term',
  purchase: 'Seat purchase',
  renewal: 'Renewal',
};

/** A country code as its English name ("DE" → "Germany"); the code itself when unknown. */
function countryName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * The invoice as PDF bytes. The standard Helvetica font covers Western European text (Windows-1252);
 * other characters in names or addresses are not drawn correctly.
 */
export function renderInvoicePdf(docData: InvoiceDocument): Promise<Buffer> {
  const { invoice, organisation, contact, timeZone, seller } = docData;
  const money = (minor: number) => `${formatMinor(minor, invoice.currency)} ${invoice.currency}`;
  const issued = DateTime.fromISO(invoice.issuedAt).setZone(timeZone);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: `Invoice ${invoice.number}`,
      Author: seller.name,
      Subject: `Invoice ${invoice.number} for ${organisation.name}`,
      // A fixed date keeps the same invoice the same bytes.
      CreationDate: issued.toJSDate(),
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = doc.page.margins.left;
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  const top = doc.y;

  // Seller on the left, the invoice's facts on the right.
  doc
    .font('Helvetica-Bold')
    .fontSize(14)
    .text(seller.name, left, top, { width: width / 2 });
  doc.font('Helvetica').fontSize(9);
  for (const l of seller.lines) doc.text(l, { width: width / 2 });
  const sellerBottom = doc.y;

  const factsX = left + width / 2 + 20;
  const factsWidth = width / 2 - 20;
  doc
    .font('Helvetica-Bold')
    .fontSize(18)
    .text(`Invoice ${invoice.number}`, factsX, top, { width: factsWidth });
  doc.font('Helvetica').fontSize(9).moveDown(0.3);
  const facts: [string, string][] = [
    ['Invoice number', invoice.number],
    ['Issued', issued.toFormat('d LLLL yyyy')],
    ['Kind', KIND[invoice.kind] ?? invoice.kind],
    ['Contract term', `Term ${invoice.termNumber}`],
    ['Currency', invoice.currency],
  ];
  for (const [label, value] of facts) {
    const y = doc.y;
    doc.font('Helvetica').text(label, factsX, y, { width: 90 });
    doc.font('Helvetica-Bold').text(value, factsX + 90, y, { width: factsWidth - 90 });
  }
  doc.y = Math.max(doc.y, sellerBottom) + 24;

  // Whom it is for.
  doc.font('Helvetica-Bold').fontSize(10).text('Bill to', left, doc.y);
  doc.font('Helvetica').fontSize(10);
  doc.text(organisation.name);
  if (contact) {
    doc.text(`Attn. ${contact.name}`);
    for (const l of contact.addressLines) doc.text(l);
    doc.text(countryName(contact.country));
    doc.text(contact.email);
    if (contact.vatId) doc.text(`VAT ID: ${contact.vatId}`);
  } else {
    doc.fillColor('#555555').text('No billing contact on file.').fillColor('black');
  }
  doc.moveDown(1.5);

  // The lines: description wraps, numbers stay on the right.
  const cols = [
    { title: 'Description', width: width - 250, align: 'left' as const },
    { title: 'Seats', width: 40, align: 'right' as const },
    { title: 'Monthly price', width: 75, align: 'right' as const },
    { title: 'Months', width: 55, align: 'right' as const },
    { title: 'Amount', width: 80, align: 'right' as const },
  ];
  const row = (cells: string[], bold: boolean) => {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 60) doc.addPage();
    const y = doc.y;
    let x = left;
    let bottom = y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    cells.forEach((cell, i) => {
      const col = cols[i]!;
      doc.text(cell, x, y, { width: col.width - (i === 0 ? 10 : 0), align: col.align });
      bottom = Math.max(bottom, doc.y);
      x += col.width;
    });
    doc.y = bottom + 6;
  };
  const rule = () => {
    doc
      .moveTo(left, doc.y - 3)
      .lineTo(left + width, doc.y - 3)
      .strokeColor('#999999')
      .lineWidth(0.5)
      .stroke();
  };
  row(
    cols.map((c) => c.title),
    true,
  );
  rule();
  for (const l of invoice.lines) {
    row(
      [
        l.description,
        String(l.quantity),
        money(l.unitPriceMinor),
        formatMonths(fraction(l.monthsNum, l.monthsDen)),
        money(l.amountMinor),
      ],
      false,
    );
  }
  rule();
  row(['Total', '', '', '', money(invoice.totalMinor)], true);

  doc.moveDown(1.5);
  doc
    .font('Helvetica')
    .fontSize(8)
    .fillColor('#555555')
    .text(
      'Seats are billed per month for the rest of the annual term, prorated to the day; each line is rounded once to the currency unit.',
      left,
      doc.y,
      { width },
    );
  doc.end();
  return done;
}
