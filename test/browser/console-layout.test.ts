// The console's layout on a laptop (1280×800) and a phone (390×844), and its copy buttons, in
// headless Chromium against the real server: no page scrolls sideways (a wide table scrolls inside
// itself), every button is on screen (the SSO connections table once cut its buttons off), the
// navigation is reachable, and a token or URL copied with its button is what the clipboard holds.
// Every page is kept as a screenshot under test-results/console/layout/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import type { Browser, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../api/auth.js';
import { OPERATOR } from '../../domain/model.js';
import { browserSkipReason, launchChromium } from '../helpers/browser.js';
import { createExample, listen, setup, type RunningServer, type TestContext } from '../helpers/fixtures.js';

const skip = browserSkipReason();
const SHOTS = fileURLToPath(new URL('../../test-results/console/layout/', import.meta.url));

const VIEWPORTS = [
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

// The page scripts are plain text: tsx would wrap named functions in a helper the page lacks.

/** Whether an element sits inside a container that scrolls (or clips) on its own, sideways. */
const IN_SCROLLER = `(el) => {
  for (let at = el.parentElement; at && at !== document.body; at = at.parentElement) {
    const x = getComputedStyle(at).overflowX;
    if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
  }
  return false;
}`;

/** What sticks out of the viewport sideways, outside any container that scrolls on its own. */
async function overflow(
  page: Page,
): Promise<{ scrollWidth: number; innerWidth: number; culprits: string[] }> {
  return page.evaluate(`(() => {
    const inScroller = ${IN_SCROLLER};
    const culprits = Array.from(document.querySelectorAll('body *'))
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > window.innerWidth + 0.5 && !inScroller(el);
      })
      // The innermost ones are the cause; their containers only follow.
      .filter((el, _i, all) => !all.some((other) => other !== el && el.contains(other)))
      .slice(0, 8)
      .map((el) => el.tagName.toLowerCase() + '.' + el.className + ' "' + (el.textContent || '').slice(0, 40) + '"');
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, culprits };
  })()`);
}

/** Buttons (and button-like links) whose box is cut off: past the viewport or their clipping box. */
async function cutOffButtons(page: Page): Promise<string[]> {
  return page.evaluate(`(() => Array.from(document.querySelectorAll('main button, main a.button'))
    .filter((el) => {
      const r = el.getBoundingClientRect();
      if (r.width === 0) return false; // not shown (closed details, hidden)
      // In a box that scrolls sideways (a wide table on a phone), scrolling brings it into view.
      for (let at = el.parentElement; at && at !== document.body; at = at.parentElement) {
        const x = getComputedStyle(at).overflowX;
        if ((x === 'auto' || x === 'scroll') && at.scrollWidth > at.clientWidth) return false;
        // A box that clips without scrolling must hold it whole.
        if (x !== 'visible' && r.right > at.getBoundingClientRect().right + 0.5) return true;
      }
      return r.left < 0 || r.right > window.innerWidth + 0.5;
    })
    .map((el) => el.getAttribute('aria-label') || el.textContent || ''))()`);
}

(skip ? describe.skip : describe)('The console at 1280 and 390 px wide, and its copy buttons', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let browser: Browser | undefined;
  let orgId: number;
  let ownerId: number;
  let memberId: number;
  let invoiceNumber: string;

  beforeAll(async () => {
    ctx = await setup('2026-03-01T09:00:00Z');
    const { organisation, primaryOwner } = await createExample(ctx, { seats: { standard: 100, premium: 5 } });
    orgId = organisation.id;
    ownerId = primaryOwner.id;
    await ctx.c.seats.acceptInvitation(orgId, ownerId, OPERATOR);
    memberId = (
      await ctx.c.members.admit(
        orgId,
        {
          email: 'maximiliane.mustermann-schmidt@acme.example',
          displayName: 'Maximiliane Mustermann-Schmidt',
          role: 'admin',
        },
        'manual',
        { tier: 'standard' },
        OPERATOR,
      )
    ).id;
    // Connections whose names and URLs are long: the table must still show every button.
    await ctx.c.sso.createConnection(
      orgId,
      {
        protocol: 'oidc',
        name: 'Corporate identity provider (production tenant)',
        issuer: 'https://login.identity-provider.example/tenants/5c1f6a4e-0d2b-4c8e-9a77-2f3b1d9e6c10/v2.0',
        clientId: 'seatkeeper-console-production',
        clientSecret: 'client-secret-for-tests',
      },
      OPERATOR,
    );
    await ctx.c.sso.createConnection(
      orgId,
      {
        protocol: 'oidc',
        name: 'Staging provider',
        issuer: 'https://staging.identity-provider.example',
        clientId: 'seatkeeper',
        clientSecret: 'client-secret-for-tests',
      },
      OPERATOR,
    );
    await ctx.c.scimTokens.create(orgId, 'Okta directory sync', OPERATOR);
    const quote = await ctx.c.billing.quote(orgId, { add: { standard: 5 } }, OPERATOR);
    invoiceNumber = (await ctx.c.billing.confirm(orgId, quote.id, OPERATOR)).number;
    server = await listen(ctx);
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.cleanup();
  }, 180_000);

  async function signedInPage(width: number, height: number, signedIn = true): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width, height }, locale: 'en-GB' });
    context.setDefaultTimeout(10_000);
    if (!signedIn) return context.newPage();
    const { secret } = await ctx.c.sessions.start(orgId, ownerId);
    await context.addCookies([
      { name: SESSION_COOKIE, value: secret, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    return context.newPage();
  }

  const pages = () => [
    // Before signing in (a fresh browser): the public pages.
    { path: '/console/sign-in', ready: 'h1', signedIn: false },
    { path: '/console/accept-invitation', ready: 'h1', signedIn: false },
    { path: '/console/confirm-transfer', ready: 'h1', signedIn: false },
    { path: '/console/members', ready: 'table' },
    { path: '/console/seat-requests', ready: 'h1' },
    { path: `/console/members/${memberId}`, ready: 'h1' },
    { path: '/console/usage', ready: 'table' },
    { path: '/console/billing', ready: 'table' },
    { path: '/console/invoices', ready: 'table' },
    { path: `/console/invoices/${invoiceNumber}`, ready: 'table' },
    { path: '/console/identity', ready: 'table' },
    { path: '/console/audit', ready: 'table' },
    { path: '/console/profile', ready: 'h1' },
  ];

  for (const viewport of VIEWPORTS) {
    test(`When every console page is shown ${viewport.width} px wide (${viewport.name}), then nothing scrolls the page sideways and no button is cut off`, async () => {
      mkdirSync(SHOTS, { recursive: true });
      const anonymous = await signedInPage(viewport.width, viewport.height, false);
      const page = await signedInPage(viewport.width, viewport.height);
      const problems: string[] = [];
      for (const { path, ready, signedIn = true } of pages()) {
        const at = signedIn ? page : anonymous;
        await at.goto(`${server.url}${path}`);
        await at.locator(`main ${ready}`).first().waitFor();
        await at
          .locator('main .loading')
          .first()
          .waitFor({ state: 'detached' })
          .catch(() => undefined);
        // Open every disclosure, so what it holds is measured too.
        await at.evaluate(
          "document.querySelectorAll('main details').forEach((d) => d.setAttribute('open', ''))",
        );
        const name = `${viewport.name}${path.replaceAll('/', '-')}`;
        await at.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
        const o = await overflow(at);
        if (o.scrollWidth > o.innerWidth) {
          problems.push(
            `${path}: page is ${o.scrollWidth} px wide in ${o.innerWidth}: ${o.culprits.join(' | ')}`,
          );
        }
        const cut = await cutOffButtons(at);
        if (cut.length > 0) problems.push(`${path}: buttons cut off: ${cut.join(', ')}`);
      }
      assert.deepEqual(problems, []);

      // The navigation is there and every link in it can be reached on screen.
      const nav = page.getByRole('navigation', { name: 'Console' });
      for (const link of await nav.getByRole('link').all()) {
        const box = (await link.boundingBox())!;
        assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `${await link.textContent()} on screen`);
      }
      await nav.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
      await page.context().close();
      await anonymous.context().close();
    }, 180_000);
  }

  test('When the SSO connections table is shown at 1280 px, then each row’s buttons are inside the table', async () => {
    const page = await signedInPage(1280, 800);
    await page.goto(`${server.url}/console/identity`);
    const table = page.getByRole('table', { name: 'Connections' });
    await table.waitFor();
    const tableBox = (await table.boundingBox())!;
    const buttons = await table.getByRole('button').all();
    assert.ok(buttons.length >= 4);
    for (const button of buttons) {
      const box = (await button.boundingBox())!;
      assert.ok(
        box.x + box.width <= tableBox.x + tableBox.width + 0.5,
        `${await button.getAttribute('aria-label')} ends inside the table`,
      );
    }
    await page.context().close();
  }, 180_000);

  test('When a copy button is pressed, then the clipboard holds the value and the button says Copied', async () => {
    const page = await signedInPage(1280, 800);
    await page.goto(`${server.url}/console/identity`);
    const base = page.getByRole('button', { name: 'Copy SCIM base URL' });
    await base.click();
    await page.getByRole('button', { name: 'Copy SCIM base URL' }).getByText('Copied').waitFor();
    const shown = (await page.getByTestId('scim-base-url').textContent()) ?? '';
    assert.match(shown, /\/scim\/v2/);
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), shown);
    await page.getByText('SCIM base URL copied to the clipboard.').waitFor({ state: 'attached' });

    // The SSO URLs to give the identity provider each have one, named after what they copy.
    const redirect = page.getByRole('button', { name: 'Copy Redirect URI of Staging provider' });
    await redirect.click();
    assert.match(await page.evaluate<string>('navigator.clipboard.readText()'), /^http:\/\/.+\/sso\//);

    // A new secret, shown once, is copied whole.
    await page.getByLabel('SCIM token name').fill('Entra ID');
    await page.getByRole('button', { name: 'Create SCIM token' }).click();
    const secret = (await page.getByTestId('new-secret').textContent()) ?? '';
    assert.ok(secret.length > 20);
    await page.getByRole('button', { name: 'Copy SCIM token' }).click();
    await page.getByRole('button', { name: 'Copy SCIM token' }).getByText('Copied').waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), secret);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'copy-scim-token.png'), fullPage: true });
    await page.context().close();
  }, 180_000);
});
