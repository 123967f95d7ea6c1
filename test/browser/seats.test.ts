// The console's seat pages in a real browser (headless Debian Chromium through playwright-core,
// against the real server on 127.0.0.1 with a real SQLite file): the seat summary bars on Members
// and Billing, the usage chart and its CSV, members' last activity with the "idle seats" filter,
// and bulk actions with the confirmation that names the count and the effect on seats. Every
// state is kept as a screenshot under test-results/screenshots/.
import assert from '../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../api/auth.js';
import { OPERATOR } from '../../domain/model.js';
import { browserSkipReason, launchChromium, screenshot } from '../helpers/browser.js';
import {
  createExample,
  heldMatchesMembers,
  listen,
  setup,
  type RunningServer,
  type TestContext,
} from '../helpers/fixtures.js';
import { recordAudit } from '../../audit/record.js';
import { inspect } from '../helpers/inspect.js';

const skip = browserSkipReason();

(skip ? describe.skip : describe)('Seats in the console, in a browser', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let browser: Browser | undefined;
  let orgId: number;
  const ids = { owner: 0, admin: 0, idle1: 0, idle2: 0, busy: 0, mover1: 0, mover2: 0 };
  const pageFaults: string[] = [];

  beforeAll(async () => {
    // The term starts 1 January (Europe/Berlin), 10 standard and 3 premium seats.
    ctx = await setup('2026-01-01T09:00:00Z');
    const { organisation, primaryOwner } = await createExample(ctx, { seats: { standard: 10, premium: 3 } });
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
    ctx.clock.set('2026-01-10T09:00:00Z');
    ids.admin = await admit('admin@acme.example', 'Ada Admin', 'admin');
    ids.idle1 = await admit('ivy@acme.example', 'Ivy Idle', 'user');
    ids.idle2 = await admit('ian@acme.example', 'Ian Idle', 'user');
    ctx.clock.set('2026-02-01T09:00:00Z');
    ids.busy = await admit('bea@acme.example', 'Bea Busy', 'user');
    ids.mover1 = await admit('max@acme.example', 'Max Mover', 'user');
    ids.mover2 = await admit('mia@acme.example', 'Mia Mover', 'user');
    await ctx.c.members.invite(
      orgId,
      { email: 'nina@acme.example', role: 'user' },
      { tier: 'standard' },
      OPERATOR,
    );
    // Sign-ins as the log records them: the idle two long ago, everyone else lately.
    const signIn = (memberId: number, at: string) =>
      ctx.c.store.write((q) =>
        recordAudit(q, {
          organisationId: orgId,
          at,
          actor: { type: 'member', memberId },
          action: 'member.signed_in',
          subjectType: 'member',
          subjectId: memberId,
          after: { outcome: 'signed_in' },
        }),
      );
    await signIn(ids.idle1, '2026-01-12T08:00:00.000Z');
    await signIn(ids.idle2, '2026-01-15T08:00:00.000Z');
    for (const id of [ids.owner, ids.admin, ids.busy, ids.mover1, ids.mover2])
      await signIn(id, '2026-02-27T08:00:00.000Z');
    ctx.clock.set('2026-03-01T09:00:00Z');
    server = await listen(ctx);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.cleanup();
  }, 120_000);

  /** A browser of its own, signed in as the member, on the server's clock. */
  async function personAt(memberId: number): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    context.setDefaultTimeout(20_000); // a shared, busy machine
    const { secret } = await ctx.c.sessions.start(orgId, memberId);
    await context.addCookies([
      { name: SESSION_COOKIE, value: secret, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
    await onServerClock(context);
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
   * The server's clock is 1 March 2026 and the browser's the machine's: a cookie the server gives
   * an Expires by its own clock may be past for the browser. This restates such an Expires as the
   * Max-Age it means on the server's clock (as test/browser/console.test.ts does).
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

  test('When the seat pages are opened on a phone (390 px), then nothing makes the page scroll sideways', async () => {
    const { context, page } = await personAt(ids.owner);
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [path, ready] of [
      ['/console/members', 'seat-summary'],
      ['/console/usage', 'usage-history'],
    ] as const) {
      await page.goto(`${server.url}${path}`);
      await page.getByTestId(ready).waitFor();
      if (ready === 'usage-history') await page.locator('svg.usage-chart').first().waitFor();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `${path} is ${width} px wide`);
      await screenshot(page, `seats-phone${path.replaceAll('/', '-')}`);
    }
    await context.close();
  }, 120_000);

  const seatOf = async (id: number) => (await inspect(ctx.c.store).member(orgId, id))!;

  test('When an owner opens Members and Billing, then each tier shows "N of M seats used" with its bar, and the pending invitations and waiting people', async () => {
    const { context, page } = await personAt(ids.owner);
    await page.goto(`${server.url}/console/members`);
    const summary = page.getByTestId('seat-summary');
    await summary.waitFor();
    // Standard: 7 seated (owner, admin, five users) and 1 invitation of 10 bought.
    const standard = summary.locator('[data-tier="standard"]');
    assert.equal(await standard.locator('.seat-used').textContent(), '8 of 10 Standard seats used');
    assert.equal(await standard.getByRole('img', { name: '8 of 10 Standard seats used' }).count(), 1);
    const seatedWidth = Number(await standard.locator('rect.seated').getAttribute('width'));
    const invitedWidth = Number(await standard.locator('rect.invited').getAttribute('width'));
    assert.equal(seatedWidth, 210, '7 of 10 of a 300-wide bar');
    assert.equal(invitedWidth, 30, '1 of 10');
    assert.equal(
      await summary.locator('[data-tier="premium"] .seat-used').textContent(),
      '0 of 3 Premium seats used',
    );
    assert.equal(
      await page.getByTestId('seat-summary-counts').textContent(),
      '1 invitation pending · nobody waits for a seat',
    );
    await screenshot(page, 'seats-members-summary');

    await page.goto(`${server.url}/console/billing`);
    await page.getByTestId('seat-summary').waitFor();
    assert.equal(
      await page.locator('[data-testid="seat-summary"] [data-tier="standard"] .seat-used').textContent(),
      '8 of 10 Standard seats used',
    );
    await screenshot(page, 'seats-billing-summary');
    await context.close();
  }, 120_000);

  test('When an admin opens Seat usage, then a chart per tier is drawn for every day of the term so far, and the CSV downloads', async () => {
    const { context, page } = await personAt(ids.admin);
    await page.goto(`${server.url}/console/usage`);
    const history = page.getByTestId('usage-history');
    const standard = history.locator('figure[data-tier="standard"]');
    await standard.waitFor();
    // 1 January to 1 March: 60 days, one point each per line.
    const chart = standard.locator('svg.usage-chart');
    assert.equal(await chart.getAttribute('data-days'), '60');
    for (const series of ['bought', 'held', 'seated', 'invited']) {
      const points = (await chart.locator(`polyline[data-series="${series}"]`).getAttribute('points')) ?? '';
      assert.equal(points.split(' ').length, 60, series);
    }
    assert.equal(
      await chart.getAttribute('aria-label'),
      'Standard: on Mar 1, 2026, 8 of 10 seats held (7 seated, 1 held by invitations).',
    );
    assert.equal(await history.locator('figure[data-tier="premium"]').count(), 1);
    await screenshot(page, 'seats-usage-chart');

    const link = history.getByRole('link', { name: 'Download CSV' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), 'seat-usage-term-1.csv');
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'date,tier,bought,held,seated,invited,available');
    assert.equal(lines[1], '2026-01-01,premium,3,0,0,0,3');
    assert.equal(lines[2], '2026-01-01,standard,10,1,1,0,9');
    assert.equal(lines.at(-2), '2026-03-01,standard,10,8,7,1,2');
    assert.equal(lines.length, 60 * 2 + 2, 'a header, a row per day per tier, and the final line end');
    await context.close();
  }, 120_000);

  test('When an admin finds the idle seats and unassigns them in bulk, then the confirmation names the count and the seats freed, and only they lose their seats', async () => {
    const { context, page } = await personAt(ids.admin);
    await page.goto(`${server.url}/console/members`);
    await page.getByTestId('idle-seats').click();
    await page.waitForURL(/inactiveDays=30/);
    await page.getByTestId('member-count').waitFor();
    assert.equal(await page.getByTestId('member-count').textContent(), '2 members match.');
    const rows = page.getByRole('table', { name: 'Members' }).locator('tbody tr');
    assert.deepEqual(
      await rows.locator('td:nth-child(3)').allTextContents(),
      ['ivy@acme.example', 'ian@acme.example'],
      'seated, not seen for 30 days, longest idle first',
    );
    await screenshot(page, 'seats-idle-filter');
    // The CSV export beside the list takes the same filters and order.
    const csvHref = (await page.getByTestId('members-csv').getAttribute('href')) ?? '';
    assert.equal(csvHref, '/api/v1/members.csv?seatState=seated&inactiveDays=30&sort=lastActive');
    assert.equal((await page.request.get(`${server.url}${csvHref}`)).status(), 200);

    await page.getByTestId('select-all').check();
    assert.equal(await page.getByTestId('bulk-count').textContent(), '2 members selected');
    const bar = page.getByTestId('bulk-bar');
    await bar.getByLabel('Action').selectOption('unassign');
    await bar.getByRole('button', { name: 'Apply…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Unassign the seats of 2 members?' });
    await dialog.waitFor();
    assert.equal(
      await dialog.locator('.dialog-body').textContent(),
      '2 members will lose their Standard seats; 2 Standard seats become free.',
    );
    await screenshot(page, 'seats-bulk-unassign-confirm');
    await dialog.getByRole('button', { name: 'Unassign 2 seats' }).click();
    await page.getByText('2 members changed.').waitFor();
    await screenshot(page, 'seats-bulk-unassigned');
    assert.equal((await seatOf(ids.idle1)).seatState, 'unassigned');
    assert.equal((await seatOf(ids.idle2)).seatState, 'unassigned');
    assert.equal((await seatOf(ids.busy)).seatState, 'seated');
    assert.ok(await heldMatchesMembers(ctx, orgId));
    await context.close();
  }, 120_000);

  test('When an admin moves two members to premium in bulk, then the confirmation says what they take and free, and each moves in an audited change', async () => {
    const { context, page } = await personAt(ids.admin);
    await page.goto(`${server.url}/console/members?q=mover`);
    await page.getByTestId('member-count').waitFor();
    await page.getByRole('checkbox', { name: 'Select Max Mover' }).check();
    await page.getByRole('checkbox', { name: 'Select Mia Mover' }).check();
    const bar = page.getByTestId('bulk-bar');
    await bar.getByLabel('Action').selectOption('change_tier');
    await bar.getByLabel('New tier').selectOption('premium');
    await bar.getByRole('button', { name: 'Apply…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Move 2 members to Premium?' });
    await dialog.waitFor();
    assert.deepEqual(await dialog.locator('.dialog-body p').allTextContents(), [
      '2 members will take Premium seats (3 are free).',
      '2 Standard seats become free.',
    ]);
    await screenshot(page, 'seats-bulk-tier-confirm');
    await dialog.getByRole('button', { name: 'Move to Premium' }).click();
    await page.getByText('2 members changed.').waitFor();
    assert.equal((await seatOf(ids.mover1)).tierId, 'premium');
    assert.equal((await seatOf(ids.mover2)).tierId, 'premium');
    const moves = (await inspect(ctx.c.store).audit(orgId)).filter(
      (e) => e.action === 'seat.tier_changed' && e.actorType === 'member',
    );
    assert.deepEqual(moves.map((e) => Number(e.subjectId)).sort(), [ids.mover1, ids.mover2].sort());
    // The list sorted by last activity, most recent first: the header says so.
    await page.goto(`${server.url}/console/members?sort=-lastActive`);
    await page.getByTestId('member-count').waitFor();
    assert.equal(
      await page.getByRole('columnheader', { name: /Last active/ }).getAttribute('aria-sort'),
      'descending',
    );
    await screenshot(page, 'seats-members-last-active');
    await context.close();
    assert.deepEqual(pageFaults, []);
  }, 120_000);
});
