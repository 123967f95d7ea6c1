// SAML metadata, both ways: the service provider's for one connection (SAML metadata §2.3.2
// EntityDescriptor, §2.4.4 SPSSODescriptor), what an administrator gives the identity provider or
// what it fetches; and an identity provider's, read to fill in a connection.
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { SsoError } from './errors.js';
import type { SamlConnectionConfig } from './saml.js';
import { CONTENT_ENCRYPTION, KEY_TRANSPORT_RSA_OAEP } from './saml-encryption.js';
import { child, children, elements, NS, nonEmpty, parseXml, textOf } from './saml-xml.js';
import { certificateBody } from '../provisioning/sp-certificate.js';

export const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

/** How long an IdP that reads the metadata by URL may keep it (metadata §2.3.2 cacheDuration). */
export const METADATA_CACHE_DURATION = 'PT6H';
/** validUntil: this far after it was produced (metadata §2.3.2), so a stale copy runs out. */
export const METADATA_VALID_DAYS = 7;

export interface ServiceProviderMetadataInput {
  readonly spEntityId: string;
  readonly acsUrl: string;
  /** The NameIDPolicy Format the connection requests, listed first when set. */
  readonly nameIdFormat: string | null;
  /** Whether AuthnRequests are signed (AuthnRequestsSigned, metadata §2.4.4). */
  readonly signAuthnRequests: boolean;
  /** Certificates (PEM) to publish: the current key's, then a next one's during a rotation. */
  readonly certificates: readonly string[];
  readonly now: DateTime;
}

/**
 * The SPSSODescriptor, in the schema's order (KeyDescriptor*, NameIDFormat*,
 * AssertionConsumerService+): each certificate twice, `use="signing"` (the IdP checks our
 * AuthnRequest signatures with it) and `use="encryption"` with the algorithms we decrypt
 * (§2.4.1.1 EncryptionMethod); the name id formats Seatkeeper uses (a persistent id is what it
 * keys people by; an address works too); our ACS over HTTP-POST; WantAssertionsSigned always.
 */
export function serviceProviderMetadata(input: ServiceProviderMetadataInput): string {
  const formats = [
    ...new Set([...(input.nameIdFormat ? [input.nameIdFormat] : []), NAMEID_PERSISTENT, NAMEID_EMAIL]),
  ];
  const keyInfo = (pem: string) =>
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`;
  const encryptionMethods =
    Object.keys(CONTENT_ENCRYPTION)
      .map((uri) => `<md:EncryptionMethod Algorithm="${uri}"/>`)
      .join('') + `<md:EncryptionMethod Algorithm="${KEY_TRANSPORT_RSA_OAEP}"/>`;
  const keys = input.certificates
    .map(
      (pem) =>
        `<md:KeyDescriptor use="signing">${keyInfo(pem)}</md:KeyDescriptor>` +
        `<md:KeyDescriptor use="encryption">${keyInfo(pem)}${encryptionMethods}</md:KeyDescriptor>`,
    )
    .join('');
  const validUntil = input.now
    .toUTC()
    .plus({ days: METADATA_VALID_DAYS })
    .toISO({ suppressMilliseconds: true });
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"` +
    ` ID="_${randomBytes(16).toString('hex')}" entityID="${esc(input.spEntityId)}"` +
    ` validUntil="${validUntil}" cacheDuration="${METADATA_CACHE_DURATION}">` +
    `<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"` +
    ` AuthnRequestsSigned="${input.signAuthnRequests}" WantAssertionsSigned="true">` +
    keys +
    formats.map((f) => `<md:NameIDFormat>${esc(f)}</md:NameIDFormat>`).join('') +
    `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"` +
    ` Location="${esc(input.acsUrl)}" index="1" isDefault="true"/>` +
    '</md:SPSSODescriptor></md:EntityDescriptor>'
  );
}

function esc(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/**
 * Our SP metadata for one connection (saml-metadata.ts): entity id, the ACS (HTTP-POST),
 * WantAssertionsSigned="true", the name id formats, and a KeyDescriptor pair for each of
 * `certificates` (PEM: the current SP key's, and a next one's during a rotation).
 */
export function samlServiceProviderMetadata(
  config: SamlConnectionConfig,
  certificates: readonly string[] = [],
  now: DateTime = DateTime.utc(),
): string {
  return serviceProviderMetadata({
    spEntityId: config.spEntityId,
    acsUrl: config.acsUrl,
    nameIdFormat: config.nameIdFormat,
    signAuthnRequests: config.signAuthnRequests === true,
    certificates,
    now,
  });
}

export interface ImportedIdpMetadata {
  readonly idpEntityId: string;
  readonly idpSsoUrl: string;
  readonly idpCerts: string[];
}

/**
 * Reads an IdP's metadata (an EntityDescriptor, or an EntitiesDescriptor holding exactly one IdP):
 * entity id, the HTTP-Redirect SingleSignOnService, and every signing certificate (base64 bodies).
 * Anything unusable is an SsoError 'saml_metadata_invalid' whose `details.problem` says what.
 */
export function parseIdpMetadata(xml: string): ImportedIdpMetadata {
  const invalid = (problem: string) => new SsoError('saml_metadata_invalid', { details: { problem } });
  if (typeof xml !== 'string' || xml.trim() === '') throw invalid('The metadata is empty.');
  const doc = parseXml(xml, () => invalid('The metadata is not well-formed XML.'));
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== NS.metadata) throw invalid('This is not SAML 2.0 metadata.');
  const entities = (
    root.localName === 'EntityDescriptor' ? [root] : elements(doc, NS.metadata, 'EntityDescriptor')
  )
    .map((entity) => ({ entity, idp: child(entity, NS.metadata, 'IDPSSODescriptor') }))
    .filter((e): e is { entity: Element; idp: Element } => e.idp !== null);
  if (entities.length === 0) throw invalid('The metadata describes no identity provider (IDPSSODescriptor).');
  if (entities.length > 1) throw invalid('The metadata describes several identity providers; import one.');
  const { entity, idp } = entities[0]!;

  const idpEntityId = nonEmpty(entity.getAttribute('entityID'));
  if (idpEntityId === null) throw invalid('The metadata has no entityID.');
  const sso = children(idp, NS.metadata, 'SingleSignOnService').find(
    (s) => s.getAttribute('Binding') === REDIRECT_BINDING,
  );
  const idpSsoUrl = nonEmpty(sso?.getAttribute('Location') ?? null);
  if (idpSsoUrl === null) throw invalid('The metadata has no HTTP-Redirect SingleSignOnService.');
  try {
    new URL(idpSsoUrl);
  } catch {
    throw invalid('The SingleSignOnService location is not a URL.');
  }
  const idpCerts = children(idp, NS.metadata, 'KeyDescriptor')
    .filter((kd) => (kd.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((kd) => elements(kd, NS.dsig, 'X509Certificate'))
    .map((cert) => textOf(cert).replace(/\s+/g, ''))
    .filter((cert) => cert !== '');
  if (idpCerts.length === 0) throw invalid('The metadata has no signing certificate.');
  return { idpEntityId, idpSsoUrl, idpCerts: [...new Set(idpCerts)] };
}
