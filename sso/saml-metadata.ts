// The service provider's SAML metadata for one connection (SAML metadata §2.3.2 EntityDescriptor,
// §2.4.4 SPSSODescriptor): what an administrator gives the identity provider, or what it fetches.
import { randomBytes } from 'node:crypto';
import type { DateTime } from 'luxon';
import { CONTENT_ENCRYPTION, KEY_TRANSPORT_RSA_OAEP } from './saml-encryption.js';
import { certificateBody } from './sp-certificate.js';

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
