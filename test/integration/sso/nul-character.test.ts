// The NUL character (U+0000) in what a sign-in carries: a claim of the identity provider (OIDC), an
// attribute of a signed assertion (SAML), or the query of /sso/start. Each ends in the SSO error
// page with a clear message, never a 500, and nothing of the person is stored, the same on SQLite
// and PostgreSQL (domain/nul.ts, docs/rules.md "Text").
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { OPERATOR } from '../../../domain/model.js';
import {
  createExample,
  listen,
  setup,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import { oidcSignIn, startOidcConnection, type OidcTestProvider } from '../../helpers/oidc-provider.js';
import { startSamlIdp, type SamlIdp } from '../../helpers/saml-idp.js';
import { inspect } from '../../helpers/inspect.js';

const EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const DISPLAY_NAME = 'http://schemas.microsoft.com/identity/claims/displayname';

async function text(res: Response): Promise<string> {
  return await res.text();
}

describe('Sign-in with the NUL character in what the identity provider sent', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let provider: OidcTestProvider;
  let idp: SamlIdp;
  let orgId: number;
  let acs: string;
  let spEntityId: string;

  beforeAll(async () => {
    ctx = await setup(new Date().toISOString());
    orgId = (
      await createExample(ctx, {
        termStart: new Date().toISOString().slice(0, 10),
        seats: { standard: 5, premium: 0 },
      })
    ).organisation.id;
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    server = await listen(ctx);
    ({ provider } = await startOidcConnection({
      sso: ctx.c.sso,
      organisationId: orgId,
      serverUrls: [server.url],
      accounts: {
        named: { email: 'named@acme.example', email_verified: true, name: 'Nul\u0000Name' },
        addressed: { email: 'addr\u0000essed@acme.example', email_verified: true, name: 'Addressed' },
        grouped: { email: 'fine@acme.example', email_verified: true, name: 'Fine' },
      },
    }));
    idp = startSamlIdp({
      spMetadata: `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="placeholder"><SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${server.url}/placeholder" index="0"/></SPSSODescriptor></EntityDescriptor>`,
      now: () => ctx.clock.now(),
    });
    const connection = await ctx.c.sso.createConnection(
      orgId,
      {
        protocol: 'saml',
        name: 'Acme SAML',
        idpEntityId: idp.entityId,
        idpSsoUrl: idp.ssoUrl,
        idpCerts: [idp.certPem],
      },
      OPERATOR,
    );
    spEntityId = `${server.url}/sso/saml/${connection.publicId}`;
    acs = `${spEntityId}/acs`;
  });
  afterAll(async () => {
    idp.close();
    await provider.close();
    await server.close();
    await ctx.cleanup();
  });

  const members = async () => (await inspect(ctx.c.store).members(orgId)).map((m) => m.email).sort();

  test('When an OIDC provider sends a name or an address holding NUL, then a 400 error page says so and no account is created', async () => {
    const before = await members();
    for (const account of ['named', 'addressed']) {
      const { response } = await oidcSignIn(provider, `${server.url}/sso/start?org=acme`, account);
      const page = await text(response);
      assert.equal(response.status, 400, page);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page, /NUL character \(U\+0000\)/);
      assert.match(page, /nul_character/, 'the page names the stable code');
      assert.equal(response.headers.get('set-cookie')?.includes('seatkeeper_session=') ?? false, false);
    }
    assert.deepEqual(await members(), before, 'nobody was created');
    const rejected = (await inspect(ctx.c.store).audit(orgId)).filter(
      (a) =>
        a.action === 'sign_in.rejected' && (a.after as { code?: string } | null)?.code === 'nul_character',
    );
    assert.equal(rejected.length, 2, 'each refusal is audited');
  });

  test('When a signed SAML assertion carries an attribute value holding NUL, then a 400 error page says so and no account is created', async () => {
    const before = await members();
    for (const attributes of [
      { [EMAIL]: 'saml\u0000user@acme.example' },
      { [EMAIL]: 'samluser@acme.example', [DISPLAY_NAME]: 'Saml\u0000User' },
    ]) {
      // The organisation has two connections: the SAML one is named.
      const saml = await fetch(`${spEntityId.replace('/sso/saml/', '/sso/start?connection=')}`, {
        redirect: 'manual',
      });
      await saml.arrayBuffer();
      assert.equal(saml.status, 303);
      const form = await idp.respond(
        saml.headers.get('location')!,
        { nameId: 'saml-user-id', attributes },
        { audience: spEntityId, recipient: acs, destination: acs },
      );
      const back = await fetch(acs, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
      const page = await text(back);
      assert.equal(back.status, 400, page);
      assert.match(back.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page, /NUL character \(U\+0000\)/);
      assert.match(page, /nul_character/);
    }
    assert.deepEqual(await members(), before, 'nobody was created');
  });

  test('When /sso/start is asked with NUL in its query, then 400 with the same page on either backend', async () => {
    for (const query of ['org=ac%00me', 'email=a%00@acme.example', 'connection=x%00']) {
      const res = await fetch(`${server.url}/sso/start?${query}`, { redirect: 'manual' });
      const page = await text(res);
      assert.equal(res.status, 400, `${query}: ${page}`);
      assert.match(page, /NUL character \(U\+0000\)/, query);
    }
  });
});
