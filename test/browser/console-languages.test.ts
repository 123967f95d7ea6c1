// The console in five languages, in headless Chromium against the real server: the browser's
// Accept-Language (Playwright's `locale`) chooses the language of a member who chose none, their own
// choice on the profile page wins over it, and the organisation's default (set by an owner) is
// spoken when the browser asks for no language the console speaks. Screenshots of every page shown
// are kept under test-results/console/languages/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { csrfToken, SESSION_COOKIE } from '../../api/auth.js';
import { HIGHEST, OPERATOR } from '../../domain/model.js';
import { browserSkipReason, launchChromium } from '../helpers/browser.js';
import { createExample, listen, setup, type RunningServer, type TestContext } from '../helpers/fixtures.js';

const skip = browserSkipReason();
const SHOTS = fileURLToPath(new URL('../../test-results/console/languages/', import.meta.url));

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** What the owner's profile page says in each language, written out. */
const SAYS = {
  en: { title: 'My profile', members: 'Members', role: 'Primary owner', language: 'Language' },
  de: { title: 'Mein Profil', members: 'Mitglieder', role: 'Haupteigentümer', language: 'Sprache' },
  it: { title: 'Il mio profilo', members: 'Membri', role: 'Proprietario principale', language: 'Lingua' },
  es: { title: 'Mi perfil', members: 'Miembros', role: 'Propietario principal', language: 'Idioma' },
  pt: { title: 'Meu perfil', members: 'Membros', role: 'Proprietário primário', language: 'Idioma' },
} as const;

(skip ? describe.skip : describe)('The console in five languages', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let browser: Browser | undefined;
  let orgId: number;
  let ownerId: number;
  let userId: number;
  const faults: string[] = [];

  beforeAll(async () => {
    ctx = await setup(new Date().toISOString());
    const { organisation, primaryOwner } = await createExample(ctx, {
      termStart: new Date().toISOString().slice(0, 10),
    });
    orgId = organisation.id;
    await ctx.c.seats.acceptInvitation(orgId, primaryOwner.id, OPERATOR);
    ownerId = primaryOwner.id;
    userId = (
      await ctx.c.members.admit(
        orgId,
        { email: 'uma@acme.example', displayName: 'Uma User', role: 'user' },
        'manual',
        HIGHEST,
        OPERATOR,
      )
    ).id;
    server = await listen(ctx);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.cleanup();
  }, 120_000);

  /** A browser whose languages are `locale` (its Accept-Language), signed in as `memberId`. */
  async function personAt(
    memberId: number,
    locale: string,
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser!.newContext({ viewport: { width: 1200, height: 800 }, locale });
    context.setDefaultTimeout(10_000);
    const { secret } = await ctx.c.sessions.start(orgId, memberId);
    await context.addCookies([
      { name: SESSION_COOKIE, value: secret, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
    const page = await context.newPage();
    page.on('pageerror', (error) => faults.push(`script error: ${error.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') faults.push(`console: ${m.text()}`);
    });
    return { context, page };
  }

  test('When the browser asks for a language, then the profile page and the navigation are in it', async () => {
    const asks = { en: 'en-GB', de: 'de-DE', it: 'it-IT', es: 'es-ES', pt: 'pt-BR' } as const;
    for (const lang of ['en', 'de', 'it', 'es', 'pt'] as const) {
      const { context, page } = await personAt(ownerId, asks[lang]);
      try {
        await page.goto(`${server.url}/console/profile`);
        await page.waitForFunction(
          (want) => document.querySelector('main h1')?.textContent === want,
          SAYS[lang].title,
        );
        assert.equal(await page.getAttribute('html', 'lang'), lang);
        assert.equal(await page.locator('[data-testid="profile-role"]').textContent(), SAYS[lang].role);
        assert.equal(await page.locator('#nav a').first().textContent(), SAYS[lang].members);
        assert.equal(await page.locator('#language-heading').textContent(), SAYS[lang].language);
        assert.equal(await page.title(), `${SAYS[lang].title} · Seatkeeper`);
        await shot(page, `profile-${lang}`);
      } finally {
        await context.close();
      }
    }
  }, 120_000);

  test('When a member chooses a language on the profile page, then it wins over the browser’s, now and on their next visit', async () => {
    const { context, page } = await personAt(userId, 'de-DE');
    try {
      await page.goto(`${server.url}/console/profile`);
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Mein Profil');
      const form = page.locator('[data-testid="language-form"]');
      await form.getByLabel('Sprache').selectOption('pt');
      await form.getByRole('button', { name: 'Sprache speichern' }).click();
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Meu perfil');
      assert.equal(await page.locator('#status').textContent(), 'Seu idioma foi salvo.');
      assert.equal(await page.getAttribute('html', 'lang'), 'pt');
      assert.equal((await ctx.c.store.read((q) => q.languages.ofMember(orgId, userId)))?.own, 'pt');
      assert.equal(
        await page.locator('[data-testid="organisation-language-form"]').count(),
        0,
        'a user is not offered the organisation’s language',
      );
      await shot(page, 'profile-chosen-pt-over-de');
      await page.reload();
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Meu perfil');
    } finally {
      await context.close();
      await ctx.c.store.write((q) => q.languages.setMember(orgId, userId, null));
    }
  }, 120_000);

  test('When the browser asks for no language the console speaks, then the organisation’s default an owner set is spoken', async () => {
    const owner = await personAt(ownerId, 'de-DE');
    try {
      await owner.page.goto(`${server.url}/console/profile`);
      const form = owner.page.locator('[data-testid="organisation-language-form"]');
      await form.getByLabel('Sprache der Organisation').selectOption('es');
      await form.getByRole('button', { name: 'Sprache der Organisation speichern' }).click();
      await owner.page.waitForFunction(
        () =>
          document.getElementById('status')?.textContent ===
          'Die Sprache der Organisation ist jetzt Español.',
      );
      await shot(owner.page, 'organisation-language-set');
    } finally {
      await owner.context.close();
    }
    assert.equal(await ctx.c.store.read((q) => q.languages.ofOrganisation(orgId)), 'es');
    const { context, page } = await personAt(userId, 'fr-FR');
    try {
      await page.goto(`${server.url}/console/profile`);
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Mi perfil');
      assert.equal(await page.getAttribute('html', 'lang'), 'es');
      assert.equal(await page.locator('[data-testid="profile-role"]').textContent(), 'Usuario');
      await shot(page, 'profile-organisation-default-es');
    } finally {
      await context.close();
      await ctx.c.store.write((q) => q.languages.setOrganisation(orgId, 'en'));
    }
  }, 120_000);

  test('When an invitee whose browser speaks Italian opens the invitation link, then the acceptance page is in Italian and so is the console after it', async () => {
    const { secret } = await ctx.c.sessions.start(orgId, ownerId);
    const invited = await fetch(`${server.url}/api/v1/invitations`, {
      method: 'POST',
      headers: {
        cookie: `${SESSION_COOKIE}=${secret}`,
        'x-csrf-token': csrfToken(secret),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ email: 'ivo@acme.example', role: 'user' }),
    });
    assert.equal(invited.status, 201);
    const mail = (await ctx.c.store.read((q) => q.outbox.list(0, 10_000)))
      .filter((m) => m.recipient === 'ivo@acme.example')
      .at(-1);
    const link = /https?:\/\/\S+#token=[\w%-]+/.exec(mail?.text ?? '')?.[0];
    assert.ok(link, mail?.text);
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, locale: 'it-IT' });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    page.on('pageerror', (error) => faults.push(`script error: ${error.message}`));
    try {
      await page.goto(`${server.url}${new URL(link).pathname}${new URL(link).hash}`);
      await page.waitForFunction(
        () => document.querySelector('main h1')?.textContent === 'Accetta il tuo invito',
      );
      assert.equal(await page.getAttribute('html', 'lang'), 'it');
      await shot(page, 'accept-invitation-it');
      await page.getByRole('button', { name: 'Accetta invito' }).click();
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Il mio profilo');
      assert.equal(
        await page.locator('#status').textContent(),
        'Benvenuto! Il tuo invito è stato accettato e hai effettuato l’accesso.',
      );
      await shot(page, 'accepted-it');
    } finally {
      await context.close();
    }
  }, 120_000);

  test('When the pages were used, then none had a script error', () => {
    assert.deepEqual(faults, []);
  }, 120_000);
});
