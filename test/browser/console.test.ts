// The web console in a real browser: headless Debian Chromium, driven by playwright-core, against the
// real server on 127.0.0.1 with the clock at 1 March 2026 (the product's example), mail delivered
// to a real SMTP server and webhooks posted to a real receiver. Members are signed in by a session
// started for them (the cookie put into a fresh browser context), or through the link mailed to
// them. Every page visited is kept as a screenshot under test-results/console/. Last, `npm run demo`
// is walked through as a newcomer would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { perTest } from '../helpers/per-test.js';
import assert from '../helpers/assert.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../api/auth.js';
import { OPERATOR } from '../../domain/model.js';
import { CONSOLE_CSP } from '../../console/server.js';
import { browserSkipReason, launchChromium } from '../helpers/browser.js';
import {
  createExample,
  heldMatchesMembers,
  listen,
  setup,
  tempDir,
  type RunningServer,
  type TestContext,
} from '../helpers/fixtures.js';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp.js';
import { startWebhookReceiver, verifyDelivery } from '../helpers/webhook-receiver.js';
import { inspect } from '../helpers/inspect.js';

const skip = browserSkipReason();
const SHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

(skip ? describe.skip : describe)('The web console in a browser', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let smtp: TestSmtpServer;
  let browser: Browser | undefined;
  let orgId: number;
  const ids = { owner: 0, admin: 0, user: 0, dana: 0 };
  /** What went wrong inside pages: script errors, CSP violations, requests to other origins. */
  const pageFaults: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    // The receiver is plain http on 127.0.0.1; the worker runs when a test says (runOnce).
    ctx = await setup('2026-03-01T09:00:00Z', {
      mail: { smtpUrl: smtp.url },
      webhooks: { allowHttp: true, pollIntervalSeconds: 0 },
    });
    const { organisation, primaryOwner } = await createExample(ctx, { seats: { standard: 100, premium: 5 } });
    orgId = organisation.id;
    await ctx.c.seats.acceptInvitation(orgId, primaryOwner.id, OPERATOR);
    ids.owner = primaryOwner.id;
    const admit = async (email: string, displayName: string, role: 'admin' | 'user') =>
      (
        await ctx.c.members.admit(
          orgId,
          { email, displayName, role },
          'manual',
          { tier: 'standard' },
          OPERATOR,
        )
      ).id;
    ids.admin = await admit('admin@acme.example', 'Ada Admin', 'admin');
    ids.user = await admit('user@acme.example', 'Uma User', 'user');
    ids.dana = await admit('dana@acme.example', 'Dana Developer', 'user');
    server = await listen(ctx);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
    await ctx?.cleanup();
  }, 120_000);

  /** A fresh browser context (a person on their own machine), signed in as `memberId` if given. */
  async function personAt(
    memberId: number | null,
    organisationId = orgId,
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser!.newContext({ viewport: { width: 1200, height: 800 }, locale: 'en-GB' });
    context.setDefaultTimeout(10_000);
    if (memberId !== null) {
      const { secret } = await ctx.c.sessions.start(organisationId, memberId);
      await context.addCookies([
        { name: SESSION_COOKIE, value: secret, url: server.url, httpOnly: true, sameSite: 'Lax' },
      ]);
    }
    const page = await context.newPage();
    const origin = new URL(server.url).origin;
    page.on('pageerror', (error) => pageFaults.push(`script error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of (401|403|400|409)/.test(message.text())) {
        pageFaults.push(`console: ${message.text()}`);
      }
    });
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol !== 'data:' && url.origin !== origin)
        pageFaults.push(`request elsewhere: ${request.url()}`);
    });
    return { context, page };
  }

  /**
   * The server's clock is fixed at 1 March 2026, the browser's is the machine's: a session cookie
   * whose Expires the server computed from its own clock (now + 12 hours) is already past for the
   * browser, which drops it. Until the server states the cookie's lifetime as Max-Age (relative, and
   * preferred over Expires: RFC 6265 §5.3 step 3), this restates such an Expires as the Max-Age it
   * means on the server's clock. With Max-Age sent, it changes nothing.
   */
  async function onServerClock(context: BrowserContext): Promise<void> {
    const origin = new URL(server.url).origin;
    await context.route(
      (url) => url.origin === origin && url.pathname.startsWith('/api/'),
      async (route) => {
        const response = await route.fetch();
        const cookies = response
          .headersArray()
          .filter((h) => h.name.toLowerCase() === 'set-cookie')
          .map((h) => h.value);
        if (cookies.length === 0 || cookies.every((c) => /;\s*max-age=/i.test(c))) {
          await route.fulfill({ response });
          return;
        }
        const restated = cookies.map((c) =>
          c.replace(/;\s*expires=([^;]+)/i, (_all, when: string) => {
            const seconds = Math.round((Date.parse(when) - ctx.clock.now().toMillis()) / 1000);
            return `; Max-Age=${Math.max(seconds, 0)}`;
          }),
        );
        await route.fulfill({
          response,
          headers: { ...response.headers(), 'set-cookie': restated.join('\n') },
        });
      },
    );
  }

  async function heading(page: Page): Promise<string> {
    return (await page.getByRole('heading', { level: 1 }).textContent()) ?? '';
  }

  test('When a console page is served, then it carries a strict Content-Security-Policy and loads only from the server', async () => {
    const res = await fetch(`${server.url}/console/members`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /default-src 'self'/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from elsewhere');
    const script = await fetch(`${server.url}/console/assets/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${server.url}/console/no-such-page`)).status, 404);
  }, 120_000);

  test('When the owner adds 5 standard seats and upgrades 10 to premium, then the review shows 2,500.00 and 10,000.00, and Upgrade issues the invoice', async () => {
    const { context, page } = await personAt(ids.owner);
    await page.goto(`${server.url}/console/billing`);
    assert.equal(await heading(page), 'Billing');
    await page.getByRole('table', { name: 'Seats bought per tier this term' }).waitFor();
    await shot(page, 'billing');

    await page.getByRole('button', { name: 'Add seats' }).click();
    await page.getByLabel('Add Standard seats').fill('5');
    await page.getByLabel('Upgrade Standard seats to Premium').fill('10');
    await shot(page, 'billing-edit');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('heading', { name: 'Review your purchase' }).waitFor();
    const review = page.getByRole('table', { name: 'The invoice this purchase issues' });
    const amounts = await review.getByTestId('line-amount').allTextContents();
    assert.equal(amounts.length, 2);
    assert.ok(
      amounts.some((a) => a.includes('2,500.00')),
      `a line of 2,500.00 in ${amounts.join(' | ')}`,
    );
    assert.ok(
      amounts.some((a) => a.includes('10,000.00')),
      `a line of 10,000.00 in ${amounts.join(' | ')}`,
    );
    assert.match((await review.getByTestId('total').textContent()) ?? '', /€12,500\.00/);
    await shot(page, 'billing-review');
    // Reviewing bought nothing.
    assert.equal((await ctx.c.store.read((q) => q.invoices.list(orgId))).length, 1);

    // The confirm button says what it buys and for how much, the amount from the quote.
    await page.getByRole('button', { name: 'Buy 5 seats and upgrade 10 seats for €12,500.00' }).click();
    const issued = page.getByRole('heading', { name: /^Invoice ACME-\d+ issued$/ });
    await issued.waitFor();
    const number = /ACME-\d+/.exec((await issued.textContent()) ?? '')![0];
    await shot(page, 'billing-issued');
    const invoice = (await ctx.c.store.read((q) => q.invoices.list(orgId))).find((i) => i.number === number)!;
    assert.deepEqual(
      invoice.lines.map((l) => l.amountMinor).sort((a, b) => a - b),
      [250_000, 1_000_000],
    );
    const seats = Object.fromEntries((await ctx.c.seats.usage(orgId)).map((t) => [t.tierId, t.allocation]));
    assert.deepEqual(seats, { standard: 95, premium: 15 });

    await page.getByRole('link', { name: `View invoice ${number}` }).click();
    assert.equal(await heading(page), `Invoice ${number}`);
    await page.getByTestId('total').waitFor();
    assert.match((await page.getByTestId('total').textContent()) ?? '', /12,500\.00/);
    await shot(page, 'invoice');
    await page.getByRole('link', { name: 'Invoices', exact: true }).first().click();
    await page.getByRole('table', { name: 'Invoices, newest first' }).waitFor();
    await shot(page, 'invoices');
    await context.close();
  }, 120_000);

  test('When an admin adds a member, then the invitation mail arrives and the invitee accepts it in their own browser and lands signed in', async () => {
    const { context, page } = await personAt(ids.admin);
    await page.goto(`${server.url}/console/members`);
    assert.equal(await heading(page), 'Members');
    await shot(page, 'members');
    await page.getByRole('button', { name: 'Add member' }).click();
    const form = page.getByRole('form', { name: 'Add member' });
    await form.getByLabel('Email').fill('newbie@acme.example');
    await form.getByLabel('Name (optional)').fill('Nia Newbie');
    await form.getByLabel('Role').selectOption('user');
    await form.getByLabel('Seat tier').selectOption('standard');
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText('Invitation sent to newbie@acme.example').waitFor();
    await page.getByRole('button', { name: 'Revoke invitation to newbie@acme.example' }).waitFor();
    await shot(page, 'members-invited');
    await context.close();

    const before = smtp.messages.length;
    await ctx.c.mail.runOnce();
    const mails = await smtp.waitFor(before + 1);
    const mail = mails.find((m) => m.envelopeTo.includes('newbie@acme.example'));
    assert.ok(mail, 'the invitation was mailed');
    const link = mail.links.find((l) => l.includes('/console/accept-invitation#token='));
    assert.ok(link, `an accept link in: ${mail.text}`);
    assert.ok(link.startsWith(`${server.url}/console/accept-invitation#`), 'the link points at this server');

    const invitee = await personAt(null);
    await onServerClock(invitee.context);
    const answers: string[] = [];
    invitee.page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/'))
        answers.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
    });
    await invitee.page.goto(link);
    assert.equal(await heading(invitee.page), 'Accept your invitation');
    assert.equal(new URL(invitee.page.url()).hash.includes('token='), true);
    await shot(invitee.page, 'accept-invitation');
    await invitee.page.getByRole('button', { name: 'Accept invitation' }).click();
    await invitee.page.waitForURL(`${server.url}/console/profile`).catch((error: Error) => {
      throw new Error(`${error.message}\nAPI answers:\n${answers.join('\n')}`);
    });
    await invitee.page.getByTestId('profile-email').waitFor();
    assert.equal(
      await invitee.page.getByTestId('profile-email').textContent(),
      'newbie@acme.example',
      answers.join('\n'),
    );
    assert.equal(new URL(invitee.page.url()).hash, '', 'the secret left the address bar');
    await shot(invitee.page, 'accepted-profile');
    const [member] = await ctx.c.store.read((q) => q.members.withEmail(orgId, 'newbie@acme.example'));
    assert.equal(member?.seatState, 'seated');
    assert.equal(member?.tierId, 'standard');
    assert.ok(await heldMatchesMembers(ctx, orgId));
    await invitee.context.close();
  }, 120_000);

  test('When an admin changes a member’s tier, then the member holds a seat of the new tier; unassigning it asks first', async () => {
    const { context, page } = await personAt(ids.admin);
    await page.goto(`${server.url}/console/members`);
    await page.getByLabel('Search').fill('dana');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/\?q=dana/);
    await page.getByTestId('member-count').filter({ hasText: '1 member matches.' }).waitFor();
    await shot(page, 'members-search');
    await page.getByRole('link', { name: 'Dana Developer' }).click();
    assert.equal(await heading(page), 'Dana Developer');
    assert.equal(await page.getByTestId('member-tier').textContent(), 'standard');
    await page.getByLabel('Seat tier').selectOption('premium');
    await page.getByRole('button', { name: 'Change tier' }).click();
    await page.getByTestId('member-tier').filter({ hasText: 'premium' }).waitFor();
    await shot(page, 'member-tier-changed');
    const dana = (await inspect(ctx.c.store).member(orgId, ids.dana))!;
    assert.equal(dana.tierId, 'premium');
    assert.equal(dana.seatState, 'seated');
    assert.ok(await heldMatchesMembers(ctx, orgId));

    // Unassigning asks first, in a dialog; cancelling changes nothing.
    await page.getByRole('button', { name: 'Unassign seat' }).click();
    const dialog = page.getByRole('dialog', { name: 'Unassign dana@acme.example’s seat?' });
    await dialog.waitFor();
    await shot(page, 'member-unassign-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await inspect(ctx.c.store).member(orgId, ids.dana))!.seatState, 'seated');
    await page.getByRole('button', { name: 'Unassign seat' }).click();
    await dialog.getByRole('button', { name: 'Unassign seat' }).click();
    await page.getByTestId('member-seat').filter({ hasText: 'unassigned' }).waitFor();
    assert.equal((await inspect(ctx.c.store).member(orgId, ids.dana))!.seatState, 'unassigned');
    assert.ok(await heldMatchesMembers(ctx, orgId));
    await context.close();
  }, 120_000);

  test('When a user-role member opens the console, then they see their profile only, and the billing page says they are not allowed', async () => {
    const { context, page } = await personAt(ids.user);
    await page.goto(`${server.url}/console`);
    await page.waitForURL(`${server.url}/console/profile`);
    await page.getByTestId('profile-email').waitFor();
    assert.equal(await page.getByTestId('profile-email').textContent(), 'user@acme.example');
    const nav = await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();
    assert.deepEqual(nav, ['My profile']);
    await shot(page, 'user-profile');

    const billing = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/billing');
    await page.goto(`${server.url}/console/billing`);
    assert.equal((await billing).status(), 403);
    await page.getByRole('heading', { name: 'You are not allowed to see this page' }).waitFor();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /owner/i);
    await shot(page, 'user-billing-refused');
    await context.close();
  }, 120_000);

  test('When the server refuses an invitation for an address off the verified domains, then its detail is shown at the Email field', async () => {
    const { context, page } = await personAt(ids.admin);
    await page.goto(`${server.url}/console/members`);
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByLabel('Email').fill('someone@elsewhere.example');
    const answer = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/api/v1/invitations' && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Send invitation' }).click();
    assert.equal((await answer).status(), 400);
    const email = page.getByLabel('Email');
    await page.locator('[aria-invalid="true"]').first().waitFor();
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    const errorId = ((await email.getAttribute('aria-describedby')) ?? '')
      .split(' ')
      .find((id) => id.endsWith('-error'))!;
    const message = (await page.locator(`#${errorId}`).textContent()) ?? '';
    assert.match(message, /not on a verified domain/);
    assert.equal(await page.locator(`#${errorId}`).isVisible(), true);
    await shot(page, 'members-invite-error');
    assert.equal(
      (await ctx.c.store.read((q) => q.members.withEmail(orgId, 'someone@elsewhere.example'))).length,
      0,
    );
    await context.close();
  }, 120_000);

  test('When an upgrade needs more seats than are unclaimed, then the refusal is shown at the members field, and naming a member prices it', async () => {
    const { context, page } = await personAt(ids.owner);
    const standard = (await ctx.c.seats.usage(orgId)).find((t) => t.tierId === 'standard')!;
    const unclaimed = standard.allocation - standard.held;
    await page.goto(`${server.url}/console/billing`);
    await page.getByRole('button', { name: 'Upgrade seats' }).click();
    await page.getByLabel('Upgrade Standard seats to Premium').fill(String(unclaimed + 1));
    await page.getByRole('button', { name: 'Review' }).click();
    const moving = page.getByLabel('Members moving from Standard to Premium (optional)');
    await page.locator('[aria-invalid="true"]').first().waitFor();
    assert.equal(await moving.getAttribute('aria-invalid'), 'true');
    const errorId = ((await moving.getAttribute('aria-describedby')) ?? '')
      .split(' ')
      .find((id) => id.endsWith('-error'))!;
    assert.match((await page.locator(`#${errorId}`).textContent()) ?? '', /name 1 more standard member/);
    await shot(page, 'billing-upgrade-needs-members');

    await moving.fill('user@acme.example');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('heading', { name: 'Review your purchase' }).waitFor();
    const review = page.getByRole('table', { name: 'The invoice this purchase issues' });
    assert.equal(await review.getByTestId('line-amount').count(), 1);
    await page.getByRole('button', { name: 'Change' }).click();
    assert.equal(
      await page.getByLabel('Members moving from Standard to Premium (optional)').inputValue(),
      'user@acme.example',
    );
    await context.close();
  }, 120_000);

  test('When a tier change finds no free seat, then the owner sees why at the tier and is offered the purchase, filled in on the billing page', async () => {
    // Another organisation, with no premium seat bought.
    const beta = await createExample(ctx, { slug: 'beta', seats: { standard: 10, premium: 0 } });
    await ctx.c.seats.acceptInvitation(beta.organisation.id, beta.primaryOwner.id, OPERATOR);
    const bob = await ctx.c.members.admit(
      beta.organisation.id,
      { email: 'bob@beta.example', displayName: 'Bob Builder', role: 'user' },
      'manual',
      { tier: 'standard' },
      OPERATOR,
    );
    const { context, page } = await personAt(beta.primaryOwner.id, beta.organisation.id);
    await page.goto(`${server.url}/console/members/${bob.id}`);
    assert.equal(await heading(page), 'Bob Builder');
    await page.getByLabel('Seat tier').selectOption('premium');
    await page.getByRole('button', { name: 'Change tier' }).click();
    const tier = page.getByLabel('Seat tier');
    await page.locator('[aria-invalid="true"]').first().waitFor();
    assert.equal(await tier.getAttribute('aria-invalid'), 'true');
    await page.getByRole('link', { name: 'Review upgrading their seat instead' }).waitFor();
    await shot(page, 'member-tier-no-seat');

    await page.getByRole('link', { name: 'Review buying the seat' }).click();
    assert.equal(await heading(page), 'Billing');
    assert.equal(await page.getByLabel('Add Premium seats').inputValue(), '1');
    await page.getByRole('button', { name: 'Review' }).click();
    const review = page.getByRole('table', { name: 'The invoice this purchase issues' });
    await review.waitFor();
    assert.equal(await review.getByTestId('line-amount').count(), 1);
    await shot(page, 'billing-prefilled-review');
    await context.close();
  }, 120_000);

  test('When the primary owner hands over primary ownership, then the member confirms it from the mailed link', async () => {
    const gamma = await createExample(ctx, { slug: 'gamma', seats: { standard: 10, premium: 0 } });
    const gammaId = gamma.organisation.id;
    await ctx.c.seats.acceptInvitation(gammaId, gamma.primaryOwner.id, OPERATOR);
    const cleo = await ctx.c.members.admit(
      gammaId,
      { email: 'cleo@gamma.example', displayName: 'Cleo Colleague', role: 'owner' },
      'manual',
      { tier: 'standard' },
      OPERATOR,
    );
    const { context, page } = await personAt(gamma.primaryOwner.id, gammaId);
    await page.goto(`${server.url}/console/members/${cleo.id}`);
    await page.getByRole('button', { name: 'Transfer primary ownership' }).click();
    await page
      .getByRole('dialog', { name: 'Transfer primary ownership to cleo@gamma.example?' })
      .getByRole('button', { name: 'Send confirmation link' })
      .click();
    await page.getByText('A confirmation link was mailed to cleo@gamma.example').waitFor();
    await context.close();

    const before = smtp.messages.length;
    await ctx.c.mail.runOnce();
    const mail = (await smtp.waitFor(before + 1)).find((m) => m.envelopeTo.includes('cleo@gamma.example'));
    const link = mail?.links.find((l) => l.includes('/console/confirm-transfer#token='));
    assert.ok(link, 'a confirmation link was mailed');
    const target = await personAt(null);
    await target.page.goto(link);
    assert.equal(await heading(target.page), 'Confirm the ownership transfer');
    await shot(target.page, 'confirm-transfer');
    await target.page.getByRole('button', { name: 'Confirm transfer' }).click();
    await target.page.getByRole('heading', { name: 'You are now the primary owner' }).waitFor();
    assert.equal(new URL(target.page.url()).hash, '', 'the secret left the address bar');
    await shot(target.page, 'confirmed-transfer');
    assert.equal((await inspect(ctx.c.store).member(gammaId, cleo.id))!.role, 'primary_owner');
    assert.equal((await inspect(ctx.c.store).member(gammaId, gamma.primaryOwner.id))!.role, 'owner');
    await target.context.close();
  }, 120_000);

  test('When a member asks for a sign-in link on the sign-in page, then the mailed link signs them in', async () => {
    const { context, page } = await personAt(null);
    await page.goto(`${server.url}/console/members`);
    await page.waitForURL(/\/console\/sign-in\?next=/);
    assert.equal(await heading(page), 'Sign in');
    await page.getByLabel('Organisation', { exact: true }).fill('acme');
    assert.equal(
      await page.getByRole('link', { name: 'Sign in with SSO' }).getAttribute('href'),
      '/sso/start?org=acme&return_to=%2Fconsole%2Fmembers',
      'single sign-on comes back to the page asked for',
    );
    await page.getByLabel('Email').fill('admin@acme.example');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByText('a sign-in link is on its way').waitFor();
    await shot(page, 'sign-in');
    await context.close();

    const before = smtp.messages.length;
    await ctx.c.mail.runOnce();
    const mail = (await smtp.waitFor(before + 1)).find((m) => m.envelopeTo.includes('admin@acme.example'));
    const link = mail?.links.find((l) => l.includes('/console/sign-in#token='));
    assert.ok(link, 'a sign-in link was mailed');

    const person = await personAt(null);
    await onServerClock(person.context);
    await person.page.goto(link);
    await person.page.waitForURL(`${server.url}/console/members`);
    assert.equal(await heading(person.page), 'Members');
    assert.equal(new URL(person.page.url()).hash, '', 'the secret left the address bar');
    await person.context.close();
  }, 120_000);

  test('When the owner opens each page of the navigation, then each shows its content', async () => {
    const { context, page } = await personAt(ids.owner);
    await page.goto(`${server.url}/console`);
    await page.waitForURL(`${server.url}/console/members`);
    const links = await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();
    assert.deepEqual(links, [
      'Members',
      'Seat requests',
      'Seat usage',
      'Billing',
      'Invoices',
      'Identity and access',
      'Audit log',
      'My profile',
    ]);
    const expect: Record<string, string> = {
      'Seat usage': 'Seats per tier',
      'Identity and access': 'API tokens',
      'Audit log': 'Latest entries',
      'My profile': 'Organisation',
    };
    for (const [name, content] of Object.entries(expect)) {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name }).click();
      assert.equal(await heading(page), name);
      await page.getByText(content, { exact: true }).first().waitFor();
      assert.equal(await page.locator('.page-problem').count(), 0, `no problem on ${name}`);
      assert.equal(
        await page
          .getByRole('navigation', { name: 'Console' })
          .getByRole('link', { name })
          .getAttribute('aria-current'),
        'page',
      );
      await shot(page, name.toLowerCase().replace(/\W+/g, '-'));
    }

    // An API token, shown once.
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Identity and access' })
      .click();
    await page.getByLabel('API token name').fill('Reporting');
    await page.getByLabel('API token role').selectOption('user');
    await page.getByRole('button', { name: 'Create API token' }).click();
    const secret = (await page.getByRole('status', { name: 'New API token' }).textContent()) ?? '';
    assert.match(secret, /^skapi_/);
    await shot(page, 'identity-api-token');
    const me = await fetch(`${server.url}/api/v1/session`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    assert.equal(me.status, 200, 'the token shown works');

    // The audit log's CSV link downloads the selection with the session the browser holds.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
    const csvHref = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    const csv = await context.request.get(new URL(csvHref!, server.url).href);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'] ?? '', /^text\/csv/);
    assert.match(await csv.text(), /api_token\.created|invoice\.issued/);

    // Group mappings: a change is saved at once, or after the confirmation the server asks for.
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Identity and access' })
      .click();
    await page.getByRole('button', { name: 'Add mapping' }).click();
    await page.getByLabel('Group name of mapping 1').fill('Engineering');
    await page.getByLabel('Role of mapping 1').selectOption('user');
    await page.getByLabel('Tier of mapping 1').selectOption('standard');
    await page.getByRole('button', { name: 'Save group mappings' }).click();
    const confirm = page.getByRole('button', { name: 'Confirm change' });
    const saved = page.getByText('Group mappings saved.');
    await Promise.race([confirm.waitFor(), saved.waitFor()]);
    if (await confirm.isVisible()) {
      await shot(page, 'identity-group-mappings-confirm');
      await confirm.click();
    }
    await saved.waitFor();
    await shot(page, 'identity-group-mappings-saved');
    const mappings = await ctx.c.store.read((q) => q.groupMappings.list(orgId));
    assert.deepEqual(
      mappings.map((m) => [m.groupName, m.role, m.tierId]),
      [['engineering', 'user', 'standard']],
    );
    await context.close();
  }, 120_000);

  test('When an owner requires single sign-on on the identity page, then it needs a connection, is shown, and can be turned off', async () => {
    // An organisation of its own: the others' members keep their mailed links.
    const epsilon = await createExample(ctx, { slug: 'epsilon', seats: { standard: 10, premium: 0 } });
    const epsilonId = epsilon.organisation.id;
    await ctx.c.seats.acceptInvitation(epsilonId, epsilon.primaryOwner.id, OPERATOR);
    const { context, page } = await personAt(epsilon.primaryOwner.id, epsilonId);
    await page.goto(`${server.url}/console/identity`);
    const setting = page.getByTestId('require-sso');
    await setting.getByText('Not required').waitFor();
    await page.getByRole('button', { name: 'Require single sign-on' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Require single sign-on' }).click();
    await page.getByText('has no enabled sign-in connection').waitFor();
    assert.equal((await ctx.c.store.read((q) => q.organisations.byId(epsilonId)))!.requireSso, false);

    await ctx.c.sso.createConnection(
      epsilonId,
      {
        protocol: 'oidc',
        name: 'Epsilon IdP',
        issuer: 'https://idp.epsilon.example',
        clientId: 'seatkeeper',
        clientSecret: 'client-secret-for-tests',
      },
      OPERATOR,
    );
    await page.reload();
    await page.getByRole('button', { name: 'Require single sign-on' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Require single sign-on' }).click();
    await page.getByText('Single sign-on is now required.').waitFor();
    await setting.getByText('Required', { exact: true }).waitFor();
    await shot(page, 'identity-require-sso');
    assert.equal((await ctx.c.store.read((q) => q.organisations.byId(epsilonId)))!.requireSso, true);

    await page.getByRole('button', { name: 'Stop requiring single sign-on' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop requiring' }).click();
    await page.getByText('Single sign-on is no longer required.').waitFor();
    assert.equal((await ctx.c.store.read((q) => q.organisations.byId(epsilonId)))!.requireSso, false);
    await context.close();
  }, 120_000);

  test('When the owner adds a webhook endpoint, then a member change reaches the receiver, the delivery log shows it delivered, and Redeliver sends the same event again', async () => {
    const t = perTest();
    const receiver = await startWebhookReceiver();
    t.after(() => receiver.close());
    // An organisation of its own, so other tests' changes queue nothing for this endpoint.
    const delta = await createExample(ctx, { slug: 'delta', seats: { standard: 10, premium: 0 } });
    const deltaId = delta.organisation.id;
    await ctx.c.seats.acceptInvitation(deltaId, delta.primaryOwner.id, OPERATOR);
    const { context, page } = await personAt(delta.primaryOwner.id, deltaId);
    await page.goto(`${server.url}/console/identity`);
    const section = page.getByRole('region', { name: 'Webhooks', exact: true });
    await section
      .getByRole('table', { name: 'Webhook endpoints' })
      .getByText('No webhook endpoints.')
      .waitFor();

    // No event type chosen: the server's refusal is shown at the event types.
    await section.getByLabel('Endpoint URL').fill(receiver.url);
    await section.getByLabel('Description (optional)').fill('HR system');
    await section.getByRole('button', { name: 'Add endpoint' }).click();
    const events = section.getByRole('group', { name: 'Events to send' });
    await events.and(page.locator('[aria-invalid="true"]')).waitFor();
    assert.notEqual((await events.locator('.field-error').textContent()) ?? '', '');
    assert.equal(await events.locator('.field-error').isVisible(), true);
    await shot(page, 'identity-webhooks-events-error');

    await events.getByLabel('member.created', { exact: true }).check();
    await section.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await section.getByRole('status', { name: 'New signing secret' }).textContent()) ?? '';
    assert.match(secret, /^whsec_/);
    const row = section.getByRole('table', { name: 'Webhook endpoints' }).getByRole('row').filter({
      hasText: receiver.url,
    });
    assert.match((await row.textContent()) ?? '', /HR system.*member\.created.*Enabled/);
    await shot(page, 'identity-webhooks');
    await page.reload();
    await row.waitFor();
    assert.equal(await page.getByTestId('new-secret').count(), 0, 'the secret is shown only once');

    await ctx.c.members.admit(
      deltaId,
      { email: 'erin@delta.example', displayName: 'Erin Example', role: 'user' },
      'manual',
      { tier: 'standard' },
      OPERATOR,
    );
    assert.equal((await ctx.c.webhookWorker.runOnce()).delivered, 1);
    assert.equal(receiver.received.length, 1);
    const first = receiver.received[0]!;
    const eventId = String(first.headers['webhook-id']);
    assert.equal(first.headers['seatkeeper-event-type'], 'member.created');
    assert.equal(
      (JSON.parse(first.body) as { data: { member: { email: string } } }).data.member.email,
      'erin@delta.example',
    );
    assert.ok(
      verifyDelivery(secret, first, Math.floor(ctx.clock.now().toSeconds())),
      'signed with the secret shown',
    );

    await section.getByRole('button', { name: `Delivery log of ${receiver.url}` }).click();
    const log = page.getByRole('region', { name: 'Webhook delivery log' });
    const deliveries = log.getByRole('table', { name: 'Latest deliveries' }).getByRole('row').filter({
      hasText: eventId,
    });
    await deliveries.first().waitFor();
    assert.equal(await deliveries.count(), 1);
    assert.match((await deliveries.textContent()) ?? '', /member\.created.*Delivered.*HTTP 200/);
    await shot(page, 'identity-webhook-deliveries');

    await deliveries.getByRole('button', { name: /^Redeliver/ }).click();
    await page.getByText(`member.created ${eventId} is queued again`).waitFor();
    await deliveries.filter({ hasText: 'Pending' }).waitFor();
    assert.equal(await deliveries.count(), 2);
    assert.equal((await ctx.c.webhookWorker.runOnce()).delivered, 1);
    assert.equal(receiver.received.length, 2);
    const again = receiver.received[1]!;
    assert.equal(again.headers['webhook-id'], eventId, 'the same event');
    assert.notEqual(again.headers['seatkeeper-delivery-id'], first.headers['seatkeeper-delivery-id']);
    assert.equal(again.body, first.body);

    await log.getByRole('button', { name: 'Refresh' }).click();
    await deliveries.filter({ hasText: 'Pending' }).waitFor({ state: 'detached' });
    assert.equal(await deliveries.filter({ hasText: 'Delivered' }).count(), 2);
    await shot(page, 'identity-webhook-redelivered');
    await context.close();
  }, 120_000);

  test('When the pages were used, then none had a script error, a policy violation or a request elsewhere', () => {
    assert.deepEqual(pageFaults, []);
  }, 120_000);
});

(skip ? describe.skip : describe)('npm run demo, as a newcomer tries it', () => {
  let demo: ChildProcess | undefined;
  let browser: Browser | undefined;
  let dir: string;
  let printed = '';

  beforeAll(async () => {
    dir = tempDir('seatkeeper-demo-');
    demo = spawn(process.execPath, ['--import', 'tsx', 'demo/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', DEMO_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${printed}`)), 30_000);
      const read = (chunk: Buffer) => {
        printed += chunk.toString('utf8');
        if (printed.includes('Stop with Ctrl+C.')) {
          clearTimeout(timer);
          resolve();
        }
      };
      demo!.stdout!.on('data', read);
      demo!.stderr!.on('data', read);
      demo!.once('exit', (code) => reject(new Error(`the demo exited with ${code}:\n${printed}`)));
    });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    if (demo && demo.exitCode === null) {
      const exited = new Promise((resolve) => demo!.once('exit', resolve));
      demo.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  /**
   * Signs in on the demo identity provider's form, from wherever the page was sent there, and waits
   * to land on `landing` (the signed-in page unless the sign-in was started for another).
   */
  async function providerLogin(page: Page, login: string, landing = /\/sso\/me$/): Promise<void> {
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('demo');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(landing);
  }

  test('When the employee signs in and then the owner opens the console, then the owner sees the employee, buys a seat and invites someone by mail', async () => {
    try {
      await walkThrough();
    } catch (error) {
      // What the demo printed is where the reason is, if the demo itself failed.
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\n--- the demo printed:\n${printed}`,
        {
          cause: error,
        },
      );
    }
  }, 90_000);

  async function walkThrough(): Promise<void> {
    const start = /(http:\/\/127\.0\.0\.1:\d+)\/sso\/start\?org=demo/.exec(printed);
    assert.ok(start, `the sign-in URL is printed:\n${printed}`);
    const base = start[1]!;
    assert.match(printed, new RegExp(`${base}/console/sign-in\\?org=demo`));

    const employee = await browser!.newContext({ viewport: { width: 1200, height: 800 }, locale: 'en-GB' });
    employee.setDefaultTimeout(15_000);
    const page = await employee.newPage();
    await page.goto(start[0]);
    await shot(page, 'demo-provider-login');
    await providerLogin(page, 'erin');
    assert.match((await page.locator('main').textContent()) ?? '', /erin@demo\.example/);
    await shot(page, 'demo-employee-signed-in');
    await employee.close();

    const owner = await browser!.newContext({ viewport: { width: 1200, height: 800 }, locale: 'en-GB' });
    owner.setDefaultTimeout(15_000);
    const ownerPage = await owner.newPage();
    await ownerPage.goto(`${base}/console/sign-in?org=demo`);
    assert.equal(await ownerPage.getByLabel('Organisation', { exact: true }).inputValue(), 'demo');
    await ownerPage.getByRole('link', { name: 'Sign in with SSO' }).click();
    // The console's sign-in comes back to the console, which opens on Members for an owner.
    await providerLogin(ownerPage, 'olivia', new RegExp(`^${base}/console/members$`));
    const row = ownerPage.getByRole('row').filter({ hasText: 'erin@demo.example' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /SSO sign-in \(JIT\)/);
    await shot(ownerPage, 'demo-owner-members');

    await ownerPage
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Billing' })
      .click();
    await ownerPage.getByRole('button', { name: 'Add seats' }).click();
    await ownerPage.getByLabel('Add Standard seats').fill('1');
    await ownerPage.getByRole('button', { name: 'Review' }).click();
    await ownerPage.getByRole('heading', { name: 'Review your purchase' }).waitFor();
    await ownerPage.getByRole('button', { name: /^Buy 1 seat for / }).click();
    await ownerPage.getByRole('heading', { name: /^Invoice DEMO-\d+ issued$/ }).waitFor();
    await shot(ownerPage, 'demo-owner-bought');

    // Without SMTP, mail goes to files under the demo's directory (the worker looks every 2 s).
    await ownerPage
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Members' })
      .click();
    await ownerPage.getByRole('button', { name: 'Add member' }).click();
    const form = ownerPage.getByRole('form', { name: 'Add member' });
    await form.getByLabel('Email').fill('sam@demo.example');
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await ownerPage.getByText('Invitation sent to sam@demo.example').waitFor();
    await owner.close();
    const mailDir = join(dir, 'mail');
    const written = () =>
      existsSync(mailDir) &&
      readdirSync(mailDir).some(
        (f) => f.endsWith('.eml') && /sam@demo\.example/.test(readFileSync(join(mailDir, f), 'utf8')),
      );
    for (let waited = 0; !written() && waited < 10_000; waited += 250) await delay(250);
    assert.ok(written(), `the invitation to sam@demo.example as an .eml file in ${mailDir}`);
  }
});
