// The employee's pages in their language over HTTP: the real server on 127.0.0.1 and a real
// OpenID Provider. The no-seat refusal follows Accept-Language, else the organisation's default;
// /sso/me follows the member's own choice over Accept-Language. See docs/console.md, "Languages".
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { OPERATOR } from '../../../domain/model.js';
import { t, type Language } from '../../../i18n/index.js';
import {
  createExample,
  listen,
  setup,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import { oidcSignIn, startOidcConnection, type OidcTestProvider } from '../../helpers/oidc-provider.js';
import { inspect } from '../../helpers/inspect.js';

const PEOPLE = ['seat1', 'seat2', 'seat3', 'en1', 'de1', 'it1', 'es1', 'pt1', 'fallback1'];

/** What a refusal page says in each language, written out: the page must say exactly this. */
const REFUSED: Readonly<Record<Language, { title: string; says: string }>> = {
  en: { title: 'You cannot sign in', says: 'Acme GmbH has no available seats.' },
  de: { title: 'Sie können sich nicht anmelden', says: 'Acme GmbH hat keine freien Plätze.' },
  it: { title: 'Non puoi accedere', says: 'Acme GmbH non ha posti disponibili.' },
  es: { title: 'No puede iniciar sesión', says: 'Acme GmbH no tiene asientos disponibles.' },
  pt: { title: 'Você não pode entrar', says: 'Acme GmbH não tem assentos disponíveis.' },
};

const decode = (html: string) =>
  html
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

describe('Employee pages in five languages', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let provider: OidcTestProvider;
  let orgId: number;

  beforeAll(async () => {
    ctx = await setup(new Date().toISOString());
    orgId = (
      await createExample(ctx, {
        termStart: new Date().toISOString().slice(0, 10),
        seats: { standard: 2, premium: 1 },
      })
    ).organisation.id;
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    server = await listen(ctx);
    ({ provider } = await startOidcConnection({
      sso: ctx.c.sso,
      organisationId: orgId,
      serverUrls: [server.url],
      accounts: Object.fromEntries(
        PEOPLE.map((id) => [id, { email: `${id}@acme.example`, email_verified: true, name: id }]),
      ),
    }));
  });
  afterAll(async () => {
    await provider.close();
    await server.close();
    await ctx.cleanup();
  });

  const signIn = async (account: string, headers: Record<string, string> = {}) => {
    const { response } = await oidcSignIn(provider, `${server.url}/sso/start?org=acme`, account, headers);
    return { status: response.status, text: decode(await response.text()) };
  };

  test('When the seats have run out, then the refusal is in the language the browser asks for', async () => {
    // Fill every seat left (the owner's invitation holds one).
    let seated = 0;
    for (const who of ['seat1', 'seat2', 'seat3']) if ((await signIn(who)).status === 303) seated += 1;
    assert.ok(seated >= 1);
    const wants: Record<Language, string> = {
      en: 'en-GB,en;q=0.9',
      de: 'fr;q=0.9, de-CH;q=0.8, en;q=0.1',
      it: 'it-IT',
      es: 'es-419,es;q=0.9',
      pt: 'pt-BR,pt;q=0.9,en;q=0.5',
    };
    for (const lang of ['en', 'de', 'it', 'es', 'pt'] as const) {
      const refused = await signIn(`${lang}1`, { 'accept-language': wants[lang] });
      assert.equal(refused.status, 403, `${lang}: ${refused.text}`);
      assert.match(refused.text, new RegExp(`<html lang="${lang}">`));
      assert.ok(refused.text.includes(`<h1>${REFUSED[lang].title}</h1>`), `${lang}: ${refused.text}`);
      assert.ok(refused.text.includes(REFUSED[lang].says), `${lang}: ${refused.text}`);
      assert.ok(refused.text.includes(t(lang, 'sso.page.signInAgain')));
      assert.match(refused.text, /<code>no_seats<\/code>/);
    }
  });

  test('When the browser asks for no language the product speaks, then the refusal is in the organisation’s default', async () => {
    await ctx.c.store.write((q) => q.languages.setOrganisation(orgId, 'it'));
    try {
      const refused = await signIn('fallback1', { 'accept-language': 'fr-FR, ja;q=0.5' });
      assert.equal(refused.status, 403);
      assert.match(refused.text, /<html lang="it">/);
      assert.ok(refused.text.includes(REFUSED.it.says), refused.text);
    } finally {
      await ctx.c.store.write((q) => q.languages.setOrganisation(orgId, 'en'));
    }
  });

  test('When a seated member opens /sso/me, then it is in Accept-Language’s language, and their own choice beats it', async () => {
    const member = (await inspect(ctx.c.store).members(orgId)).find((m) => m.email === 'seat1@acme.example')!;
    const { secret } = await ctx.c.sessions.start(orgId, member.id);
    const me = async (acceptLanguage: string) => {
      const res = await fetch(`${server.url}/sso/me`, {
        headers: { cookie: `seatkeeper_session=${secret}`, 'accept-language': acceptLanguage },
      });
      return { status: res.status, text: decode(await res.text()) };
    };
    const spanish = await me('es');
    assert.equal(spanish.status, 200);
    assert.match(spanish.text, /<html lang="es">/);
    assert.ok(spanish.text.includes('<h1>Sesión iniciada en Acme GmbH</h1>'), spanish.text);
    assert.ok(
      spanish.text.includes('Ha iniciado sesión como <strong>seat1@acme.example</strong> (Usuario).'),
    );
    assert.ok(spanish.text.includes('>Cerrar sesión</button>'));

    await ctx.c.store.write((q) => q.languages.setMember(orgId, member.id, 'de'));
    const german = await me('es');
    assert.match(german.text, /<html lang="de">/);
    assert.ok(german.text.includes('<h1>Bei Acme GmbH angemeldet</h1>'), german.text);
    assert.match(german.text, /Ihr Platz: <strong data-testid="tier">(Premium|Standard)<\/strong>\./);
  });

  test('When nobody is signed in, then /sso/me says so in the browser’s language', async () => {
    const res = await fetch(`${server.url}/sso/me`, { headers: { 'accept-language': 'pt-PT' } });
    const text = decode(await res.text());
    assert.equal(res.status, 401);
    assert.ok(text.includes('<h1>Você não entrou</h1>'), text);
    assert.ok(text.includes('Entre pela sua organização para continuar.'));
  });
});
