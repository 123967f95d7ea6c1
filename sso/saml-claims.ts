// SAML attributes → ExternalIdentity: which attribute gives the address, the name and the groups,
// from the connection's map or, where it names none, the common names of each identity provider.
// Read only from node-saml's profile, which is built from the signed bytes, never the posted ones.
import type { Profile } from '@node-saml/passport-saml';
import { findNul } from '../domain/nul.js';
import { groupNames, type ExternalIdentity } from '../provisioning/identity.js';
import type { SsoError, SsoErrorCode } from './errors.js';
import type { SamlConnectionConfig } from './saml.js';

const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
/** Entra sends this instead of the groups when a user is in too many (> 150) groups. */
export const ENTRA_GROUPS_OVERAGE = 'http://schemas.microsoft.com/claims/groups.link';

/**
 * Attribute names tried, in order, when the connection's map names none (Okta/ADFS short names, the
 * WS-Fed claim URIs Entra uses, and the eduPerson/LDAP OIDs). Groups have no fallback: a connection
 * that maps no groups attribute reports its groups as 'unknown'.
 */
export const DEFAULT_ATTRIBUTES = {
  email: [
    'email',
    'mail',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    'urn:oid:0.9.2342.19200300.100.1.3',
  ],
  displayName: [
    'displayName',
    'http://schemas.microsoft.com/identity/claims/displayname',
    'urn:oid:2.16.840.1.113730.3.1.241',
  ],
  givenName: [
    'givenName',
    'firstName',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
    'urn:oid:2.5.4.42',
  ],
  familyName: [
    'sn',
    'surname',
    'lastName',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
    'urn:oid:2.5.4.4',
  ],
} as const;

/**
 * The identity the signed assertion names: its NameID as the subject (never a transient one), and
 * the mapped attributes.
 */

export function samlIdentity(
  config: SamlConnectionConfig,
  profile: Profile,
  fail: (code: SsoErrorCode) => SsoError,
): ExternalIdentity {
  const subject = typeof profile.nameID === 'string' ? profile.nameID.trim() : '';
  // A transient NameID changes every sign-in: it cannot identify anyone (use persistent or an attribute).
  if (subject === '' || profile.nameIDFormat === TRANSIENT) throw fail('saml_subject_unusable');
  const attributes = isRecord(profile.attributes) ? profile.attributes : {};
  const map = config.attributeMap;

  const first = (names: readonly string[]): string | null => {
    for (const name of names) {
      const value = values(attributes[name])[0]?.trim();
      if (value) return value;
    }
    return null;
  };
  const pick = (key: keyof typeof DEFAULT_ATTRIBUTES) => {
    const mapped = map[key];
    return first(mapped ? [mapped] : DEFAULT_ATTRIBUTES[key]);
  };

  let email = pick('email');
  if (email === null && !map.email && profile.nameIDFormat === EMAIL_FORMAT && subject.includes('@')) {
    email = subject;
  }
  const given = pick('givenName');
  const family = pick('familyName');
  const displayName = pick('displayName') ?? ([given, family].filter(Boolean).join(' ') || null);

  let groups: readonly string[] | 'unknown';
  if (!map.groups || map.groups === ENTRA_GROUPS_OVERAGE) groups = 'unknown';
  else if (attributes[map.groups] === undefined && attributes[ENTRA_GROUPS_OVERAGE] !== undefined)
    groups = 'unknown';
  else groups = groupNames(values(attributes[map.groups]));

  const identity: ExternalIdentity = {
    connectionId: config.connectionId,
    subject,
    email,
    emailVerified: email !== null,
    displayName,
    groups,
  };
  // U+0000 in anything that would be stored or looked up: refused on either backend.
  if (findNul(identity) !== undefined) throw fail('nul_character');
  return identity;
}

/** node-saml gives one value as a string, several as an array, complex values as objects (skipped). */
function values(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
