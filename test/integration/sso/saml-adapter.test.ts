// The SAML adapter against a real (samlify) identity provider: the full SP-initiated flow, and every
// response a service provider must refuse, each as its own test. Time is the test's FixedClock.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { inflateRawSync } from 'node:zlib';
import { DateTime } from 'luxon';
import { FixedClock } from '../../../domain/clock.js';
import { ssoErrorStatus } from '../../../sso/error-page.js';
import { SsoError } from '../../../sso/errors.js';
import {
  startSamlLogin,
  validateSamlResponse,
  type ConsumedAssertions,
  type SamlConnectionConfig,
  type SamlDeps,
  type SamlRequestCache,
} from '../../../sso/saml.js';
import { ENTRA_GROUPS_OVERAGE } from '../../../sso/saml-claims.js';
import { parseIdpMetadata, samlServiceProviderMetadata } from '../../../sso/saml-metadata.js';
import {
  NAMEID_EMAIL,
  NAMEID_TRANSIENT,
  startSamlIdp,
  type ResponseOverrides,
  type SamlIdp,
  type SamlUser,
} from '../../helpers/saml-idp.js';

const NOW = '2026-03-02T10:00:00Z'; // far from the real date: node-saml must be on our clock
const EMAIL_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const GROUPS_CLAIM = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';

/** In-memory SamlRequestCache (the SQL one is another module's). */
class MemoryRequests implements SamlRequestCache {
  readonly rows = new Map<string, DateTime>();
  save(connectionId: number, requestId: string, at: DateTime): void {
    this.rows.set(`${connectionId}:${requestId}`, at);
  }
  async take(connectionId: number, requestId: string, notBefore: DateTime): Promise<boolean> {
    const key = `${connectionId}:${requestId}`;
    const at = this.rows.get(key);
    this.rows.delete(key);
    return at !== undefined && at >= notBefore;
  }
}

class MemoryConsumed implements ConsumedAssertions {
  readonly rows = new Map<string, DateTime>();
  constructor(private readonly clock: FixedClock) {}
  async consume(connectionId: number, assertionId: string, expiresAt: DateTime): Promise<boolean> {
    const key = `${connectionId}:${assertionId}`;
    const until = this.rows.get(key);
    if (until !== undefined && until > this.clock.now()) return false;
    this.rows.set(key, expiresAt);
    return true;
  }
}

const alice: SamlUser = {
  nameId: 'alice-persistent-0001',
  attributes: {
    [EMAIL_CLAIM]: 'alice@acme.test',
    'http://schemas.microsoft.com/identity/claims/displayname': 'Alice Example',
    [GROUPS_CLAIM]: ['engineering', 'admins'],
  },
};

describe('SAML adapter against a samlify IdP', () => {
  let clock: FixedClock;
  let deps: SamlDeps & { requests: MemoryRequests; consumedAssertions: MemoryConsumed };
  let idp: SamlIdp;
  let config: SamlConnectionConfig;

  const connection = (id: number, overrides: Partial<SamlConnectionConfig> = {}): SamlConnectionConfig => ({
    connectionId: id,
    spEntityId: `https://seatkeeper.test/sso/saml/${id}`,
    acsUrl: `https://seatkeeper.test/sso/saml/${id}/acs`,
    idpEntityId: 'https://idp.test/saml',
    idpSsoUrl: 'https://idp.test/saml/sso',
    idpCerts: [idp.certPem],
    responseSigned: true,
    nameIdFormat: null,
    attributeMap: { groups: GROUPS_CLAIM },
    idpInitiated: false,
    ...overrides,
  });

  /** startSamlLogin → the IdP answers the real AuthnRequest. */
  async function signIn(overrides: ResponseOverrides = {}, user: SamlUser = alice, cfg = config) {
    const { redirectUrl, requestId } = await startSamlLogin(cfg, 'relay-123', deps);
    const posted = await idp.respond(redirectUrl, user, overrides);
    return { posted, requestId };
  }

  async function rejects(promise: Promise<unknown>, code: string, status = 401) {
    await assert.rejects(promise, (err: unknown) => {
      assert.ok(err instanceof SsoError, `expected SsoError, got ${String(err)}`);
      assert.equal(
        err.code,
        code,
        `code (library said: ${String((err.cause as Error | undefined)?.message)})`,
      );
      assert.equal(ssoErrorStatus(err), status);
      return true;
    });
  }

  beforeAll(() => {
    clock = new FixedClock(NOW);
    deps = { clock, requests: new MemoryRequests(), consumedAssertions: new MemoryConsumed(clock) };
    // The IdP is set up from our SP metadata, as an administrator would.
    const placeholder: SamlConnectionConfig = {
      connectionId: 1,
      spEntityId: 'https://seatkeeper.test/sso/saml/1',
      acsUrl: 'https://seatkeeper.test/sso/saml/1/acs',
      idpEntityId: 'https://idp.test/saml',
      idpSsoUrl: 'https://idp.test/saml/sso',
      idpCerts: [],
      responseSigned: true,
      nameIdFormat: null,
      attributeMap: {},
      idpInitiated: false,
    };
    idp = startSamlIdp({ spMetadata: samlServiceProviderMetadata(placeholder), now: () => clock.now() });
    config = connection(1);
  });
  afterAll(() => idp.close());

  describe('the full SP-initiated flow', () => {
    test('When the IdP answers our AuthnRequest with a signed response, then the identity comes from the assertion', async () => {
      const { redirectUrl, requestId } = await startSamlLogin(config, 'relay-123', deps);
      const url = new URL(redirectUrl);
      assert.equal(url.origin + url.pathname, config.idpSsoUrl);
      assert.equal(url.searchParams.get('RelayState'), 'relay-123');
      const request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString();
      assert.match(request, new RegExp(`ID="${requestId}"`));
      assert.doesNotMatch(request, /RequestedAuthnContext/);
      assert.ok(deps.requests.rows.has(`1:${requestId}`), 'request id saved, namespaced by connection');

      const parsed = await idp.parseRequest(redirectUrl);
      assert.deepEqual(parsed, { id: requestId, issuer: config.spEntityId, acsUrl: config.acsUrl });

      const posted = await idp.respond(redirectUrl, alice);
      assert.equal(posted.RelayState, 'relay-123');
      const identity = await validateSamlResponse(config, posted, deps);
      assert.deepEqual(identity, {
        connectionId: 1,
        subject: 'alice-persistent-0001',
        email: 'alice@acme.test',
        emailVerified: true,
        displayName: 'Alice Example',
        groups: ['engineering', 'admins'],
      });
      assert.ok(!deps.requests.rows.has(`1:${requestId}`), 'the request id is used up');
    });

    test('When only the assertion is signed and the connection allows it (Entra default), then it is accepted', async () => {
      const cfg = connection(1, { responseSigned: false });
      const { posted } = await signIn({ sign: 'assertion' }, alice, cfg);
      assert.equal((await validateSamlResponse(cfg, posted, deps)).subject, alice.nameId);
    });

    test('When the attribute map names other attributes and groups is a single value, then they are read and normalised to a list', async () => {
      const cfg = connection(1, {
        attributeMap: { email: 'mail', givenName: 'first', familyName: 'last', groups: 'memberOf' },
      });
      const { posted } = await signIn(
        {},
        {
          nameId: 'bob-1',
          attributes: { mail: ' bob@acme.test ', first: 'Bob', last: 'Builder', memberOf: 'staff' },
        },
        cfg,
      );
      const identity = await validateSamlResponse(cfg, posted, deps);
      assert.equal(identity.email, 'bob@acme.test');
      assert.equal(identity.displayName, 'Bob Builder');
      assert.deepEqual(identity.groups, ['staff']);
    });

    test('When the mapped groups attribute is absent, then groups are empty; when no groups attribute is mapped, then unknown', async () => {
      const user: SamlUser = { nameId: 'carol-1', attributes: { email: 'carol@acme.test' } };
      const first = await signIn({}, user);
      assert.deepEqual((await validateSamlResponse(config, first.posted, deps)).groups, []);
      const cfg = connection(1, { attributeMap: {} });
      const second = await signIn({}, user, cfg);
      assert.equal((await validateSamlResponse(cfg, second.posted, deps)).groups, 'unknown');
    });

    test("When Entra sends the groups overage marker instead of groups, then groups are 'unknown' (not none)", async () => {
      const { posted } = await signIn(
        {},
        {
          nameId: 'dave-1',
          attributes: {
            [EMAIL_CLAIM]: 'dave@acme.test',
            [ENTRA_GROUPS_OVERAGE]: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects',
          },
        },
      );
      assert.equal((await validateSamlResponse(config, posted, deps)).groups, 'unknown');
    });

    test('When there is no email attribute but the NameID is an email address, then it is the email', async () => {
      const { posted } = await signIn({}, { nameId: 'erin@acme.test', nameIdFormat: NAMEID_EMAIL });
      const identity = await validateSamlResponse(config, posted, deps);
      assert.equal(identity.email, 'erin@acme.test');
      assert.equal(identity.displayName, null);
    });

    test('When the NameID is transient, then it is refused as an identifier', async () => {
      const { posted } = await signIn({}, { nameId: '_t123', nameIdFormat: NAMEID_TRANSIENT });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_subject_unusable');
    });

    test('When the IdP rotates keys and the connection trusts both certificates, then either signature is accepted', async () => {
      const other = startSamlIdp({ spMetadata: samlServiceProviderMetadata(config), now: () => clock.now() });
      try {
        const cfg = connection(1, { idpCerts: [other.certBase64, idp.certPem] });
        const { posted } = await signIn({}, alice, cfg);
        assert.equal((await validateSamlResponse(cfg, posted, deps)).subject, alice.nameId);
      } finally {
        other.close();
      }
    });
  });

  describe('signatures', () => {
    test('When the response carries no signature at all, then saml_signature_invalid (whatever responseSigned says)', async () => {
      const { posted } = await signIn({ sign: 'none' });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_signature_invalid');
      const cfg = connection(1, { responseSigned: false });
      const second = await signIn({ sign: 'none' }, alice, cfg);
      await rejects(validateSamlResponse(cfg, second.posted, deps), 'saml_signature_invalid');
    });

    test('When only the assertion is signed but the connection requires a signed response, then saml_signature_invalid', async () => {
      const { posted } = await signIn({ sign: 'assertion' });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_signature_invalid');
    });

    test('When only the response is signed (assertion unsigned), then saml_signature_invalid', async () => {
      const cfg = connection(1, { responseSigned: false });
      const { posted } = await signIn({ sign: 'response' }, alice, cfg);
      await rejects(validateSamlResponse(cfg, posted, deps), 'saml_signature_invalid');
    });

    test('When a signed response is tampered with (NameID and email changed), then saml_signature_invalid', async () => {
      const { posted } = await signIn({ tamper: true });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_signature_invalid');
      const cfg = connection(1, { responseSigned: false });
      const second = await signIn({ tamper: true, sign: 'assertion' }, alice, cfg);
      await rejects(validateSamlResponse(cfg, second.posted, deps), 'saml_signature_invalid');
    });

    test('When a forged unsigned assertion is added beside the signed one, then saml_signature_invalid', async () => {
      const cfg = connection(1, { responseSigned: false });
      const { posted } = await signIn({ sign: 'assertion', wrap: 'extra-assertion' }, alice, cfg);
      await rejects(validateSamlResponse(cfg, posted, deps), 'saml_signature_invalid');
    });

    test('When the signature is moved onto a forged assertion (XSW, original hidden in ds:Object), then saml_signature_invalid', async () => {
      const cfg = connection(1, { responseSigned: false });
      const { posted } = await signIn({ sign: 'assertion', wrap: 'moved-signature' }, alice, cfg);
      await rejects(validateSamlResponse(cfg, posted, deps), 'saml_signature_invalid');
    });

    test('When the response is signed by a key the connection does not trust, then saml_signature_invalid', async () => {
      const stranger = startSamlIdp({
        spMetadata: samlServiceProviderMetadata(config),
        now: () => clock.now(),
      });
      try {
        const { redirectUrl } = await startSamlLogin(config, 'r', deps);
        const posted = await stranger.respond(redirectUrl, alice);
        await rejects(validateSamlResponse(config, posted, deps), 'saml_signature_invalid');
      } finally {
        stranger.close();
      }
    });

    test('When the response is signed with RSA-SHA1, then saml_signature_invalid', async () => {
      const { posted } = await signIn({ signatureAlgorithm: 'rsa-sha1' });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_signature_invalid');
    });
  });

  describe('addressing', () => {
    test('When the audience is another SP, then saml_audience_mismatch', async () => {
      const { posted } = await signIn({ audience: 'https://other-app.test/saml' });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_audience_mismatch');
    });

    test('When the issuer is another IdP (signed with the trusted key), then saml_issuer_mismatch', async () => {
      const { posted } = await signIn({ issuer: 'https://evil-idp.test/saml' });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_issuer_mismatch');
    });

    test('When the bearer Recipient is another ACS, then saml_recipient_mismatch', async () => {
      const { posted } = await signIn({ recipient: 'https://other-app.test/acs' });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_recipient_mismatch');
    });

    test('When the Response Destination is another ACS, then saml_destination_mismatch', async () => {
      const { posted } = await signIn({ destination: 'https://other-app.test/acs' });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_destination_mismatch');
    });

    test('When the Response has no Destination, then it is accepted (Destination is optional)', async () => {
      const { posted } = await signIn({ destination: null });
      assert.equal((await validateSamlResponse(config, posted, deps)).subject, alice.nameId);
    });
  });

  describe('time, on the injected clock with 60 s skew', () => {
    const at = (seconds: number) => DateTime.fromISO(NOW, { zone: 'utc' }).plus({ seconds });

    test('When Conditions NotOnOrAfter has passed by the skew, then saml_expired; 1 s inside the skew, then accepted', async () => {
      const expired = await signIn({ notOnOrAfter: at(-60) });
      await rejects(validateSamlResponse(config, expired.posted, deps), 'saml_expired');
      const inside = await signIn({ notOnOrAfter: at(-59) });
      assert.equal((await validateSamlResponse(config, inside.posted, deps)).subject, alice.nameId);
    });

    test('When the bearer SubjectConfirmationData NotOnOrAfter has passed, then saml_expired', async () => {
      const { posted } = await signIn({ subjectNotOnOrAfter: at(-61) });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_expired');
    });

    test('When the clock moves past the assertion lifetime before it is posted, then saml_expired', async () => {
      const { posted } = await signIn();
      clock.set(at(5 * 60 + 60));
      try {
        await rejects(validateSamlResponse(config, posted, deps), 'saml_expired');
      } finally {
        clock.set(NOW);
      }
    });

    test('When NotBefore is more than the skew ahead, then saml_not_yet_valid; exactly the skew ahead, then accepted', async () => {
      const early = await signIn({ notBefore: at(61) });
      await rejects(validateSamlResponse(config, early.posted, deps), 'saml_not_yet_valid');
      const edge = await signIn({ notBefore: at(60) });
      assert.equal((await validateSamlResponse(config, edge.posted, deps)).subject, alice.nameId);
    });

    test('When the bearer SubjectConfirmationData NotBefore is ahead by more than the skew, then saml_not_yet_valid', async () => {
      const { posted } = await signIn({ subjectNotBefore: at(90) });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_not_yet_valid');
    });

    test('When the request is older than 10 minutes, then saml_unknown_request', async () => {
      const { redirectUrl } = await startSamlLogin(config, 'r', deps);
      clock.set(at(10 * 60 + 1));
      try {
        const posted = await idp.respond(redirectUrl, alice);
        await rejects(validateSamlResponse(config, posted, deps), 'saml_unknown_request');
      } finally {
        clock.set(NOW);
      }
    });
  });

  describe('InResponseTo and replay', () => {
    test('When the same response is posted twice, then the second is saml_replayed', async () => {
      const { posted } = await signIn();
      await validateSamlResponse(config, posted, deps);
      await rejects(validateSamlResponse(config, posted, deps), 'saml_replayed');
    });

    test('When the response answers a request id we never issued, then saml_unknown_request', async () => {
      const { posted } = await signIn({ inResponseTo: '_never-issued-by-us' });
      await rejects(validateSamlResponse(config, posted, deps), 'saml_unknown_request');
    });

    test("When a response to connection 1's request is posted to connection 2's ACS, then saml_unknown_request", async () => {
      const second = connection(2, { spEntityId: config.spEntityId, acsUrl: config.acsUrl });
      const { posted } = await signIn();
      await rejects(validateSamlResponse(second, posted, deps), 'saml_unknown_request');
    });

    test('When the unsigned Response says one request and the signed assertion another (node-saml#433), then saml_unknown_request', async () => {
      const cfg = connection(1, { responseSigned: false });
      const { redirectUrl } = await startSamlLogin(cfg, 'r', deps);
      const { requestId: otherId } = await startSamlLogin(cfg, 'r', deps);
      const posted = await idp.respond(redirectUrl, alice, {
        sign: 'assertion',
        subjectInResponseTo: otherId,
      });
      await rejects(validateSamlResponse(cfg, posted, deps), 'saml_unknown_request');
    });

    test('When a response arrives unsolicited and IdP-initiated sign-in is off, then saml_unsolicited', async () => {
      const posted = await idp.idpInitiated(alice);
      await rejects(validateSamlResponse(config, posted, deps), 'saml_unsolicited');
    });

    test('When IdP-initiated sign-in is on, then an unsolicited response is accepted once and its replay is saml_replayed', async () => {
      const cfg = connection(1, { idpInitiated: true });
      const posted = await idp.idpInitiated(alice);
      assert.equal((await validateSamlResponse(cfg, posted, deps)).subject, alice.nameId);
      await rejects(validateSamlResponse(cfg, posted, deps), 'saml_replayed');
    });

    test('When IdP-initiated sign-in is on but the unsolicited response was issued over 5 minutes ago, then saml_expired', async () => {
      const cfg = connection(1, { idpInitiated: true });
      const posted = await idp.idpInitiated(alice, {
        issueInstant: DateTime.fromISO(NOW).minus({ minutes: 7 }),
        notOnOrAfter: DateTime.fromISO(NOW).plus({ minutes: 30 }),
        subjectNotOnOrAfter: DateTime.fromISO(NOW).plus({ minutes: 30 }),
      });
      await rejects(validateSamlResponse(cfg, posted, deps), 'saml_expired');
    });

    test('When IdP-initiated sign-in is on, then solicited responses still need a known request', async () => {
      const cfg = connection(1, { idpInitiated: true });
      const { posted } = await signIn({ inResponseTo: '_never-issued-by-us' }, alice, cfg);
      await rejects(validateSamlResponse(cfg, posted, deps), 'saml_unknown_request');
    });
  });

  describe('provider errors', () => {
    test('When the IdP answers with an error status and no assertion, then saml_idp_refused without its message', async () => {
      const cfg = connection(1, { responseSigned: false });
      const { posted } = await signIn(
        {
          sign: 'assertion',
          rewrite: (xml) =>
            xml
              .replace(/<saml:Assertion[\s\S]*<\/saml:Assertion>/, '')
              .replace(
                /<samlp:StatusCode Value="[^"]*"\/>/,
                '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"/><samlp:StatusMessage>AADSTS50105: internal detail</samlp:StatusMessage>',
              ),
        },
        alice,
        cfg,
      );
      await assert.rejects(validateSamlResponse(cfg, posted, deps), (err: unknown) => {
        assert.ok(err instanceof SsoError);
        assert.equal(err.code, 'saml_idp_refused');
        assert.doesNotMatch(err.message, /AADSTS/);
        return true;
      });
    });
  });

  describe('input limits', () => {
    test('When the SAMLResponse is larger than 256 KiB, then saml_too_large (413)', async () => {
      const { posted } = await signIn({
        rewrite: (xml) => xml.replace('<samlp:Status>', `<!--${'x'.repeat(200_000)}--><samlp:Status>`),
      });
      assert.ok(posted.SAMLResponse.length > 256 * 1024);
      await rejects(validateSamlResponse(config, posted, deps), 'saml_too_large', 413);
    });

    test('When the SAMLResponse is missing or not XML, then saml_malformed (400)', async () => {
      await rejects(validateSamlResponse(config, {}, deps), 'saml_malformed', 400);
      await rejects(
        validateSamlResponse(config, { SAMLResponse: Buffer.from('<not xml').toString('base64') }, deps),
        'saml_malformed',
        400,
      );
      await rejects(
        validateSamlResponse(config, { SAMLResponse: 'not base64 !!' }, deps),
        'saml_malformed',
        400,
      );
    });
  });

  describe('metadata', () => {
    test('When SP metadata is generated, then it names the entity, the ACS and WantAssertionsSigned="true"', () => {
      const xml = samlServiceProviderMetadata(config);
      assert.match(xml, new RegExp(`entityID="${config.spEntityId}"`));
      assert.match(xml, new RegExp(`Location="${config.acsUrl}"`));
      assert.match(xml, /WantAssertionsSigned="true"/);
      assert.match(xml, /urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST/);
    });

    test('When IdP metadata is imported, then entity id, redirect SSO URL and signing certificate come out, and they work', async () => {
      const imported = parseIdpMetadata(idp.metadataXml);
      assert.deepEqual(imported, {
        idpEntityId: idp.entityId,
        idpSsoUrl: idp.ssoUrl,
        idpCerts: [idp.certBase64],
      });
      const cfg = connection(1, imported);
      const { posted } = await signIn({}, alice, cfg);
      assert.equal((await validateSamlResponse(cfg, posted, deps)).subject, alice.nameId);
    });

    test('When IdP metadata is not XML, not metadata, or has no IdP, then saml_metadata_invalid', () => {
      for (const bad of [
        '',
        '<EntityDescriptor',
        '<foo xmlns="urn:x"/>',
        samlServiceProviderMetadata(config),
      ]) {
        assert.throws(
          () => parseIdpMetadata(bad),
          (err: unknown) => err instanceof SsoError && err.code === 'saml_metadata_invalid',
        );
      }
    });
  });
});
