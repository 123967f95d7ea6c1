// SAML 2.0 service provider for one connection: builds the AuthnRequest and validates the IdP's
// Response (node-saml plus the checks node-saml leaves to us). What the signed assertion says of the
// person is read in saml-claims.ts, metadata in saml-metadata.ts. Storage is behind two small
// interfaces; nothing here touches the database.
//
// Validation is two steps. verifySamlResponse is pure (the document and "now" in, a verdict out):
// signatures, addressing and times, which is nearly all of the work and runs in a worker thread where
// the caller has a pool (saml-verifier-pool.ts). acceptSamlResponse is the stateful rest, the
// InResponseTo cache and the consumed assertion ids, on the caller's thread, where the caller can
// make it part of the sign-in's transaction. validateSamlResponse runs both.
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import {
  SAML,
  SamlStatusError,
  ValidateInResponseTo,
  type CacheItem,
  type CacheProvider,
  type Profile,
  type SamlConfig,
} from '@node-saml/passport-saml';
// A dependency of @node-saml/node-saml (0.8.x, ≥ 0.8.4 for CVE-2022-39353); the same parser node-saml uses.
import { DateTime } from 'luxon';
import type { Clock } from '../domain/clock.js';
import type { ExternalIdentity } from '../provisioning/identity.js';
import { SsoError, type SsoErrorCode } from './errors.js';
import { openEncryptedAssertion } from './saml-encryption.js';
import { samlIdentity } from './saml-claims.js';
import { installSamlSpeedups } from './saml-speedups.js';
import { samlDirectApplies, verifyPostResponseDirect } from './saml-direct.js';
import { child, children, elements, NS, nonEmpty, parseXml, textOf } from './saml-xml.js';

// Wherever this module runs SAML (this thread, each verifier worker), the libraries' speed-ups are
// in place; the results are the same with or without them (saml-speedups.ts).
installSamlSpeedups();

/** One SAML connection as the adapter needs it (the stored JSON config plus ids and URLs). */
export interface SamlConnectionConfig {
  readonly connectionId: number;
  /** Our entity id for this connection; also the required Audience. */
  readonly spEntityId: string;
  /** Our Assertion Consumer Service URL; the required Recipient and Destination. */
  readonly acsUrl: string;
  /** The IdP's entity id; the required Issuer. */
  readonly idpEntityId: string;
  /** Where the AuthnRequest is sent (HTTP-Redirect binding). */
  readonly idpSsoUrl: string;
  /** Signing certificates (PEM or the base64 body); several while the IdP rotates its key. */
  readonly idpCerts: readonly string[];
  /**
   * Whether the Response itself must be signed as well as the assertion (which always must be).
   * Entra signs only the assertion by default; prefer "Sign SAML response and assertion".
   */
  readonly responseSigned: boolean;
  /** NameIDPolicy Format to request, or null to let the IdP choose. */
  readonly nameIdFormat: string | null;
  /** Attribute names to read; unset entries fall back to common names (saml-claims.ts, DEFAULT_ATTRIBUTES). */
  readonly attributeMap: {
    readonly email?: string;
    readonly displayName?: string;
    readonly givenName?: string;
    readonly familyName?: string;
    readonly groups?: string;
  };
  /** Accept unsolicited (IdP-initiated) responses. Off unless an administrator turns it on. */
  readonly idpInitiated: boolean;
  /**
   * The connection's SP private keys (PKCS#8 PEM) that may decrypt an EncryptedAssertion: the
   * current key, a next one, and a previous one during its overlap (saml-encryption.ts).
   */
  readonly decryptionKeys?: readonly string[];
  /** Refuse a response whose assertion is not encrypted (saml_assertion_not_encrypted). */
  readonly requireEncryptedAssertions?: boolean;
  /** Sign AuthnRequests (HTTP-Redirect: SigAlg and Signature, SAML bindings §3.4.4.1). */
  readonly signAuthnRequests?: boolean;
  /** The current SP private key (PKCS#8 PEM), which signs AuthnRequests. */
  readonly signingKey?: string | null;
}

/** The InResponseTo cache: AuthnRequest ids we issued, per connection, each usable once. */
export interface SamlRequestCache {
  save(connectionId: number, requestId: string, at: DateTime): void;
  /**
   * Removes the id and says whether it was there and saved at or after `notBefore`. One-time: a
   * second take of the same id is false. Ids of one connection are invisible to another.
   */
  take(connectionId: number, requestId: string, notBefore: DateTime): Promise<boolean>;
}

/** Assertion ids already accepted, per connection, kept until `expiresAt`. */
export interface ConsumedAssertions {
  /** Records the id; false if it was already recorded (and has not expired). */
  consume(connectionId: number, assertionId: string, expiresAt: DateTime): Promise<boolean>;
}

/**
 * What a response proves once its signatures, addressing and times are checked (everything but the
 * InResponseTo cache and the replay cache, which acceptSamlResponse consults). Plain data: it is
 * passed to and from worker threads.
 */
export interface VerifiedSamlResponse {
  readonly identity: ExternalIdentity;
  /** The signed assertion's ID (SAML core §2.3.3), used once. */
  readonly assertionId: string;
  /** How long the assertion id is kept: its latest NotOnOrAfter plus the skew (ISO 8601, UTC). */
  readonly keepUntil: string;
  /** The AuthnRequest it answers (SAML profiles §4.1.4.2); null for an unsolicited response. */
  readonly inResponseTo: string | null;
}

/** Runs verifySamlResponse somewhere: in this thread, or in a pool of worker threads. */
export interface SamlVerifier {
  /**
   * Verifies `samlResponse` (as readSamlResponse returned it) as of `now`; rejects with an
   * SsoError naming the rule that broke.
   */
  verify(config: SamlConnectionConfig, samlResponse: string, now: DateTime): Promise<VerifiedSamlResponse>;
}

export interface SamlDeps {
  readonly clock: Clock;
  readonly requests: SamlRequestCache;
  readonly consumedAssertions: ConsumedAssertions;
  /** Where signatures are verified; this thread when absent. */
  readonly verifier?: SamlVerifier;
}

/** Clock skew allowed on every NotBefore / NotOnOrAfter (both ours and node-saml's). */
export const SAML_CLOCK_SKEW_MS = 60_000;
/** How long an AuthnRequest id stays answerable. */
export const SAML_REQUEST_TTL_MS = 10 * 60_000;
/** IdP-initiated responses must have been issued this recently (there is no request to bound them). */
export const SAML_IDP_INITIATED_MAX_AGE_MS = 5 * 60_000;
/** Largest SAMLResponse accepted, counted in base64 characters as posted. */
export const SAML_MAX_RESPONSE_BASE64 = 256 * 1024;

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** Only SHA-2 signatures and digests (node-saml verifies whatever xml-crypto supports, SHA-1 included). */
const ALLOWED_SIGNATURE_METHODS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const ALLOWED_DIGEST_METHODS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);

// ---------------------------------------------------------------------------------------------
// node-saml, on a given "now", with the trusted keys parsed once

/** Trusted public keys by certificate PEM, parsed once per thread (see ClockedSaml.getKeyInfosAsPem). */
const publicKeys = new Map<string, KeyObject>();
/** Bounds publicKeys: certificates of connections since deleted or rotated do not pile up. */
const PUBLIC_KEYS_MAX = 1_000;

/**
 * node-saml reads `new Date()` for every timestamp check and cannot be given a clock. Its one
 * timestamp rule, `checkTimestampsValidityError` (Conditions, SubjectConfirmationData, max age), is
 * a protected method: we run it with the given "now" instead, and remember which way it failed so
 * the error can name the rule.
 */
class ClockedSaml extends SAML {
  timeFailure: 'saml_expired' | 'saml_not_yet_valid' | null = null;

  constructor(
    options: SamlConfig,
    private readonly nowMs: number,
  ) {
    super(options);
  }

  protected override checkTimestampsValidityError(
    _systemNowMs: number,
    notBefore: string,
    notOnOrAfter: string,
    maxTimeLimitMs?: number,
  ): Error | null {
    const err = super.checkTimestampsValidityError(this.nowMs, notBefore, notOnOrAfter, maxTimeLimitMs);
    if (err) this.timeFailure = /not yet valid/.test(err.message) ? 'saml_not_yet_valid' : 'saml_expired';
    return err;
  }

  /** The keys node-saml would verify with (getKeyInfosAsPem), for the direct path (saml-direct.ts). */
  trustedKeys(): Promise<string[]> {
    return this.getKeyInfosAsPem();
  }

  /** node-saml's time rule as its processValidlySignedAssertionAsync applies it, on this "now". */
  timesError(notBefore?: string, notOnOrAfter?: string, issueInstant?: string): Error | null {
    const limit = this.calcMaxAgeAssertionTime(this.options.maxAssertionAgeMs, notOnOrAfter!, issueInstant!);
    return this.checkTimestampsValidityError(this.nowMs, notBefore!, notOnOrAfter!, limit);
  }

  /**
   * The trusted certificates as public keys. node-saml hands each entry, unchanged, to xml-crypto as
   * the verification key (`SignedXml.publicCert`, a crypto.KeyLike), which passes it to
   * crypto.verify. Given the PEM certificate, crypto.verify parses the X.509 structure again at
   * every signature (about 0.2 ms, two per sign-in); a KeyObject is parsed once. It is the same key
   * from the same certificate, and a KeyObject is refused where xml-crypto wants raw key bytes
   * (HMAC, RSA-PSS), algorithms we do not allow anyway. node-saml's own checks of the PEMs still run
   * first (super), with their errors; a certificate node:crypto cannot read stays a PEM string, so
   * it fails exactly as before.
   */
  protected override async getKeyInfosAsPem(): Promise<string[]> {
    const pems = await super.getKeyInfosAsPem();
    return pems.map((pem) => {
      let key = publicKeys.get(pem);
      if (key === undefined) {
        try {
          key = createPublicKey(pem);
        } catch {
          return pem;
        }
        if (publicKeys.size >= PUBLIC_KEYS_MAX) publicKeys.clear();
        publicKeys.set(pem, key);
      }
      return key as unknown as string;
    });
  }
}

/**
 * node-saml's CacheProvider, for the one thing we let node-saml do with it: record the id of the
 * AuthnRequest it builds (namespaced by connection: passport-saml#334, a shared cache lets one
 * connection's response answer another's request). node-saml never looks an id up through it:
 * responses are validated with ValidateInResponseTo.never, and acceptSamlResponse takes the id
 * itself, once, with the age checked on the injected clock.
 */
class RequestCacheBridge implements CacheProvider {
  constructor(
    private readonly connectionId: number,
    private readonly requests: Pick<SamlRequestCache, 'save'>,
    private readonly clock: Clock,
  ) {}

  saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const at = this.clock.now();
    this.requests.save(this.connectionId, key, at);
    return Promise.resolve({ value, createdAt: at.toMillis() });
  }

  getAsync(): Promise<string | null> {
    return Promise.resolve(null);
  }

  removeAsync(key: string | null): Promise<string | null> {
    return Promise.resolve(key);
  }
}

/** For verification, which never records or looks up a request id (see RequestCacheBridge). */
const NO_REQUEST_CACHE: CacheProvider = {
  saveAsync: () => Promise.resolve(null),
  getAsync: () => Promise.resolve(null),
  removeAsync: (key) => Promise.resolve(key),
};

function samlOptions(
  config: SamlConnectionConfig,
  cacheProvider: CacheProvider,
  validateInResponseTo: ValidateInResponseTo,
  generateUniqueId?: () => string,
): SamlConfig {
  return {
    issuer: config.spEntityId,
    audience: config.spEntityId,
    callbackUrl: config.acsUrl,
    entryPoint: config.idpSsoUrl,
    idpCert: config.idpCerts.map(normaliseCert),
    // Both signatures by default; the assertion's is required whatever the connection says.
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: config.responseSigned,
    validateInResponseTo,
    cacheProvider,
    acceptedClockSkewMs: SAML_CLOCK_SKEW_MS,
    identifierFormat: config.nameIdFormat,
    // Entra/ADFS refuse MFA / certificate sign-ins against the default exact PasswordProtectedTransport (AADSTS75011).
    disableRequestedAuthnContext: true,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    ...(generateUniqueId ? { generateUniqueId } : {}),
  };
}

function normaliseCert(cert: string): string {
  const trimmed = cert.trim();
  return trimmed.startsWith('-----BEGIN') ? trimmed : trimmed.replace(/\s+/g, '');
}

// ---------------------------------------------------------------------------------------------
// Starting a sign-in

/**
 * Builds the HTTP-Redirect AuthnRequest URL and records its id in the request cache (the only
 * proof, later, that a response answers a sign-in started here). The caller stores its own login
 * state keyed by `relayState`, which the IdP sends back unchanged.
 */
export async function startSamlLogin(
  config: SamlConnectionConfig,
  relayState: string,
  deps: { readonly clock: Clock; readonly requests: Pick<SamlRequestCache, 'save'> },
): Promise<{ redirectUrl: string; requestId: string }> {
  // SAML core §1.3.4: an xs:ID must not start with a digit.
  const requestId = `_${randomBytes(20).toString('hex')}`;
  const bridge = new RequestCacheBridge(config.connectionId, deps.requests, deps.clock);
  // "always": node-saml records the request id only when it would validate InResponseTo.
  const options = samlOptions(config, bridge, ValidateInResponseTo.always, () => requestId);
  // SAML bindings §3.4.4.1: node-saml adds SigAlg and Signature (RSA-SHA256, signatureAlgorithm
  // above) over SAMLRequest, RelayState and SigAlg when it has a private key.
  if (config.signAuthnRequests) {
    if (!config.signingKey) throw new Error('SAML connection has no SP key to sign its AuthnRequest with');
    options.privateKey = config.signingKey;
  }
  const saml = new ClockedSaml(options, deps.clock.now().toMillis());
  const redirectUrl = await saml.getAuthorizeUrlAsync(relayState, undefined, {});
  return { redirectUrl, requestId };
}

// ---------------------------------------------------------------------------------------------
// Validating a response

/**
 * Validates a posted SAMLResponse and returns who it says signed in: verifySamlResponse (where
 * `deps.verifier` runs it, else in this thread), then acceptSamlResponse. Every rule that fails
 * throws an SsoError naming it; the rules are listed on those two.
 *
 * IdP-initiated sign-ins carry no proof that this browser asked for them (login CSRF). The caller
 * must not open a session from one directly: it stores the identity server-side and bounces the
 * browser into a normal SP-initiated sign-in (startSamlLogin) for the same connection, completing
 * only when that one returns.
 *
 * `RelayState` is not interpreted here: the caller uses it to find its login state.
 */
export async function validateSamlResponse(
  config: SamlConnectionConfig,
  body: { readonly SAMLResponse?: unknown; readonly RelayState?: unknown },
  deps: SamlDeps,
): Promise<ExternalIdentity> {
  const samlResponse = readSamlResponse(config, body);
  const verified = await (deps.verifier ?? inThreadSamlVerifier).verify(
    config,
    samlResponse,
    deps.clock.now(),
  );
  return await acceptSamlResponse(config, verified, deps);
}

/** Verifies in the calling thread. */
export const inThreadSamlVerifier: SamlVerifier = {
  verify: (config, samlResponse, now) => verifySamlResponse(config, samlResponse, now.toMillis()),
};

/**
 * The posted SAMLResponse (HTTP-POST binding, SAML bindings §3.5.4) as compact base64, or an
 * SsoError: missing or not base64 (saml_malformed), larger than SAML_MAX_RESPONSE_BASE64
 * (saml_too_large). Cheap, and before any parsing.
 */
export function readSamlResponse(
  config: Pick<SamlConnectionConfig, 'connectionId'>,
  body: { readonly SAMLResponse?: unknown },
): string {
  const fail = (code: SsoErrorCode) => new SsoError(code, { details: { connectionId: config.connectionId } });
  const posted = body.SAMLResponse;
  if (typeof posted !== 'string' || posted.length === 0) throw fail('saml_malformed');
  if (posted.length > SAML_MAX_RESPONSE_BASE64) throw fail('saml_too_large');
  const compact = posted.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw fail('saml_malformed');
  return compact;
}

/**
 * Everything about a response that needs no storage, as of `nowMs`; pure, so it can run in a
 * worker thread. In order:
 *
 * 1. the shape again (readSamlResponse) and well-formed XML with a Response root;
 * 2. SHA-2 only for every signature and digest (saml_signature_invalid);
 * 3. node-saml 5.1: the assertion signature (and the Response's when `responseSigned`), one
 *    assertion only, Audience = spEntityId, Conditions times with SAML_CLOCK_SKEW_MS, all on
 *    `nowMs`. InResponseTo is not node-saml's to check here (ValidateInResponseTo.never): it is
 *    checked below and taken from the cache by acceptSamlResponse. Like node-saml's "always", a
 *    Response without InResponseTo is unsolicited unless the connection accepts those;
 * 4. from the *signed* assertion (profile.getAssertionXml(), never the posted document): Issuer =
 *    idpEntityId (node-saml does not check it), a bearer SubjectConfirmationData with Recipient =
 *    acsUrl (node-saml#405) that has a NotOnOrAfter and is in its time window (node-saml#436),
 *    Conditions times again, and its InResponseTo equal to the Response's (node-saml#433: with an
 *    unsigned Response only the assertion's copy is signed);
 * 5. Response/@Destination, when present, = acsUrl (node-saml#437; it is covered by the Response
 *    signature when `responseSigned`);
 * 6. an unsolicited response only when `idpInitiated`, issued within SAML_IDP_INITIATED_MAX_AGE_MS;
 * 7. a usable subject (no transient NameID) and the identity from the signed attributes.
 *
 * `emailVerified` is true whenever an email is present: the organisation's own identity provider
 * asserts it. Whether that provider may speak for the address's domain (the organisation verified
 * the domain) is the JIT rules' decision, not this adapter's.
 */
export async function verifySamlResponse(
  config: SamlConnectionConfig,
  samlResponse: string,
  nowMs: number,
): Promise<VerifiedSamlResponse> {
  const fail = (code: SsoErrorCode, cause?: unknown): SsoError =>
    new SsoError(code, { cause, details: { connectionId: config.connectionId } });

  // 1. Shape.
  const compact = readSamlResponse(config, { SAMLResponse: samlResponse });
  const postedXml = Buffer.from(compact, 'base64').toString('utf8');
  const postedDoc = parseXml(postedXml, () => fail('saml_malformed'));
  const response = postedDoc.documentElement;
  if (!response || response.namespaceURI !== NS.protocol || response.localName !== 'Response') {
    throw fail('saml_malformed');
  }

  // 2. Algorithms: reject SHA-1 (and anything else) before node-saml verifies with it.
  for (const method of elements(postedDoc, NS.dsig, 'SignatureMethod')) {
    if (!ALLOWED_SIGNATURE_METHODS.has(method.getAttribute('Algorithm') ?? '')) {
      throw fail('saml_signature_invalid');
    }
  }
  for (const method of elements(postedDoc, NS.dsig, 'DigestMethod')) {
    // An RSA-OAEP key transport's digest (xenc:EncryptionMethod) is saml-encryption.ts's to judge.
    if (isEncryptionMethodDigest(method)) continue;
    if (!ALLOWED_DIGEST_METHODS.has(method.getAttribute('Algorithm') ?? ''))
      throw fail('saml_signature_invalid');
  }
  if (config.idpCerts.length === 0) throw fail('saml_signature_invalid');

  // 2b. An EncryptedAssertion (SAML core §2.3.4): opened with whichever of the connection's keys it
  //     was made for, that key handed to node-saml; its signature held to SHA-2 as any other.
  const decryption = encryptedAssertionKey(config, response, fail);

  const responseInResponseTo = nonEmpty(response.getAttribute('InResponseTo'));
  const destination = nonEmpty(response.getAttribute('Destination'));

  // 3. node-saml.
  const saml = new ClockedSaml(
    {
      ...samlOptions(config, NO_REQUEST_CACHE, ValidateInResponseTo.never),
      ...(decryption.key === null ? {} : { decryptionPvk: decryption.key }),
    },
    nowMs,
  );
  let profile: Profile | null;
  try {
    // The same verification on the one parsed document where it applies (saml-direct.ts).
    ({ profile } = samlDirectApplies(postedXml, response)
      ? verifyPostResponseDirect({
          doc: postedDoc,
          keys: await saml.trustedKeys(),
          responseSigned: config.responseSigned,
          audience: config.spEntityId,
          timesError: (notBefore, notOnOrAfter, issueInstant) =>
            saml.timesError(notBefore, notOnOrAfter, issueInstant),
        })
      : await saml.validatePostResponseAsync({ SAMLResponse: compact }));
  } catch (err) {
    throw fail(
      decryption.key === null
        ? nodeSamlErrorCode(err, saml.timeFailure)
        : encryptedFailureCode(err, saml.timeFailure),
      err,
    );
  }
  if (!profile) throw fail('saml_invalid');
  // SAML profiles §4.1.4.2: a response to an AuthnRequest carries its id in InResponseTo.
  if (responseInResponseTo === null && !config.idpInitiated) throw fail('saml_unsolicited');
  const signedXml = profile.getAssertionXml?.();
  if (!signedXml) throw fail('saml_invalid');
  const assertion = parseXml(signedXml, () => fail('saml_invalid')).documentElement;
  if (!assertion || assertion.namespaceURI !== NS.assertion || assertion.localName !== 'Assertion') {
    throw fail('saml_invalid');
  }

  // 4. The signed assertion.
  const now = DateTime.fromMillis(nowMs, { zone: 'utc' });
  if (textOf(child(assertion, NS.assertion, 'Issuer')) !== config.idpEntityId)
    throw fail('saml_issuer_mismatch');
  const responseIssuer = child(response, NS.assertion, 'Issuer');
  if (responseIssuer && textOf(responseIssuer) !== config.idpEntityId) throw fail('saml_issuer_mismatch');

  const subject = child(assertion, NS.assertion, 'Subject');
  const bearers = children(subject, NS.assertion, 'SubjectConfirmation')
    .filter((sc) => sc.getAttribute('Method') === BEARER)
    .map((sc) => child(sc, NS.assertion, 'SubjectConfirmationData'))
    .filter((data): data is Element => data !== null);
  if (bearers.length === 0) throw fail('saml_invalid');
  const addressed = bearers.filter((data) => data.getAttribute('Recipient') === config.acsUrl);
  if (addressed.length === 0) throw fail('saml_recipient_mismatch');
  let confirmation: Element | null = null;
  let timeError: SsoErrorCode | null = null;
  for (const data of addressed) {
    // SAML profiles §4.1.4.2: a bearer SubjectConfirmationData must carry NotOnOrAfter.
    if (!data.hasAttribute('NotOnOrAfter')) {
      timeError ??= 'saml_invalid';
      continue;
    }
    const problem = windowError(now, data, () => fail('saml_invalid'));
    if (problem === null) {
      confirmation = data;
      break;
    }
    timeError ??= problem;
  }
  if (!confirmation) throw fail(timeError ?? 'saml_invalid');
  const conditions = children(assertion, NS.assertion, 'Conditions');
  if (conditions.length > 1) throw fail('saml_invalid');
  const conditionsProblem = conditions[0]
    ? windowError(now, conditions[0], () => fail('saml_invalid'))
    : null;
  if (conditionsProblem) throw fail(conditionsProblem);

  // 5. Destination.
  if (destination !== null && destination !== config.acsUrl) throw fail('saml_destination_mismatch');

  // 6. Solicited (names a request of ours, which acceptSamlResponse takes) or unsolicited.
  const confirmedInResponseTo = nonEmpty(confirmation.getAttribute('InResponseTo'));
  if (responseInResponseTo !== null || confirmedInResponseTo !== null) {
    if (confirmedInResponseTo === null) throw fail('saml_unknown_request');
    if (responseInResponseTo !== null && responseInResponseTo !== confirmedInResponseTo) {
      throw fail('saml_unknown_request');
    }
  } else {
    if (!config.idpInitiated) throw fail('saml_unsolicited');
    const issued = parseTime(assertion.getAttribute('IssueInstant'), () => fail('saml_invalid'));
    if (issued === null) throw fail('saml_invalid');
    if (now.toMillis() - SAML_CLOCK_SKEW_MS >= issued.toMillis() + SAML_IDP_INITIATED_MAX_AGE_MS) {
      throw fail('saml_expired');
    }
  }

  // 7. Who, and how long the assertion id must be remembered.
  const assertionId = nonEmpty(assertion.getAttribute('ID'));
  if (assertionId === null) throw fail('saml_invalid');
  // Every addressed confirmation counts, not only the one used now: another one, valid for longer,
  // could carry the same assertion in later, so the id is kept until the last of them has passed.
  const expiries = [...addressed, ...conditions]
    .map((el) => parseTime(el.getAttribute('NotOnOrAfter'), () => fail('saml_invalid')))
    .filter((t): t is DateTime => t !== null);
  // The confirmation's NotOnOrAfter is always there (checked above); the latest one bounds any reuse.
  const latest = expiries.reduce((a, b) => (b > a ? b : a), now);
  return {
    identity: samlIdentity(config, profile, fail),
    assertionId,
    keepUntil: latest.plus({ milliseconds: SAML_CLOCK_SKEW_MS }).toUTC().toISO()!,
    inResponseTo: confirmedInResponseTo,
  };
}

/**
 * The stateful rest of a verified response; run it in the caller's transaction, so a sign-in
 * commits with the ids it used up:
 *
 * 1. a solicited response takes its InResponseTo from the request cache (one-time, per connection,
 *    issued within SAML_REQUEST_TTL_MS on `deps.clock`), else saml_unknown_request;
 * 2. the assertion id is consumed until `keepUntil`: a second use is saml_replayed, SP- or
 *    IdP-initiated. A replayed solicited response fails step 1 (its request id is used up); the
 *    consumed ids tell that apart from a response to a request we never made, and record the id
 *    either way, so a later use is refused as well.
 */
export async function acceptSamlResponse(
  config: Pick<SamlConnectionConfig, 'connectionId'>,
  verified: VerifiedSamlResponse,
  deps: {
    readonly clock: Clock;
    readonly requests: Pick<SamlRequestCache, 'take'>;
    readonly consumedAssertions: ConsumedAssertions;
  },
): Promise<ExternalIdentity> {
  const fail = (code: SsoErrorCode) => new SsoError(code, { details: { connectionId: config.connectionId } });
  const keepUntil = DateTime.fromISO(verified.keepUntil, { zone: 'utc' });
  const consume = () => deps.consumedAssertions.consume(config.connectionId, verified.assertionId, keepUntil);
  if (verified.inResponseTo !== null) {
    const notBefore = deps.clock.now().minus({ milliseconds: SAML_REQUEST_TTL_MS });
    if (!(await deps.requests.take(config.connectionId, verified.inResponseTo, notBefore))) {
      throw fail((await consume()) ? 'saml_unknown_request' : 'saml_replayed');
    }
  }
  if (!(await consume())) throw fail('saml_replayed');
  return verified.identity;
}

/** Maps node-saml's plain Error messages (5.1.0) to our codes. Unknown messages are saml_invalid. */
function nodeSamlErrorCode(err: unknown, timeFailure: SsoErrorCode | null): SsoErrorCode {
  if (err instanceof SamlStatusError) return 'saml_idp_refused';
  const message = err instanceof Error ? err.message : '';
  if (/signature/i.test(message) || message === 'Cannot obtain assertion from signed data') {
    return 'saml_signature_invalid';
  }
  if (/not yet valid/.test(message)) return 'saml_not_yet_valid';
  if (/expired/.test(message)) return 'saml_expired';
  if (/No valid subject confirmation/.test(message)) return timeFailure ?? 'saml_invalid';
  if (/audience|AudienceRestriction/i.test(message)) return 'saml_audience_mismatch';
  if (/idpCert|PEM|base64 format/.test(message)) return 'saml_signature_invalid';
  return 'saml_invalid';
}

/**
 * The key for the response's EncryptedAssertion, if it has one (else `key: null`), with the checks
 * an encrypted assertion needs before node-saml sees it: the connection has keys, one of them opens
 * it, and the signature inside uses only SHA-2. A connection that requires encryption refuses a
 * plain assertion. Every failure to open is the one code saml_decryption_failed (see
 * openEncryptedAssertion on why they are not told apart).
 */
function encryptedAssertionKey(
  config: SamlConnectionConfig,
  response: Element,
  fail: (code: SsoErrorCode) => SsoError,
): { readonly key: string | null } {
  const encrypted = children(response, NS.assertion, 'EncryptedAssertion');
  if (encrypted.length === 0) {
    if (config.requireEncryptedAssertions) throw fail('saml_assertion_not_encrypted');
    return { key: null };
  }
  // More than one (or one beside a plain Assertion) node-saml refuses as a wrapping attempt.
  if (encrypted.length > 1) throw fail('saml_invalid');
  const opened = openEncryptedAssertion(encrypted[0]!, config.decryptionKeys ?? []);
  if (opened === null) throw fail('saml_decryption_failed');
  for (const method of elements(opened.assertion, NS.dsig, 'SignatureMethod')) {
    if (!ALLOWED_SIGNATURE_METHODS.has(method.getAttribute('Algorithm') ?? ''))
      throw fail('saml_decryption_failed');
  }
  for (const method of elements(opened.assertion, NS.dsig, 'DigestMethod')) {
    if (!ALLOWED_DIGEST_METHODS.has(method.getAttribute('Algorithm') ?? ''))
      throw fail('saml_decryption_failed');
  }
  return { key: opened.key };
}

/** A ds:DigestMethod inside an xenc:EncryptionMethod (RSA-OAEP's digest), not a signature's. */
function isEncryptionMethodDigest(method: Element): boolean {
  const parent = method.parentNode as Element | null;
  return (
    parent?.localName === 'EncryptionMethod' && parent.namespaceURI === 'http://www.w3.org/2001/04/xmlenc#'
  );
}

/**
 * node-saml's failure on a response with an encrypted assertion. The Response signature is checked
 * before anything is decrypted, and the times and audience only after the assertion's signature
 * held: those keep their codes. Anything between (decryption, the assertion inside, its signature)
 * is saml_decryption_failed, so altered ciphertext tells its sender nothing (saml-encryption.ts).
 */
function encryptedFailureCode(err: unknown, timeFailure: SsoErrorCode | null): SsoErrorCode {
  const message = err instanceof Error ? err.message : '';
  if (message === 'Invalid document signature') return 'saml_signature_invalid';
  const code = nodeSamlErrorCode(err, timeFailure);
  return code === 'saml_signature_invalid' || code === 'saml_invalid' ? 'saml_decryption_failed' : code;
}

/** NotBefore / NotOnOrAfter of an element against `now`, with the skew; null when inside. */
function windowError(now: DateTime, el: Element, invalid: () => Error): SsoErrorCode | null {
  const notBefore = parseTime(el.getAttribute('NotBefore'), invalid);
  const notOnOrAfter = parseTime(el.getAttribute('NotOnOrAfter'), invalid);
  const nowMs = now.toMillis();
  if (notBefore && nowMs + SAML_CLOCK_SKEW_MS < notBefore.toMillis()) return 'saml_not_yet_valid';
  if (notOnOrAfter && nowMs - SAML_CLOCK_SKEW_MS >= notOnOrAfter.toMillis()) return 'saml_expired';
  return null;
}

function parseTime(value: string | null, invalid: () => Error): DateTime | null {
  if (value === null || value === '') return null;
  const parsed = DateTime.fromISO(value, { zone: 'utc' });
  if (!parsed.isValid) throw invalid();
  return parsed;
}
