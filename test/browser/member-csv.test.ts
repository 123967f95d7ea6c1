// The members page's CSV tools and the seat requests page in headless Chromium: the export
// downloads the filtered list (BOM, quoted, CRLF), an import shows its dry run row by row and
// "Send N invitations" sends them, and administrators grant and decline seat requests.
import assert from '../helpers/assert.js';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../api/auth.js';
import { OPERATOR } from '../../domain/model.js';
import { issueSeatRequestTicket } from '../../provisioning/seat-requests.js';
import { browserSkipReason, launchChromium } from '../helpers/browser.js';
import {
  createExample,
  heldMatchesMembers,
  listen,
  setup,
  type RunningServer,
  type TestContext,
} from '../helpers/fixtures.js';
import { inspect } from '../helpers/inspect.js';

const skip = browserSkipReason();
const SHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

(skip ? describe.skip : describe)('Member CSV and seat requests in the console', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let browser: Browser | undefined;
  let orgId = 0;
  const ids = { owner: 0, admin: 0, user: 0, dana: 0 };

  beforeAll(async () => {
    ctx = await setup('2026-03-01T09:00:00Z');
    // Six standard seats (four taken below) and one premium seat.
    const { organisation, primaryOwner } = await createExample(ctx, { seats: { standard: 6, premium: 1 } });
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
    ids.dana = await admit('dana@acme.example', '=Dana "D" Developer', 'user');
    server = await listen(ctx);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.cleanup();
  }, 120_000);

  async function pageAs(memberId: number): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB' });
    context.setDefaultTimeout(10_000);
    const { secret } = await ctx.c.sessions.start(orgId, memberId);
    await context.addCookies([
      { name: SESSION_COOKIE, value: secret, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
    return context.newPage();
  }

  async function adminPage(): Promise<Page> {
    const context = await browser!.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      acceptDownloads: true,
    });
    context.setDefaultTimeout(10_000);
    const { secret } = await ctx.c.sessions.start(orgId, ids.admin);
    await context.addCookies([
      { name: SESSION_COOKIE, value: secret, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
    return context.newPage();
  }

  test('When an administrator downloads the members as CSV, then the file is the filtered list', async () => {
    const page = await adminPage();
    await page.goto(`${server.url}/console/members?role=user`);
    await page.getByTestId('members-csv').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('members-csv').click(),
    ]);
    assert.equal(download.suggestedFilename(), 'members.csv');
    const text = readFileSync(await download.path(), 'utf8');
    assert.ok(
      text.startsWith(
        '\uFEFF"email","name","role","seatState","tier","source","lastActiveAt","createdAt"\r\n',
      ),
    );
    const lines = text.trimEnd().split('\r\n');
    assert.equal(lines.length, 3, 'the two users only');
    assert.ok(
      lines[1]!.startsWith(`"dana@acme.example","'=Dana ""D"" Developer","user","seated","standard"`),
    );
    await shot(page, 'members-csv-export');
    await page.context().close();
  }, 120_000);

  test('When an administrator imports a CSV, then the dry run is shown and sending invites exactly the rows it promised', async () => {
    const page = await adminPage();
    await page.goto(`${server.url}/console/members`);
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const csv = [
      'email,name,role,tier',
      'new1@acme.example,New One,user,',
      'new2@acme.example,New Two,user,premium',
      'user@acme.example,,user,',
      'new3@acme.example,,user,',
      'new4@acme.example,,user,',
      'nobody@elsewhere.example,,user,',
    ].join('\r\n');
    await page.setInputFiles('#import-file', {
      name: 'people.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    const rows = page.getByTestId('import-rows').locator('tbody tr');
    await rows.first().waitFor();
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-outcome'))), [
      'invite',
      'invite',
      'already_member',
      'invite',
      'no_seat',
      'domain_not_verified',
    ]);
    await shot(page, 'members-import-dry-run');
    await page.getByRole('button', { name: 'Send 3 invitations' }).click();
    await page.getByText('3 invitations sent; 3 rows not invited.').waitFor();
    await shot(page, 'members-import-sent');
    const pools = await inspect(ctx.c.store).pool(orgId);
    assert.deepEqual(
      pools.map((t) => [t.tierId, t.held, t.allocation]),
      [
        ['premium', 1, 1],
        ['standard', 6, 6],
      ],
    );
    assert.ok(await heldMatchesMembers(ctx, orgId));
    await page.context().close();
  }, 120_000);

  test('When an administrator grants and declines seat requests, then the seat moves and the declined one stays', async () => {
    const requests = ctx.c.linking(server.url).seatRequests;
    const uma = await requests.ask(
      orgId,
      { type: 'member', memberId: ids.user },
      { tierId: 'premium', note: 'For the coding tool' },
    );
    const dana = await requests.ask(
      orgId,
      { type: 'member', memberId: ids.dana },
      { tierId: 'premium', note: null },
    );
    // The only premium seat is held by the import's invitation: an owner is told to buy one.
    const ownerPage = await pageAs(ids.owner);
    await ownerPage.goto(`${server.url}/console/seat-requests`);
    await ownerPage.locator(`tr[data-request="${uma.id}"]`).getByRole('button', { name: 'Grant' }).click();
    await ownerPage
      .getByRole('alert')
      .getByText(/No premium seat is available/)
      .waitFor();
    assert.equal(await ownerPage.getByTestId('buy-seats').getAttribute('href'), '/console/billing');
    await shot(ownerPage, 'seat-requests-no-seat-390');
    await ownerPage.context().close();
    // Free the premium seat the import took, so one grant can succeed.
    const invited = (await ctx.c.store.read((q) => q.members.byEmail(orgId, 'new2@acme.example')))!;
    await ctx.c.seats.revokeInvitation(orgId, invited.id, OPERATOR);
    const page = await adminPage();
    await page.goto(`${server.url}/console/seat-requests`);
    const umaRow = page.locator(`tr[data-request="${uma.id}"]`);
    await umaRow.waitFor();
    await shot(page, 'seat-requests-open');
    await umaRow.getByRole('button', { name: 'Grant' }).click();
    await page.getByText('Granted: user@acme.example has a premium seat.').waitFor();
    const danaRow = page.locator(`tr[data-request="${dana.id}"]`);
    await danaRow.getByRole('textbox').fill('Premium is full this quarter');
    await danaRow.getByRole('button', { name: 'Decline' }).click();
    await page.getByText('Declined the request of dana@acme.example.').waitFor();
    await page
      .locator(`tr[data-request="${dana.id}"]`)
      .getByText('Reason: Premium is full this quarter')
      .waitFor();
    await shot(page, 'seat-requests-decided');
    const [umaNow, danaNow] = await ctx.c.store.read(async (q) => [
      (await q.members.byId(orgId, ids.user))!,
      (await q.members.byId(orgId, ids.dana))!,
    ]);
    assert.equal(umaNow.tierId, 'premium');
    assert.equal(danaNow.tierId, 'standard');
    assert.ok(await heldMatchesMembers(ctx, orgId));
    await page.context().close();
  }, 120_000);

  test('When a member asks for a seat on their profile, then the request is open for the administrators', async () => {
    const page = await pageAs(ids.dana);
    await page.goto(`${server.url}/console/profile`);
    await page.getByLabel('Tier').selectOption('premium');
    await page.getByLabel('Note for your administrators (optional)').fill('Second try: new project');
    await page.getByRole('button', { name: 'Ask for a seat' }).click();
    await page.getByText('Your request was sent to your administrators.').waitFor();
    await page.getByTestId('my-seat-requests').getByText('premium: waiting for an answer').waitFor();
    await page
      .getByTestId('my-seat-requests')
      .getByText('premium: declined (“Premium is full this quarter”)')
      .waitFor();
    await shot(page, 'seat-request-asked-390');
    const open = await ctx.c.store.read((q) => q.seatRequests.list(orgId, 'open'));
    assert.deepEqual(
      open.map((r) => [r.email, r.tierId, r.note]),
      [['dana@acme.example', 'premium', 'Second try: new project']],
    );
    await page.context().close();
  }, 120_000);

  test('When a person refused at sign-in follows the link to ask for a seat, then the request is for the asserted identity', async () => {
    const token = await ctx.c.store.write((q) =>
      issueSeatRequestTicket(
        q,
        { email: 'zoe@acme.example', displayName: 'Zoe Newcomer', connectionId: 1 },
        orgId,
        ctx.clock.now(),
      ),
    );
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB' });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const response = await page.goto(`${server.url}/console/ask-for-seat#token=${encodeURIComponent(token)}`);
    assert.equal(response!.status(), 200);
    await page.getByLabel('Note for your administrators (optional)').fill('I start on Monday');
    assert.equal(new URL(page.url()).hash, '', 'the ticket leaves the address bar');
    await shot(page, 'ask-for-seat-390');
    await page.getByRole('button', { name: 'Ask for a seat' }).click();
    await page
      .getByTestId('seat-asked')
      .getByText('Your request was sent to the administrators of Acme GmbH.')
      .waitFor();
    const open = (await ctx.c.store.read((q) => q.seatRequests.list(orgId, 'open'))).find(
      (r) => r.email === 'zoe@acme.example',
    );
    assert.equal(open?.origin, 'sign_in');
    assert.equal(open?.note, 'I start on Monday');
    await context.close();
  }, 120_000);
});
