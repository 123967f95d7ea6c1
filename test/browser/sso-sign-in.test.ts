// Single sign-on in a real browser: headless Debian Chromium, driven by playwright-core, signs two
// new employees in through a real OpenID Provider's login form, as a person would. The server is
// addressed as http://localhost:<port> and the provider as http://127.0.0.1:<port>: two sites, so
// the browser applies its cross-site cookie rules to the redirects between them.
// Screenshots are kept in test-results/screenshots/.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import type { Browser, Page, Response } from 'playwright-core';
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
import { startOidcConnection, type OidcTestProvider } from '../helpers/oidc-provider.js';

const skip = browserSkipReason();

(skip ? describe.skip : describe)('Signing in with OpenID Connect in a browser', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let provider: OidcTestProvider;
  let browser: Browser | undefined;
  let orgId: number;

  beforeAll(async () => {
    ctx = await setup(new Date().toISOString());
    orgId = (
      await createExample(ctx, {
        termStart: new Date().toISOString().slice(0, 10),
        // One free seat: the primary owner's invitation holds the other standard seat.
        seats: { standard: 2, premium: 0 },
      })
    ).organisation.id;
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    server = await listen(ctx, { publicHost: 'localhost' });
    ({ provider } = await startOidcConnection({
      sso: ctx.c.sso,
      organisationId: orgId,
      serverUrls: [server.url],
      accounts: {
        ada: { email: 'ada@acme.example', email_verified: true, name: 'Ada' },
        bob: { email: 'bob@acme.example', email_verified: true, name: 'Bob' },
      },
    }));
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await provider?.close();
    await server?.close();
    await ctx?.cleanup();
  }, 30_000);

  /**
   * Opens the sign-in link in a fresh browser context (a person on their own machine), signs in on
   * the provider's login form (confirming consent if the provider asks), and returns the page and
   * the server's answer at the OIDC callback.
   */
  async function signInAs(login: string, screenshotOfProvider?: string) {
    const context = await browser!.newContext({ viewport: { width: 900, height: 700 } });
    context.setDefaultTimeout(10_000); // a clear failure well within the suite's 30 s
    const page = await context.newPage();
    await page.goto(`${server.url}/sso/start?org=acme`);
    const providerOrigin = new URL(provider.issuer).origin;
    assert.equal(new URL(page.url()).origin, providerOrigin, 'sent to the provider');
    assert.match(new URL(page.url()).pathname, /^\/interaction\//);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    if (screenshotOfProvider) await screenshot(page, screenshotOfProvider);

    const callback = page.waitForResponse((r) => r.url().startsWith(`${server.url}/sso/oidc/callback`));
    callback.catch(() => undefined); // awaited below; no unhandled rejection if a step fails first
    await submit(page);
    if ((await page.locator('input[name="prompt"][value="consent"]').count()) > 0) {
      await screenshot(page, `provider-consent-${login}`);
      await submit(page);
    }
    const answer: Response = await callback;
    await page.waitForLoadState();
    return { page, answer };
  }

  /** Submits the page's form and waits for the next page to load. */
  async function submit(page: Page) {
    const before = page.url();
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.href !== before);
  }

  test('When a new employee signs in on the provider’s login form, then they land signed in with the last free seat', async () => {
    const { page, answer } = await signInAs('ada', 'oidc-provider-login');
    assert.equal(answer.status(), 303, 'the callback signs in and redirects');
    // The provider is another site: the browser says so on the way back.
    assert.equal(await answer.request().headerValue('sec-fetch-site'), 'cross-site');
    assert.equal(page.url(), `${server.url}/sso/me`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Signed in to Acme GmbH');
    assert.equal(
      await page.getByTestId('tier').textContent(),
      'Standard',
      'the tier as the product names it',
    );
    assert.match((await page.locator('main').textContent()) ?? '', /ada@acme\.example/);
    await screenshot(page, 'sso-signed-in');

    // The session cookie, set on the redirect back from the other site, was kept and sent.
    const cookies = await page.context().cookies(server.url);
    const session = cookies.find((c) => c.name === 'seatkeeper_session');
    assert.ok(session, 'a session cookie for the server');
    assert.equal(session.sameSite, 'Lax');
    assert.equal(session.httpOnly, true);

    const members = await ctx.c.store.read((q) => q.members.withEmail(orgId, 'ada@acme.example'));
    assert.equal(members.length, 1);
    assert.equal(members[0]!.seatState, 'seated');
    assert.equal(members[0]!.tierId, 'standard');
    const standard = (await ctx.c.seats.usage(orgId)).find((t) => t.tierId === 'standard')!;
    assert.deepEqual(
      {
        held: standard.held,
        seated: standard.seated,
        invited: standard.invited,
        available: standard.available,
      },
      { held: 2, seated: 1, invited: 1, available: 0 },
    );
    assert.ok(await heldMatchesMembers(ctx, orgId));
    await page.context().close();
  }, 30_000);

  test('When the next new employee signs in with no seat left, then a 403 page tells them to ask an owner, and no account is made', async () => {
    const { page, answer } = await signInAs('bob');
    assert.equal(answer.status(), 403);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'You cannot sign in');
    const text = (await page.locator('main').textContent()) ?? '';
    assert.match(text, /no available seats/i);
    assert.match(text, /ask an owner/i);
    assert.equal(await page.locator('code').textContent(), 'no_seats');
    await screenshot(page, 'sso-refused-no-seats');

    const cookies = await page.context().cookies(server.url);
    assert.equal(
      cookies.find((c) => c.name === 'seatkeeper_session'),
      undefined,
      'no session for a refused sign-in',
    );
    assert.equal((await ctx.c.store.read((q) => q.members.withEmail(orgId, 'bob@acme.example'))).length, 0);
    assert.equal((await ctx.c.seats.usage(orgId)).find((t) => t.tierId === 'standard')!.available, 0);
    assert.ok(await heldMatchesMembers(ctx, orgId));
    await page.context().close();
  }, 30_000);
});
