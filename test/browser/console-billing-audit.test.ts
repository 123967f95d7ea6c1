// The owner's billing pages and the audit log in headless Chromium against the real server: the
// purchase flow says what it does in words (Add seats / Upgrade seats, "Buy 5 seats for …"), an
// empty review explains itself, the renewal preview is refreshed after a purchase, the billing
// contact is edited and shown on the invoice, whose PDF downloads and reads back; the audit log
// names people and events in words and filters by person and event. Screenshots are kept under
// test-results/console/billing-audit/.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { Browser, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../api/auth.js';
import { OPERATOR } from '../../domain/model.js';
import { browserSkipReason, launchChromium } from '../helpers/browser.js';
import { createExample, listen, setup, type RunningServer, type TestContext } from '../helpers/fixtures.js';

const skip = browserSkipReason();
const SHOTS = fileURLToPath(new URL('../../test-results/console/billing-audit/', import.meta.url));

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function pdfText(bytes: Uint8Array): Promise<string> {
  const pdf = await getDocument({ data: bytes, verbosity: 0 }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const content = await (await pdf.getPage(n)).getTextContent();
    pages.push(content.items.map((i) => ('str' in i ? i.str : '')).join(' '));
  }
  await pdf.destroy();
  return pages.join('\n');
}

(skip ? describe.skip : describe)('Billing, invoices and the audit log in a browser', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let browser: Browser | undefined;
  let orgId: number;
  let ownerId: number;
  const faults: string[] = [];

  beforeAll(async () => {
    ctx = await setup('2026-03-01T09:00:00Z');
    const { organisation, primaryOwner } = await createExample(ctx, { seats: { standard: 10, premium: 2 } });
    orgId = organisation.id;
    ownerId = primaryOwner.id;
    await ctx.c.seats.acceptInvitation(orgId, ownerId, OPERATOR);
    for (const [email, displayName] of [
      ['uma@acme.example', 'Uma User'],
      ['dana@acme.example', 'Dana Developer'],
    ] as const) {
      await ctx.c.members.admit(
        orgId,
        { email, displayName, role: 'user' },
        'manual',
        { tier: 'standard' },
        OPERATOR,
      );
    }
    server = await listen(ctx);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.cleanup();
  }, 120_000);

  async function ownerPage(locale = 'en-GB'): Promise<Page> {
    const context = await browser!.newContext({
      viewport: { width: 1280, height: 800 },
      locale,
      acceptDownloads: true,
    });
    context.setDefaultTimeout(10_000);
    const { secret } = await ctx.c.sessions.start(orgId, ownerId);
    await context.addCookies([
      { name: SESSION_COOKIE, value: secret, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
    const page = await context.newPage();
    page.on('pageerror', (error) => faults.push(`script error: ${error.message}`));
    return page;
  }

  test('When the owner reviews nothing, then the form says so in words; buying says what it buys, and the renewal preview follows', async () => {
    const page = await ownerPage();
    await page.goto(`${server.url}/console/billing`);
    await page.getByRole('table', { name: 'Seats bought per tier this term' }).waitFor();
    const renewal = page.getByRole('table', { name: 'Renewal invoice preview' });
    await renewal.waitFor();
    const renewalBefore = (await renewal.getByTestId('total').textContent()) ?? '';
    assert.equal(await page.getByRole('button', { name: 'Edit seats' }).count(), 0, 'no lone pencil');

    await page.getByRole('button', { name: 'Add seats' }).click();
    assert.equal(
      await page.getByLabel('Add Standard seats').evaluate((e) => e === document.activeElement),
      true,
    );
    await page.getByRole('button', { name: 'Review' }).click();
    const problem = page.getByRole('alert');
    await problem.waitFor();
    assert.equal((await problem.textContent())?.trim(), 'Choose how many seats to add or upgrade.');
    assert.equal(await page.getByText('Code:').count(), 0, 'no error code for an empty review');
    await shot(page, 'billing-empty-review');

    // An upgrade that moves Uma into premium: the renewal's premium seats in use go up by one.
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Upgrade seats' }).click();
    await page.getByLabel('Upgrade Standard seats to Premium').fill('1');
    await page.getByLabel('Add Standard seats').fill('2');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('heading', { name: 'Review your purchase' }).waitFor();
    // 2 × 50.00 × 10 months + 1 × 100.00 × 10 months.
    const buy = page.getByRole('button', { name: 'Buy 2 seats and upgrade 1 seat for €2,000.00' });
    await shot(page, 'billing-review');
    await buy.click();
    await page.getByRole('heading', { name: /^Invoice ACME-\d+ issued$/ }).waitFor();
    await page.getByRole('table', { name: 'Renewal invoice preview' }).waitFor();
    // Bought seats nobody holds do not change the renewal; the preview was asked again all the same.
    assert.equal(
      (await page
        .getByRole('table', { name: 'Renewal invoice preview' })
        .getByTestId('total')
        .textContent()) ?? '',
      renewalBefore,
    );

    // Upgrade with a member moving: now a premium seat is in use and the renewal says so at once.
    await page.getByRole('button', { name: 'Upgrade seats' }).click();
    await page.getByLabel('Upgrade Standard seats to Premium').fill('3');
    await page.getByLabel('Members moving from Standard to Premium (optional)').fill('uma@acme.example');
    await page.getByRole('button', { name: 'Review' }).click();
    const upgrade = page.getByRole('button', { name: /^Upgrade 3 seats for €3,000\.00$/ });
    await upgrade.click();
    await page.getByRole('heading', { name: /^Invoice ACME-\d+ issued$/ }).waitFor();
    const expected = (await ctx.c.billing.renewalPreview(orgId, OPERATOR)).totalMinor;
    await page
      .getByRole('table', { name: 'Renewal invoice preview' })
      .getByTestId('total')
      .filter({ hasText: `€${(expected / 100).toLocaleString('en-GB', { minimumFractionDigits: 2 })}` })
      .waitFor();
    assert.notEqual(expected, Number(renewalBefore.replace(/[^\d]/g, '')));
    await shot(page, 'billing-bought');
    await page.context().close();
  }, 120_000);

  test('When the owner saves a billing contact, then the invoice page shows it and its PDF downloads with it', async () => {
    const page = await ownerPage();
    await page.goto(`${server.url}/console/billing`);
    await page.getByRole('button', { name: 'Add billing contact' }).click();
    await page.getByLabel('Contact name').fill('Berta Buchhaltung');
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Address').fill('Hauptstraße 1\n10115 Berlin');
    await page.getByLabel('Country code').fill('de');
    await page.getByRole('button', { name: 'Save billing contact' }).click();
    await page.locator('[aria-invalid="true"]').first().waitFor();
    assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true');
    await shot(page, 'billing-contact-error');
    await page.getByLabel('Email').fill('billing@acme.example');
    await page.getByLabel('VAT ID (optional)').fill('DE123456789');
    await page.getByRole('button', { name: 'Save billing contact' }).click();
    await page.getByText('Billing contact saved.').waitFor();
    await page.getByRole('button', { name: 'Edit billing contact' }).waitFor();
    assert.deepEqual((await ctx.c.store.read((q) => q.billingContacts.get(orgId)))?.addressLines, [
      'Hauptstraße 1',
      '10115 Berlin',
    ]);
    await shot(page, 'billing-contact');

    const number = (await ctx.c.store.read((q) => q.invoices.list(orgId))).at(-1)!.number;
    await page.goto(`${server.url}/console/invoices/${number}`);
    const billTo = page.getByRole('region', { name: 'Bill to' });
    await billTo.getByText('Berta Buchhaltung').waitFor();
    await billTo.getByText('Germany').waitFor();
    await shot(page, 'invoice-bill-to');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download PDF' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `invoice-${number}.pdf`);
    const text = await pdfText(new Uint8Array(readFileSync(await download.path())));
    const invoice = (await ctx.c.store.read((q) => q.invoices.list(orgId))).at(-1)!;
    for (const expected of [
      `Invoice ${number}`,
      'Berta Buchhaltung',
      'Hauptstraße 1',
      'VAT ID: DE123456789',
    ]) {
      assert.ok(text.includes(expected), `"${expected}" in ${text}`);
    }
    assert.ok(
      text.includes(`${(invoice.totalMinor / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} EUR`),
    );
    await page.context().close();
  }, 120_000);

  test('When the owner reads the audit log, then people and events are named in words and can be filtered by person and event', async () => {
    const page = await ownerPage();
    await page.goto(`${server.url}/console/audit`);
    const entries = page.getByRole('table', { name: 'Latest entries' });
    await entries.waitFor();
    await entries.getByText('Tier changed').first().waitFor();
    await entries.getByText('Billing contact changed').first().waitFor();
    // Organisations, invoices and seat pools are named too, never "#12".
    assert.deepEqual(await entries.getByText(/^#\d+$/).allTextContents(), []);
    await shot(page, 'audit');

    await page.getByLabel('Person').fill('uma');
    await page.getByLabel('Event').selectOption({ label: 'Tier changed' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/person=uma/);
    await page.getByRole('table', { name: 'Latest entries' }).waitFor();
    const rows = page.getByRole('table', { name: 'Latest entries' }).locator('tbody tr');
    assert.equal(await rows.count(), 1);
    const row = (await rows.first().textContent()) ?? '';
    assert.match(row, /Tier changed/);
    assert.match(row, /Uma User/);
    assert.match(row, /uma@acme\.example/);
    assert.doesNotMatch(row, /#\d/, 'no numeric ids in place of names');
    assert.match(page.url(), /action=seat\.tier_changed/);
    await shot(page, 'audit-filtered');
    await page.context().close();

    // In German (the browser asks for it), the events are in German too, the filter list as well.
    const german = await ownerPage('de-DE');
    await german.goto(`${server.url}/console/audit`);
    await german.locator('main table tbody tr').first().waitFor();
    await german.locator('main table').getByText('Rechnungskontakt geändert').first().waitFor();
    assert.equal(
      await german.locator('select[name="action"] option', { hasText: 'Platzstufe geändert' }).count(),
      1,
    );
    await shot(german, 'audit-de');
    await german.context().close();
    assert.deepEqual(faults, []);
  }, 120_000);
});
