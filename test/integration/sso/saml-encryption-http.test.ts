// Encrypted assertions and signed AuthnRequests end to end over HTTP: the real server, the test IdP
// reading the service provider's real metadata (its certificates) as an IdP does, encrypting
// assertions to it and checking AuthnRequest signatures with it.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { DOMParser } from '@xmldom/xmldom';
import { OPERATOR } from '../../../domain/model.js';
import {
  createExample,
  listen,
  setup,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import {
  encryptionCertificates,
  makeSigningKey,
  signingCertificates,
  startSamlIdp,
  type ResponseOverrides,
  type SamlIdp,
} from '../../helpers/saml-idp.js';
import { inspect } from '../../helpers/inspect.js';

const EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';

async function hop(url: string, init: RequestInit = {}) {
  const res = await fetch(url, { ...init, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

/** Parses XML, failing on any error or warning the parser reports. */
function parseStrict(xml: string): Document {
  const problems: string[] = [];
  const doc = new DOMParser({
    errorHandler: {
      warning: (m: string) => void problems.push(m),
      error: (m: string) => void problems.push(m),
      fatalError: (m: string) => void problems.push(m),
    },
  }).parseFromString(xml, 'text/xml');
  assert.deepEqual(problems, [], 'well-formed XML');
  return doc;
}

describe('SAML encrypted assertions and signed AuthnRequests over HTTP', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let idp: SamlIdp;
  let orgId: number;
  /** The connection that signs both Response and assertion (the default). */
  let main: { id: number; publicId: string };
  /** Entra's default: only the assertion is signed, so it is all that protects the content. */
  let assertionOnly: { id: number; publicId: string };

  const urls = (publicId: string) => {
    const entity = `${server.url}/sso/saml/${publicId}`;
    return { entity, acs: `${entity}/acs` };
  };
  const metadataOf = async (publicId: string) => {
    const res = await fetch(urls(publicId).entity);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/samlmetadata\+xml/);
    return res.text();
  };

  beforeAll(async () => {
    ctx = await setup(new Date().toISOString());
    orgId = (
      await createExample(ctx, {
        termStart: new Date().toISOString().slice(0, 10),
        seats: { standard: 60, premium: 0 },
      })
    ).organisation.id;
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    server = await listen(ctx);
    idp = startSamlIdp({
      spMetadata: `<EntityDescriptor xmlns="${MD}" entityID="placeholder"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${server.url}/placeholder" index="0"/></SPSSODescriptor></EntityDescriptor>`,
      now: () => ctx.clock.now(),
    });
    const make = (name: string, responseSigned: boolean) =>
      ctx.c.sso.createConnection(
        orgId,
        {
          protocol: 'saml',
          name,
          idpEntityId: idp.entityId,
          idpSsoUrl: idp.ssoUrl,
          idpCerts: [idp.certPem],
          responseSigned,
        },
        OPERATOR,
      );
    main = await make('Acme SAML', true);
    assertionOnly = await make('Acme SAML (assertion signed)', false);
  });
  afterAll(async () => {
    idp.close();
    await server.close();
    await ctx.cleanup();
  });

  /** Starts a sign-in through the connection, has the IdP (holding its metadata) answer, posts it. */
  async function signIn(connection: { publicId: string }, user: string, overrides: ResponseOverrides = {}) {
    idp.useSpMetadata(await metadataOf(connection.publicId));
    const started = await hop(`${server.url}/sso/start?connection=${connection.publicId}`);
    assert.equal(started.status, 303, started.text);
    const { entity, acs } = urls(connection.publicId);
    const form = await idp.respond(
      started.location!,
      { nameId: `${user}-id`, attributes: { [EMAIL]: `${user}@acme.example` } },
      { audience: entity, recipient: acs, destination: acs, ...overrides },
    );
    return hop(acs, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  const memberCount = async (email: string) =>
    (await ctx.c.store.read((q) => q.members.withEmail(orgId, email))).length;
  const identityCount = async () =>
    (await ctx.c.store.read((q) => q.sso.identityCounts(orgId))).get(main.id) ?? 0;

  async function refused(
    connection: { publicId: string },
    user: string,
    overrides: ResponseOverrides,
    code: string,
  ): Promise<void> {
    const before = await identityCount();
    const back = await signIn(connection, user, overrides);
    assert.equal(back.status, 401, back.text);
    assert.match(back.text, new RegExp(code));
    assert.equal(await memberCount(`${user}@acme.example`), 0, 'no account');
    assert.equal(await identityCount(), before, 'no identity linked');
  }

  test('When the metadata is asked for, then it is well-formed and lists the key for signing and encryption, the name id formats, its validity and the ACS', async () => {
    const xml = await metadataOf(main.publicId);
    const doc = parseStrict(xml);
    const entity = doc.documentElement;
    assert.equal(entity.localName, 'EntityDescriptor');
    assert.equal(entity.namespaceURI, MD);
    assert.equal(entity.getAttribute('entityID'), urls(main.publicId).entity);
    assert.ok(Date.parse(entity.getAttribute('validUntil') ?? '') > Date.now(), 'validUntil ahead');
    assert.match(entity.getAttribute('cacheDuration') ?? '', /^PT\d+H$/);
    const sp = doc.getElementsByTagNameNS(MD, 'SPSSODescriptor')[0]!;
    assert.equal(sp.getAttribute('WantAssertionsSigned'), 'true');
    assert.equal(sp.getAttribute('AuthnRequestsSigned'), 'false');
    const [current] = await ctx.c.sso.spKeys(main.id);
    assert.equal(current?.status, 'current');
    const body = current.certificate.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
    assert.deepEqual(encryptionCertificates(xml), [body]);
    assert.deepEqual(signingCertificates(xml), [body]);
    const methods = Array.from(doc.getElementsByTagNameNS(MD, 'EncryptionMethod')).map((m) =>
      m.getAttribute('Algorithm'),
    );
    assert.ok(methods.includes('http://www.w3.org/2009/xmlenc11#aes256-gcm'));
    assert.ok(methods.includes('http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p'));
    const formats = Array.from(doc.getElementsByTagNameNS(MD, 'NameIDFormat')).map((f) => f.textContent);
    assert.deepEqual(formats.sort(), [
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    ]);
    const acs = doc.getElementsByTagNameNS(MD, 'AssertionConsumerService')[0]!;
    assert.equal(acs.getAttribute('Location'), urls(main.publicId).acs);
    assert.doesNotMatch(xml, /PRIVATE KEY/);
    // The same key the second time: made once, on first need.
    assert.deepEqual(encryptionCertificates(await metadataOf(main.publicId)), [body]);
  });

  for (const algorithm of ['aes256-gcm', 'aes256-cbc'] as const) {
    test(`When the assertion is encrypted to the SP certificate with ${algorithm}, then the employee is signed in`, async () => {
      const user = `enc-${algorithm}`;
      for (const connection of [main, assertionOnly]) {
        const back = await signIn(connection, `${user}-${connection.publicId.slice(0, 4)}`, {
          encrypt: { algorithm },
        });
        assert.equal(back.status, 303, back.text);
      }
      assert.equal(await memberCount(`${user}-${main.publicId.slice(0, 4)}@acme.example`), 1);
    });
  }

  test('When the EncryptedKey sits beside the EncryptedData rather than inside it, then the employee is signed in too', async () => {
    const back = await signIn(main, 'enc-sibling', {
      encrypt: { algorithm: 'aes128-gcm', keyPlacement: 'sibling' },
    });
    assert.equal(back.status, 303, back.text);
    assert.equal(await memberCount('enc-sibling@acme.example'), 1);
  });

  test('When the encrypted assertion is altered, encrypted to another key, or sent with RSA PKCS#1 v1.5 key transport, then it is refused and nothing is created', async () => {
    const stranger = makeSigningKey('not-the-sp');
    try {
      for (const connection of [main, assertionOnly]) {
        const tag = connection.publicId.slice(0, 4);
        await refused(
          connection,
          `tampered-gcm-${tag}`,
          { encrypt: { algorithm: 'aes256-gcm', tamperCiphertext: true } },
          // Opened before anything else is believed: a signed Response does not change the answer.
          'saml_decryption_failed',
        );
        await refused(
          connection,
          `wrong-key-${tag}`,
          { encrypt: { algorithm: 'aes256-gcm', cert: stranger.certPem } },
          'saml_decryption_failed',
        );
        await refused(
          connection,
          `v15-${tag}`,
          { encrypt: { algorithm: 'aes256-gcm', keyTransport: 'rsa-1_5' } },
          'saml_decryption_failed',
        );
      }
      // Where only the assertion is signed, altered CBC ciphertext reaches decryption: refused all the same.
      await refused(
        assertionOnly,
        'tampered-cbc',
        { encrypt: { algorithm: 'aes256-cbc', tamperCiphertext: true } },
        'saml_decryption_failed',
      );
    } finally {
      stranger.cleanup();
    }
  });

  test('When a signature-wrapping attempt is made around an encrypted assertion, then it is refused and nothing is created', async () => {
    const encrypt = { algorithm: 'aes256-gcm' } as const;
    // Anyone can encrypt to the public certificate: a signed assertion altered before encryption.
    await refused(assertionOnly, 'forged-inside', { encrypt, tamper: true }, 'saml_decryption_failed');
    // XSW inside the encryption: a forged assertion carrying the original's signature.
    await refused(
      assertionOnly,
      'moved-inside',
      { encrypt, wrap: 'moved-signature' },
      'saml_decryption_failed',
    );
    // A forged plain assertion beside the encrypted one.
    await refused(assertionOnly, 'beside', { encrypt, wrap: 'extra-assertion' }, 'saml_');
    assert.equal(await memberCount('mallory@acme.example'), 0);
    // SHA-1 is refused inside the encryption as outside it.
    await refused(
      assertionOnly,
      'sha1-inside',
      { encrypt, sign: 'assertion', signatureAlgorithm: 'rsa-sha1' },
      'saml_decryption_failed',
    );
    // An unsigned assertion, encrypted: encryption is not a signature.
    await refused(assertionOnly, 'unsigned-inside', { encrypt, sign: 'none' }, 'saml_');
  });

  test('When a connection requires encrypted assertions, then a plain one is refused and an encrypted one accepted', async () => {
    await ctx.c.sso.updateConnection(orgId, assertionOnly.id, { requireEncryptedAssertions: true }, OPERATOR);
    try {
      const before = await identityCount();
      const plain = await signIn(assertionOnly, 'plain-required');
      assert.equal(plain.status, 401, plain.text);
      assert.match(plain.text, /saml_assertion_not_encrypted/);
      assert.equal(await memberCount('plain-required@acme.example'), 0);
      assert.equal(await identityCount(), before);
      const encrypted = await signIn(assertionOnly, 'enc-required', { encrypt: { algorithm: 'aes256-gcm' } });
      assert.equal(encrypted.status, 303, encrypted.text);
    } finally {
      await ctx.c.sso.updateConnection(
        orgId,
        assertionOnly.id,
        { requireEncryptedAssertions: false },
        OPERATOR,
      );
    }
  });

  test('When the SP key is rotated, then during the overlap an assertion encrypted to either key is accepted, and after it only one encrypted to the new key', async () => {
    const oldCert = encryptionCertificates(await metadataOf(main.publicId))[0]!;
    const next = await ctx.c.sso.addServiceProviderKey(orgId, main.id, OPERATOR);
    assert.equal(next.status, 'next');
    const published = encryptionCertificates(await metadataOf(main.publicId));
    const newCert = next.certificate.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
    assert.deepEqual(published, [oldCert, newCert], 'current and next published together');
    for (const [i, cert] of [oldCert, newCert].entries()) {
      const back = await signIn(main, `rotating-${i}`, { encrypt: { algorithm: 'aes256-gcm', cert } });
      assert.equal(back.status, 303, back.text);
    }

    await ctx.c.sso.promoteServiceProviderKey(orgId, main.id, 1, OPERATOR);
    assert.deepEqual(
      encryptionCertificates(await metadataOf(main.publicId)),
      [newCert],
      'only the new key published',
    );
    for (const [i, cert] of [oldCert, newCert].entries()) {
      const back = await signIn(main, `overlap-${i}`, { encrypt: { algorithm: 'aes256-cbc', cert } });
      assert.equal(back.status, 303, `during the overlap, key ${i}: ${back.text}`);
    }

    ctx.clock.advance({ hours: 1, minutes: 1 });
    await refused(
      main,
      'after-overlap-old',
      { encrypt: { algorithm: 'aes256-gcm', cert: oldCert } },
      'saml_decryption_failed',
    );
    const fresh = await signIn(main, 'after-overlap-new', {
      encrypt: { algorithm: 'aes256-gcm', cert: newCert },
    });
    assert.equal(fresh.status, 303, fresh.text);

    const actions = (await inspect(ctx.c.store).audit(orgId)).map((e) => e.action);
    assert.ok(actions.includes('sso_connection.sp_key_added'));
    assert.ok(actions.includes('sso_connection.sp_key_promoted'));
  });

  test('When AuthnRequests are signed, then the metadata says so and the IdP verifies the signature with the certificate from the metadata; a tampered request is refused', async () => {
    await ctx.c.sso.updateConnection(orgId, main.id, { signAuthnRequests: true }, OPERATOR);
    try {
      const xml = await metadataOf(main.publicId);
      const sp = parseStrict(xml).getElementsByTagNameNS(MD, 'SPSSODescriptor')[0]!;
      assert.equal(sp.getAttribute('AuthnRequestsSigned'), 'true');
      idp.useSpMetadata(xml);
      const started = await hop(`${server.url}/sso/start?connection=${main.publicId}`);
      assert.equal(started.status, 303);
      const url = new URL(started.location!);
      assert.equal(url.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      assert.ok(url.searchParams.get('Signature'));
      assert.equal(idp.requestSigned(url.toString()), true);
      await idp.parseRequest(url.toString());

      const tamperedState = new URL(url);
      tamperedState.searchParams.set('RelayState', 'someone-elses');
      await assert.rejects(idp.parseRequest(tamperedState.toString()), /does not verify/);
      const unsigned = new URL(url);
      unsigned.searchParams.delete('Signature');
      unsigned.searchParams.delete('SigAlg');
      await assert.rejects(idp.parseRequest(unsigned.toString()), /not signed/);
      // And the sign-in completes.
      const back = await signIn(main, 'signed-request', { encrypt: { algorithm: 'aes256-gcm' } });
      assert.equal(back.status, 303, back.text);
    } finally {
      await ctx.c.sso.updateConnection(orgId, main.id, { signAuthnRequests: false }, OPERATOR);
    }
    // Off again: requests go unsigned.
    const started = await hop(`${server.url}/sso/start?connection=${main.publicId}`);
    assert.equal(new URL(started.location!).searchParams.get('Signature'), null);
  });
});
