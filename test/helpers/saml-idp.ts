// An offline SAML 2.0 identity provider for tests: samlify as the IdP, with a key pair made at start.
// It parses the service provider's real HTTP-Redirect AuthnRequest and answers with a real
// XML-DSig-signed Response, which overrides can bend into every shape a service provider must refuse.
//
// Keys: the RSA key pair comes from node:crypto (generateKeyPairSync); node:crypto cannot write an
// X.509 certificate, so the self-signed certificate over that key is made by `openssl req -x509`
// (child_process, into a temporary directory that close() removes).
//
// As a real IdP does with the SP's metadata, it encrypts assertions to the SP's certificate
// (KeyDescriptor use="encryption"), and checks the SP's AuthnRequest signatures with its signing
// certificate when the metadata says AuthnRequestsSigned="true". Both are written here with
// node:crypto from XML Encryption 1.1 and SAML bindings §3.4.4.1, not with the libraries the
// service provider uses, so the two sides are independent implementations.
import { execFileSync } from 'node:child_process';
import {
  constants,
  createCipheriv,
  createPublicKey,
  createVerify,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import type { DateTime } from 'luxon';
import * as samlify from 'samlify';

// samlify refuses to run without an XML schema validator. This IdP only parses AuthnRequests made
// by the code under test and only we consume its output (we are the SP under test), so accepting
// every document is fine here; it would not be for a real service provider.
samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const NS_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const NS_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const NS_DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const NS_XENC = 'http://www.w3.org/2001/04/xmlenc#';
const NS_METADATA = 'urn:oasis:names:tc:SAML:2.0:metadata';

/** Content encryption the test IdP can use (XML Encryption 1.1 §5.2.2 CBC, §5.2.4 GCM). */
export const CONTENT_ALGORITHMS = {
  'aes256-gcm': { uri: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', cipher: 'aes-256-gcm', keyBytes: 32 },
  'aes128-gcm': { uri: 'http://www.w3.org/2009/xmlenc11#aes128-gcm', cipher: 'aes-128-gcm', keyBytes: 16 },
  'aes256-cbc': { uri: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc', cipher: 'aes-256-cbc', keyBytes: 32 },
  'aes128-cbc': { uri: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc', cipher: 'aes-128-cbc', keyBytes: 16 },
} as const;

/** How the test IdP encrypts an assertion (SAML core §2.3.4). */
export interface EncryptionOverrides {
  readonly algorithm: keyof typeof CONTENT_ALGORITHMS;
  /**
   * The certificate to encrypt to (PEM or base64 body); default: the first KeyDescriptor
   * use="encryption" of the SP metadata the IdP holds.
   */
  readonly cert?: string;
  /** Key transport: RSA-OAEP (the default) or RSA PKCS#1 v1.5, which an SP must refuse. */
  readonly keyTransport?: 'rsa-oaep' | 'rsa-1_5';
  /**
   * Where the EncryptedKey goes (SAML core §2.3.4 allows both): inside EncryptedData's KeyInfo (the
   * default), or beside EncryptedData in the EncryptedAssertion, referenced by a RetrievalMethod.
   */
  readonly keyPlacement?: 'inside' | 'sibling';
  /** After encrypting: flip the ciphertext bit that changes the NameID's last character. */
  readonly tamperCiphertext?: boolean;
}

export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
export const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const NAMEID_TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

export interface SamlUser {
  readonly nameId: string;
  readonly nameIdFormat?: string;
  /** Attribute name → one value or several (multi-valued attribute). */
  readonly attributes?: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * Bends the response for negative tests. Times are absolute; omit one for the default (relative to
 * `now()`), or pass null to leave the attribute out.
 */
export interface ResponseOverrides {
  readonly issuer?: string;
  /** Issuer of the Response element only (default: same as `issuer`). */
  readonly responseIssuer?: string;
  readonly audience?: string;
  readonly recipient?: string;
  readonly destination?: string | null;
  /** Both Response/@InResponseTo and SubjectConfirmationData/@InResponseTo. */
  readonly inResponseTo?: string | null;
  /** Only SubjectConfirmationData/@InResponseTo (inside the assertion's signature). */
  readonly subjectInResponseTo?: string | null;
  readonly issueInstant?: DateTime;
  readonly notBefore?: DateTime | null;
  readonly notOnOrAfter?: DateTime | null;
  readonly subjectNotBefore?: DateTime | null;
  readonly subjectNotOnOrAfter?: DateTime | null;
  readonly assertionId?: string;
  /** Which signatures to make: default 'both' (Response and Assertion). */
  readonly sign?: 'both' | 'assertion' | 'response' | 'none';
  readonly signatureAlgorithm?: 'rsa-sha256' | 'rsa-sha1';
  /** After signing: change the NameID (and the first attribute value) in place. */
  readonly tamper?: boolean;
  /**
   * Signature wrapping, after signing: 'extra-assertion' adds an unsigned forged Assertion beside
   * the signed one; 'moved-signature' (XSW) puts a forged Assertion in the signed one's place,
   * carrying the original signature, with the original tucked inside that signature's ds:Object.
   */
  readonly wrap?: 'extra-assertion' | 'moved-signature';
  /** Applied to the final XML before base64 (e.g. to pad it). */
  readonly rewrite?: (xml: string) => string;
  /**
   * Encrypt the assertion (signed first, the Response signed after: sign, encrypt, sign). `tamper`
   * and `wrap: 'moved-signature'` then happen to the assertion before it is encrypted, as an
   * attacker who encrypts to the SP's public certificate would do; `wrap: 'extra-assertion'` adds a
   * forged plain assertion beside the EncryptedAssertion.
   */
  readonly encrypt?: EncryptionOverrides;
}

export interface SamlIdpOptions {
  /** The SP's metadata XML (what an administrator would upload to the IdP). */
  readonly spMetadata: string;
  readonly entityId?: string;
  readonly ssoUrl?: string;
  /** What "now" is for the times the IdP writes (use the test's clock). */
  readonly now: () => DateTime;
}

export interface SamlIdp {
  readonly entityId: string;
  readonly ssoUrl: string;
  /** The signing certificate, PEM. */
  readonly certPem: string;
  /** The certificate's base64 body (what metadata carries). */
  readonly certBase64: string;
  /** IdP metadata XML, as an administrator would download it. */
  readonly metadataXml: string;
  /**
   * Answers the SP's AuthnRequest (the full redirect URL the SP produced), as the browser would
   * POST it to the ACS.
   */
  respond(
    authnRequestRedirectUrl: string,
    user: SamlUser,
    overrides?: ResponseOverrides,
  ): Promise<{ SAMLResponse: string; RelayState: string }>;
  /** An unsolicited (IdP-initiated) response: no InResponseTo. */
  idpInitiated(
    user: SamlUser,
    overrides?: ResponseOverrides,
  ): Promise<{ SAMLResponse: string; RelayState: string }>;
  /**
   * The AuthnRequest as this IdP parsed it (id, ACS URL, issuer), for assertions. Like respond(),
   * it refuses (throws) a request whose signature does not verify with the SP metadata's signing
   * certificates, or that is unsigned, when the metadata says AuthnRequestsSigned="true".
   */
  parseRequest(authnRequestRedirectUrl: string): Promise<{ id: string; issuer: string; acsUrl: string }>;
  /**
   * Whether the AuthnRequest (the redirect URL) is signed, as parseRequest checks it: true when the
   * signature verifies with a signing certificate of the SP metadata; throws as parseRequest does.
   */
  requestSigned(authnRequestRedirectUrl: string): boolean;
  /** Reads the SP's metadata again (after a key rotation, or an option that changes it). */
  useSpMetadata(xml: string): void;
  close(): void;
}

/** A key pair and a self-signed certificate for it (see the file header for how). */
export function makeSigningKey(commonName = 'seatkeeper-test-idp'): {
  privateKeyPem: string;
  certPem: string;
  certBase64: string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'seatkeeper-saml-idp-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  writeFileSync(keyPath, privateKeyPem, { mode: 0o600 });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-new',
      '-key',
      keyPath,
      '-out',
      certPath,
      '-days',
      '3650',
      '-sha256',
      '-subj',
      `/CN=${commonName}`,
    ],
    { stdio: 'pipe' },
  );
  const certPem = readFileSync(certPath, 'utf8');
  const certBase64 = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return { privateKeyPem, certPem, certBase64, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startSamlIdp(options: SamlIdpOptions): SamlIdp {
  const entityId = options.entityId ?? 'https://idp.test/saml';
  const ssoUrl = options.ssoUrl ?? 'https://idp.test/saml/sso';
  const key = makeSigningKey();

  const idpFor = (algorithm: string) =>
    samlify.IdentityProvider({
      entityID: entityId,
      privateKey: key.privateKeyPem,
      signingCert: key.certPem,
      requestSignatureAlgorithm: algorithm,
      singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: ssoUrl }],
      nameIDFormat: [NAMEID_PERSISTENT],
    });
  const idp = idpFor(RSA_SHA256);
  const idpSha1 = idpFor(RSA_SHA1);
  // The SP as the administrator registered it: from its metadata.
  let sp = samlify.ServiceProvider({ metadata: options.spMetadata });
  let spMetadataXml = options.spMetadata;
  let spEntityId = sp.entityMeta.getEntityID();
  let acsFromMetadata = String(sp.entityMeta.getAssertionConsumerService('post'));

  async function parseRequest(redirectUrl: string) {
    const url = new URL(redirectUrl);
    const signed = verifyRequestSignature(url, spMetadataXml);
    const query = Object.fromEntries(url.searchParams);
    const parsed = await idp.parseLoginRequest(sp, 'redirect', { query, octetString: url.search.slice(1) });
    const extract = parsed.extract as {
      request?: { id?: string; assertionConsumerServiceUrl?: string };
      issuer?: string;
    };
    const id = extract.request?.id;
    if (!id) throw new Error('test IdP: the AuthnRequest has no ID');
    return {
      id,
      issuer: String(extract.issuer ?? ''),
      acsUrl: extract.request?.assertionConsumerServiceUrl ?? acsFromMetadata,
      relayState: url.searchParams.get('RelayState') ?? '',
      signed,
    };
  }

  /** samlify signs the Assertion and/or the Response of `xml` (a throwaway SP entity says which). */
  async function samlifySign(
    xml: string,
    requestId: string | null,
    acsUrl: string,
    which: { readonly assertion: boolean; readonly response: boolean },
    algorithm: ResponseOverrides['signatureAlgorithm'],
  ): Promise<string> {
    const signer = samlify.ServiceProvider({
      entityID: spEntityId,
      assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: acsUrl }],
      wantAssertionsSigned: which.assertion,
      wantMessageSigned: which.response,
    });
    const result = await (algorithm === 'rsa-sha1' ? idpSha1 : idp).createLoginResponse(
      signer,
      { extract: { request: { id: requestId ?? '' } } },
      'post',
      { email: '' },
      { customTagReplacement: () => ({ id: '', context: xml }) },
    );
    return Buffer.from(String(result.context), 'base64').toString('utf8');
  }

  async function build(
    request: { id: string | null; acsUrl: string },
    user: SamlUser,
    o: ResponseOverrides,
  ): Promise<string> {
    const now = options.now().toUTC();
    const pick = <T>(value: T | null | undefined, fallback: T): T | null =>
      value === undefined ? fallback : value;
    const inResponseTo = pick(o.inResponseTo, request.id);
    const subjectInResponseTo = o.subjectInResponseTo === undefined ? inResponseTo : o.subjectInResponseTo;
    const issuer = o.issuer ?? entityId;
    const xml = responseXml({
      responseId: `_${randomBytes(16).toString('hex')}`,
      assertionId: o.assertionId ?? `_${randomBytes(16).toString('hex')}`,
      issueInstant: iso(o.issueInstant ?? now),
      destination: pick(o.destination, request.acsUrl),
      inResponseTo,
      subjectInResponseTo,
      responseIssuer: o.responseIssuer ?? issuer,
      issuer,
      nameId: user.nameId,
      nameIdFormat: user.nameIdFormat ?? NAMEID_PERSISTENT,
      recipient: o.recipient ?? request.acsUrl,
      subjectNotBefore: isoOrNull(pick(o.subjectNotBefore, null)),
      subjectNotOnOrAfter: isoOrNull(pick(o.subjectNotOnOrAfter, now.plus({ minutes: 5 }))),
      notBefore: isoOrNull(pick(o.notBefore, now)),
      notOnOrAfter: isoOrNull(pick(o.notOnOrAfter, now.plus({ minutes: 5 }))),
      audience: o.audience ?? spEntityId,
      authnInstant: iso(now),
      attributes: user.attributes ?? {},
    });

    const sign = o.sign ?? 'both';
    if (o.encrypt) {
      // Sign the assertion, encrypt it, then sign the Response over the EncryptedAssertion.
      let inner =
        sign === 'both' || sign === 'assertion'
          ? await samlifySign(
              xml,
              request.id,
              request.acsUrl,
              { assertion: true, response: false },
              o.signatureAlgorithm,
            )
          : xml;
      if (o.tamper) inner = tamper(inner, user);
      if (o.wrap === 'moved-signature') inner = wrap(inner, 'moved-signature');
      const cert = o.encrypt.cert ?? encryptionCertificates(spMetadataXml)[0];
      if (!cert) throw new Error('test IdP: the SP metadata has no encryption certificate');
      let encrypted = encryptAssertionIn(inner, cert, o.encrypt, o.wrap === 'extra-assertion');
      if (sign === 'both' || sign === 'response')
        encrypted = await samlifySign(
          encrypted,
          request.id,
          request.acsUrl,
          { assertion: false, response: true },
          o.signatureAlgorithm,
        );
      if (o.rewrite) encrypted = o.rewrite(encrypted);
      return Buffer.from(encrypted, 'utf8').toString('base64');
    }
    // samlify signs the assertion when the SP wants signed assertions, and the Response when the SP
    // wants signed messages (or does not want signed assertions). A throwaway SP entity says which.
    const signer = samlify.ServiceProvider({
      entityID: spEntityId,
      assertionConsumerService: [
        { Binding: samlify.Constants.namespace.binding.post, Location: request.acsUrl },
      ],
      wantAssertionsSigned: sign !== 'response',
      wantMessageSigned: sign === 'both' || sign === 'none',
    });
    const issuingIdp = o.signatureAlgorithm === 'rsa-sha1' ? idpSha1 : idp;
    const result = await issuingIdp.createLoginResponse(
      signer,
      { extract: { request: { id: request.id ?? '' } } },
      'post',
      { email: user.nameId },
      { customTagReplacement: () => ({ id: '', context: xml }) },
    );
    let signed = Buffer.from(String(result.context), 'base64').toString('utf8');
    if (sign === 'none') signed = removeSignatures(signed);
    if (o.tamper) signed = tamper(signed, user);
    if (o.wrap) signed = wrap(signed, o.wrap);
    if (o.rewrite) signed = o.rewrite(signed);
    return Buffer.from(signed, 'utf8').toString('base64');
  }

  return {
    entityId,
    ssoUrl,
    certPem: key.certPem,
    certBase64: key.certBase64,
    metadataXml: idp.getMetadata(),
    async respond(authnRequestRedirectUrl, user, overrides = {}) {
      const request = await parseRequest(authnRequestRedirectUrl);
      return { SAMLResponse: await build(request, user, overrides), RelayState: request.relayState };
    },
    async idpInitiated(user, overrides = {}) {
      return {
        SAMLResponse: await build({ id: null, acsUrl: acsFromMetadata }, user, overrides),
        RelayState: '',
      };
    },
    async parseRequest(authnRequestRedirectUrl) {
      const { id, issuer, acsUrl } = await parseRequest(authnRequestRedirectUrl);
      return { id, issuer, acsUrl };
    },
    requestSigned: (authnRequestRedirectUrl) =>
      verifyRequestSignature(new URL(authnRequestRedirectUrl), spMetadataXml),
    useSpMetadata(xml) {
      sp = samlify.ServiceProvider({ metadata: xml });
      spMetadataXml = xml;
      spEntityId = sp.entityMeta.getEntityID();
      acsFromMetadata = String(sp.entityMeta.getAssertionConsumerService('post'));
    },
    close: key.cleanup,
  };
}

// ---------------------------------------------------------------------------------------------

interface ResponseFields {
  responseId: string;
  assertionId: string;
  issueInstant: string;
  destination: string | null;
  inResponseTo: string | null;
  subjectInResponseTo: string | null;
  responseIssuer: string;
  issuer: string;
  nameId: string;
  nameIdFormat: string;
  recipient: string;
  subjectNotBefore: string | null;
  subjectNotOnOrAfter: string | null;
  notBefore: string | null;
  notOnOrAfter: string | null;
  audience: string;
  authnInstant: string;
  attributes: Readonly<Record<string, string | readonly string[]>>;
}

function responseXml(f: ResponseFields): string {
  const attr = (name: string, value: string | null) => (value === null ? '' : ` ${name}="${esc(value)}"`);
  const attributes = Object.entries(f.attributes)
    .map(([name, value]) => {
      const list = typeof value === 'string' ? [value] : value;
      const values = list
        .map((v) => `<saml:AttributeValue xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`)
        .join('');
      return `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">${values}</saml:Attribute>`;
    })
    .join('');
  return (
    `<samlp:Response xmlns:samlp="${NS_PROTOCOL}" xmlns:saml="${NS_ASSERTION}" ID="${f.responseId}" Version="2.0" IssueInstant="${f.issueInstant}"` +
    `${attr('Destination', f.destination)}${attr('InResponseTo', f.inResponseTo)}>` +
    `<saml:Issuer>${esc(f.responseIssuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion xmlns:saml="${NS_ASSERTION}" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="${f.assertionId}" Version="2.0" IssueInstant="${f.issueInstant}">` +
    `<saml:Issuer>${esc(f.issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${esc(f.nameIdFormat)}">${esc(f.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData` +
    `${attr('NotBefore', f.subjectNotBefore)}${attr('NotOnOrAfter', f.subjectNotOnOrAfter)}${attr('Recipient', f.recipient)}${attr('InResponseTo', f.subjectInResponseTo)}/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions${attr('NotBefore', f.notBefore)}${attr('NotOnOrAfter', f.notOnOrAfter)}>` +
    `<saml:AudienceRestriction><saml:Audience>${esc(f.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${f.authnInstant}" SessionIndex="_s${randomBytes(8).toString('hex')}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
    `</saml:Assertion></samlp:Response>`
  );
}

// ---------------------------------------------------------------------------------------------
// What an IdP reads from SP metadata, encryption, and AuthnRequest signatures

/** The certificates (base64 bodies) of KeyDescriptors with `use` (or no `use`: both) in SP metadata. */
function metadataCertificates(metadataXml: string, use: 'signing' | 'encryption'): string[] {
  const doc = new DOMParser().parseFromString(metadataXml, 'text/xml');
  return Array.from(doc.getElementsByTagNameNS(NS_METADATA, 'KeyDescriptor'))
    .filter((kd) => (kd.getAttribute('use') || use) === use)
    .flatMap((kd) => Array.from(kd.getElementsByTagNameNS(NS_DSIG, 'X509Certificate')))
    .map((c) => (c.textContent ?? '').replace(/\s+/g, ''))
    .filter((c) => c !== '');
}

/** The encryption certificates of SP metadata, in document order (what an IdP encrypts to). */
export const encryptionCertificates = (metadataXml: string) =>
  metadataCertificates(metadataXml, 'encryption');
/** The signing certificates of SP metadata (what an IdP checks AuthnRequest signatures with). */
export const signingCertificates = (metadataXml: string) => metadataCertificates(metadataXml, 'signing');

const pemOf = (cert: string) =>
  cert.includes('BEGIN CERTIFICATE')
    ? cert
    : `-----BEGIN CERTIFICATE-----\n${cert.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;

/**
 * SAML bindings §3.4.4.1: the signature is over `SAMLRequest=…&RelayState=…&SigAlg=…` exactly as
 * the parameters appear, URL-encoded, in the query. Required when the SP metadata says
 * AuthnRequestsSigned="true" (metadata §2.4.4); checked whenever present. Returns whether it was
 * signed; throws when a signature is required and missing, or does not verify.
 */
function verifyRequestSignature(url: URL, spMetadataXml: string): boolean {
  const raw = new Map(
    url.search
      .slice(1)
      .split('&')
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as const),
  );
  const doc = new DOMParser().parseFromString(spMetadataXml, 'text/xml');
  const descriptor = doc.getElementsByTagNameNS(NS_METADATA, 'SPSSODescriptor')[0];
  const required = descriptor?.getAttribute('AuthnRequestsSigned') === 'true';
  const signature = raw.get('Signature');
  const sigAlg = raw.get('SigAlg');
  if (signature === undefined || sigAlg === undefined) {
    if (required) throw new Error('test IdP: the AuthnRequest is not signed, and the SP metadata says it is');
    return false;
  }
  if (decodeURIComponent(sigAlg) !== RSA_SHA256)
    throw new Error('test IdP: AuthnRequest SigAlg is not RSA-SHA256');
  const octets = ['SAMLRequest', 'RelayState', 'SigAlg']
    .filter((name) => raw.has(name))
    .map((name) => `${name}=${raw.get(name)}`)
    .join('&');
  const signatureBytes = Buffer.from(decodeURIComponent(signature), 'base64');
  const verifies = signingCertificates(spMetadataXml).some((cert) =>
    createVerify('RSA-SHA256')
      .update(octets)
      .verify(createPublicKey(pemOf(cert)), signatureBytes),
  );
  if (!verifies) throw new Error('test IdP: the AuthnRequest signature does not verify');
  return true;
}

/**
 * Replaces the Response's Assertion with an EncryptedAssertion (SAML core §2.3.4): the assertion
 * encrypted under a fresh content key, which is encrypted to `cert` (XML Encryption 1.1 §5.5.2
 * RSA-OAEP, SHA-1 digest and MGF1, the rsa-oaep-mgf1p default). `extraAssertion` adds a forged,
 * unsigned plain assertion beside it.
 */
function encryptAssertionIn(
  xml: string,
  cert: string,
  e: EncryptionOverrides,
  extraAssertion: boolean,
): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const response = doc.documentElement;
  const assertion = Array.from(response.childNodes).find(
    (n): n is Element => n.nodeType === 1 && (n as Element).localName === 'Assertion',
  );
  if (!assertion) throw new Error('test IdP: no assertion to encrypt');
  const plaintext = Buffer.from(new XMLSerializer().serializeToString(assertion), 'utf8');
  const algorithm = CONTENT_ALGORITHMS[e.algorithm];
  const contentKey = randomBytes(algorithm.keyBytes);
  let ciphertext: Buffer;
  if (algorithm.cipher.endsWith('gcm')) {
    const iv = randomBytes(12);
    const cipher = createCipheriv(algorithm.cipher as 'aes-256-gcm', contentKey, iv, { authTagLength: 16 });
    ciphertext = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  } else {
    // §5.2.2: padded to the block size; the last octet is the padding's length, the others random.
    const iv = randomBytes(16);
    const padLength = 16 - (plaintext.length % 16);
    const padding = Buffer.concat([randomBytes(padLength - 1), Buffer.from([padLength])]);
    const cipher = createCipheriv(algorithm.cipher, contentKey, iv);
    cipher.setAutoPadding(false);
    ciphertext = Buffer.concat([iv, cipher.update(Buffer.concat([plaintext, padding])), cipher.final()]);
  }
  if (e.tamperCiphertext) {
    // The classic malleability attack: flip the bit that lands on the NameID's last character (in
    // CBC the same bit of the previous ciphertext block, garbling that block; in GCM the keystream
    // position itself, which the tag catches). A flip in an unsigned part (the signature's KeyInfo)
    // would go unnoticed by design of XML Signature, and prove nothing.
    const at = plaintext.indexOf('</saml:NameID>') - 1;
    if (at < 0) throw new Error('test IdP: no NameID to tamper with');
    ciphertext[algorithm.cipher.endsWith('gcm') ? 12 + at : at]! ^= 0x01;
  }
  const oaep = (e.keyTransport ?? 'rsa-oaep') === 'rsa-oaep';
  const wrappedKey = publicEncrypt(
    {
      key: createPublicKey(pemOf(cert)),
      padding: oaep ? constants.RSA_PKCS1_OAEP_PADDING : constants.RSA_PKCS1_PADDING,
      ...(oaep ? { oaepHash: 'sha1' } : {}),
    },
    contentKey,
  );
  const keyMethod = oaep
    ? `<xenc:EncryptionMethod Algorithm="${NS_XENC}rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="${NS_DSIG}sha1"/></xenc:EncryptionMethod>`
    : `<xenc:EncryptionMethod Algorithm="${NS_XENC}rsa-1_5"/>`;
  const sibling = e.keyPlacement === 'sibling';
  const keyId = `_k${randomBytes(8).toString('hex')}`;
  const encryptedKey =
    `<xenc:EncryptedKey xmlns:xenc="${NS_XENC}" xmlns:ds="${NS_DSIG}"${sibling ? ` Id="${keyId}"` : ''}>${keyMethod}` +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pemOf(cert).replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${wrappedKey.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
    `</xenc:EncryptedKey>`;
  const encryptedXml =
    `<saml:EncryptedAssertion xmlns:saml="${NS_ASSERTION}">` +
    `<xenc:EncryptedData xmlns:xenc="${NS_XENC}" xmlns:ds="${NS_DSIG}" Type="${NS_XENC}Element">` +
    `<xenc:EncryptionMethod Algorithm="${algorithm.uri}"/>` +
    (sibling
      ? `<ds:KeyInfo><ds:RetrievalMethod URI="#${keyId}" Type="${NS_XENC}EncryptedKey"/></ds:KeyInfo>`
      : `<ds:KeyInfo>${encryptedKey}</ds:KeyInfo>`) +
    `<xenc:CipherData><xenc:CipherValue>${ciphertext.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
    `</xenc:EncryptedData>${sibling ? encryptedKey : ''}</saml:EncryptedAssertion>`;
  const encrypted = new DOMParser().parseFromString(encryptedXml, 'text/xml').documentElement;
  response.replaceChild(doc.importNode(encrypted, true), assertion);
  if (extraAssertion) {
    const forged = assertion.cloneNode(true) as Element;
    forged.setAttribute('ID', `_forged${randomBytes(8).toString('hex')}`);
    for (const sig of Array.from(forged.childNodes)) {
      if (sig.nodeType === 1 && (sig as Element).localName === 'Signature') forged.removeChild(sig);
    }
    const nameId = forged.getElementsByTagNameNS(NS_ASSERTION, 'NameID')[0];
    if (nameId) nameId.textContent = 'mallory';
    response.insertBefore(
      doc.importNode(forged, true),
      response.getElementsByTagNameNS(NS_ASSERTION, 'EncryptedAssertion')[0] ?? null,
    );
  }
  return new XMLSerializer().serializeToString(doc);
}

function removeSignatures(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  for (const sig of Array.from(doc.getElementsByTagNameNS(NS_DSIG, 'Signature')))
    sig.parentNode?.removeChild(sig);
  return new XMLSerializer().serializeToString(doc);
}

function tamper(xml: string, user: SamlUser): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const nameId = doc.getElementsByTagNameNS(NS_ASSERTION, 'NameID')[0];
  if (nameId) nameId.textContent = `${user.nameId}-tampered`;
  const value = doc.getElementsByTagNameNS(NS_ASSERTION, 'AttributeValue')[0];
  if (value) value.textContent = 'mallory@evil.test';
  return new XMLSerializer().serializeToString(doc);
}

function wrap(xml: string, how: 'extra-assertion' | 'moved-signature'): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const response = doc.documentElement;
  const original = Array.from(response.childNodes).find(
    (n): n is Element => n.nodeType === 1 && (n as Element).localName === 'Assertion',
  );
  if (!original) throw new Error('test IdP: nothing to wrap');
  const forged = original.cloneNode(true) as Element;
  forged.setAttribute('ID', `_forged${randomBytes(8).toString('hex')}`);
  const forgedNameId = forged.getElementsByTagNameNS(NS_ASSERTION, 'NameID')[0];
  if (forgedNameId) forgedNameId.textContent = 'mallory';
  const forgedSignature = Array.from(forged.childNodes).find(
    (n): n is Element => n.nodeType === 1 && (n as Element).localName === 'Signature',
  );
  if (how === 'extra-assertion') {
    if (forgedSignature) forged.removeChild(forgedSignature);
    response.insertBefore(forged, original);
  } else {
    // XSW: the forged assertion sits where the signed one was and carries its signature (whose
    // Reference still points at the original ID); the original hides inside ds:Object.
    if (!forgedSignature) throw new Error('test IdP: the assertion is not signed');
    const object = doc.createElementNS(NS_DSIG, 'ds:Object');
    const hidden = original.cloneNode(true) as Element;
    for (const sig of Array.from(hidden.childNodes)) {
      if (sig.nodeType === 1 && (sig as Element).localName === 'Signature') hidden.removeChild(sig);
    }
    object.appendChild(hidden);
    forgedSignature.appendChild(object);
    response.replaceChild(forged, original);
  }
  return new XMLSerializer().serializeToString(doc);
}

function esc(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function iso(t: DateTime): string {
  return t.toUTC().toISO({ suppressMilliseconds: false }) ?? '';
}

function isoOrNull(t: DateTime | null): string | null {
  return t === null ? null : iso(t);
}
