// Members and groups as SCIM resources (RFC 7643 §4), in both directions, with attribute
// projection (RFC 7644 §3.9) and versions (RFC 7644 §3.14).
import {
  shownResource,
  shownUserName,
  type DirectoryGroupInput,
  type DirectoryUserInput,
  type Group,
  type GroupMemberRef,
  type Member,
} from '../provisioning/directory.js';
import { emailDomain } from '../provisioning/members.js';
import { ScimError } from './errors.js';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, SEAT_SCHEMA, USER_SCHEMA } from './schemas.js';
import { coerceUserBySchema, coerceUserFast } from './user-attributes.js';

type Json = Record<string, unknown>;

/** Attributes the server computes; whatever a client sends for them is ignored. */
const COMPUTED = new Set([
  'schemas',
  'id',
  'meta',
  'password',
  'groups',
  'active',
  SEAT_SCHEMA.toLowerCase(),
]);

/** RFC 7644 §3.14: the weak entity tag of a resource version. */
export function etag(version: number): string {
  return `W/"${version}"`;
}

/** Parses If-Match / If-None-Match: undefined for absent or `*`, else the version asked for. */
export function versionFromHeader(header: string | undefined): number | undefined | 'unparseable' {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(header);
  return match ? Number(match[1]) : 'unparseable';
}

/**
 * Every member is a SCIM User, whether the provider pushed it or not: one it never pushed (signed in
 * or invited) shows its address as userName and as its primary work email, so an import or a
 * `userName eq` match finds it (docs/scim.md, "Every member is a SCIM User").
 */
export function toScimUser(member: Member, groups: readonly Group[], base: string): Json {
  const stored = shownResource(member);
  const extensions = Object.keys(stored).filter((k) => k.toLowerCase().startsWith('urn:'));
  const location = `${base}/Users/${member.publicId}`;
  return {
    schemas: [USER_SCHEMA, ...extensions, SEAT_SCHEMA],
    id: member.publicId,
    ...(member.externalId !== null ? { externalId: member.externalId } : {}),
    ...stored,
    userName: shownUserName(member),
    active: member.seatState !== 'deactivated',
    groups: groups.map((g) => ({
      value: g.publicId,
      display: g.displayName,
      $ref: `${base}/Groups/${g.publicId}`,
      type: 'direct',
    })),
    [SEAT_SCHEMA]: {
      ...(member.tierId ? { tier: member.tierId } : {}),
      seatState: member.seatState,
      role: member.role,
    },
    meta: {
      resourceType: 'User',
      created: member.createdAt,
      lastModified: member.updatedAt,
      location,
      version: etag(member.version),
    },
  };
}

export function toScimGroup(
  group: Group,
  members: readonly GroupMemberRef[] | undefined,
  base: string,
): Json {
  return {
    schemas: [GROUP_SCHEMA],
    id: group.publicId,
    ...(group.externalId !== null ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...(members
      ? {
          members: members.map((m) => ({
            value: m.publicId,
            display: m.display,
            $ref: `${base}/Users/${m.publicId}`,
            type: 'User',
          })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: group.createdAt,
      lastModified: group.updatedAt,
      location: `${base}/Groups/${group.publicId}`,
      version: etag(group.version),
    },
  };
}

/**
 * A SCIM User body (already normalised) → what the engine needs. Every attribute's type is checked
 * against the schema (scimmy's coercion, or user-attributes.ts's equivalent for the everyday
 * shapes); read-only and computed attributes are dropped, and the rest is stored as sent (Entra's
 * rule: "values are stored exactly as sent").
 */
export function fromScimUser(body: Json): DirectoryUserInput {
  let coerced: Json;
  try {
    coerced = coerceUserFast(body) ?? coerceUserBySchema(body);
  } catch (error) {
    throw new ScimError(400, 'invalidValue', error instanceof Error ? error.message : 'Invalid user.');
  }
  const userName = coerced.userName;
  if (typeof userName !== 'string' || userName.trim() === '')
    throw new ScimError(400, 'invalidValue', 'userName is required.');
  const resource: Json = {};
  for (const [key, value] of Object.entries(coerced)) {
    if (!COMPUTED.has(key.toLowerCase()) && key !== 'userName' && key !== 'externalId' && value !== undefined)
      resource[key] = value;
  }
  // From the coerced body, never the posted one: attribute names are case-insensitive (RFC 7643
  // §2.1), so "Active": "False" is active = false, and the extension's URN may come in any case.
  const seat = (coerced[SEAT_SCHEMA] ?? undefined) as Json | undefined;
  const tier = typeof seat?.tier === 'string' && seat.tier !== '' ? seat.tier : null;
  return {
    userName,
    externalId: typeof coerced.externalId === 'string' ? coerced.externalId : null,
    active: coerced.active === undefined ? true : coerced.active === true,
    displayName: displayNameOf(coerced),
    email: primaryEmail(coerced),
    tier,
    resource,
  };
}

function displayNameOf(user: Json): string | null {
  if (typeof user.displayName === 'string' && user.displayName !== '') return user.displayName;
  const name = user.name as Json | undefined;
  if (typeof name?.formatted === 'string' && name.formatted !== '') return name.formatted;
  const parts = [name?.givenName, name?.familyName].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  );
  return parts.length > 0 ? parts.join(' ') : null;
}

/**
 * The member's address: the primary email, else the work email, else the first (RFC 7643 §4.1.2
 * "primary"), skipping values that are not addresses. RFC 7643 §4.1.2 only says a value SHOULD be
 * an RFC 5321 address, and Entra's test collection sends `"value": "emailName357"` as the primary
 * next to a real home address; the value is still stored as sent, it is just not the one we mail.
 */
function primaryEmail(user: Json): string | null {
  const emails = (Array.isArray(user.emails) ? (user.emails as Json[]) : []).filter(
    (e): e is Json & { value: string } => typeof e.value === 'string' && isAddress(e.value),
  );
  const pick = emails.find((e) => e.primary === true) ?? emails.find((e) => e.type === 'work') ?? emails[0];
  return pick?.value ?? null;
}

function isAddress(value: string): boolean {
  try {
    emailDomain(value);
    return true;
  } catch {
    return false;
  }
}

export function fromScimGroup(body: Json): DirectoryGroupInput {
  const displayName = body.displayName;
  if (typeof displayName !== 'string' || displayName.trim() === '')
    throw new ScimError(400, 'invalidValue', 'displayName is required.');
  if (body.members !== undefined && !Array.isArray(body.members))
    throw new ScimError(400, 'invalidValue', 'members must be a list.');
  return {
    displayName,
    externalId: typeof body.externalId === 'string' ? body.externalId : null,
    members: memberValues(body.members ?? []),
  };
}

/** Member references as ids; Entra sends `{"$ref": null, "value": id}`, some clients a bare id. */
export function memberValues(list: unknown): string[] {
  if (!Array.isArray(list)) throw new ScimError(400, 'invalidValue', 'members must be a list.');
  return [
    ...new Set(
      list.map((m: unknown) => {
        const value =
          typeof m === 'string' ? m : typeof m === 'object' && m !== null ? (m as Json).value : undefined;
        if (typeof value !== 'string' || value === '')
          throw new ScimError(400, 'invalidValue', 'Each member needs a "value" with a user id.');
        return value;
      }),
    ),
  ];
}

/** Attributes that are always returned whatever the request asks (RFC 7643 §2.4 "returned"). */
const ALWAYS = new Set(['id', 'schemas']);

/**
 * Applies `attributes` / `excludedAttributes` (RFC 7644 §3.9): comma-separated paths such as
 * `userName`, `name.givenName`, `emails`, or URN-qualified extension paths.
 */
export function project(resource: Json, attributes: string | undefined, excluded: string | undefined): Json {
  if (attributes) {
    const wanted = paths(attributes);
    const out: Json = {};
    for (const [key, value] of Object.entries(resource)) {
      if (ALWAYS.has(key)) {
        out[key] = value;
        continue;
      }
      const selection = select(wanted, key);
      if (selection === true) out[key] = value;
      else if (selection && value && typeof value === 'object') out[key] = pick(value as Json, selection);
    }
    return out;
  }
  if (excluded) {
    const dropped = paths(excluded);
    const out: Json = {};
    for (const [key, value] of Object.entries(resource)) {
      const selection = ALWAYS.has(key) ? undefined : select(dropped, key);
      if (selection === true) continue;
      out[key] =
        selection && value && typeof value === 'object' && !Array.isArray(value)
          ? omit(value as Json, selection)
          : value;
    }
    return out;
  }
  return resource;
}

/** Parsed paths: top-level key (lower-case) → true (whole) or the set of sub-attributes. */
function paths(list: string): Map<string, true | Set<string>> {
  const result = new Map<string, true | Set<string>>();
  for (const raw of list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    // RFC 7644 §3.10 attribute notation has no value filter, but Entra's test collection asks for
    // `attributes=emails[type eq "work"]`: read it as the attribute it filters (`emails`), so
    // the caller gets more than it asked for rather than nothing.
    let path = raw.replace(/\[[^\]]*\]/g, '');
    // A core-schema URN prefix names a core attribute; an extension URN prefix names its key.
    if (path.toLowerCase().startsWith(`${USER_SCHEMA.toLowerCase()}:`))
      path = path.slice(USER_SCHEMA.length + 1);
    const urn = [ENTERPRISE_SCHEMA, SEAT_SCHEMA].find((u) => path.toLowerCase().startsWith(u.toLowerCase()));
    const [top, sub] = urn
      ? [urn.toLowerCase(), path.slice(urn.length + 1) || undefined]
      : [path.split('.')[0]!.toLowerCase(), path.split('.').slice(1).join('.') || undefined];
    const current = result.get(top);
    if (sub === undefined || current === true) result.set(top, true);
    else result.set(top, new Set([...(current ?? []), sub.toLowerCase()]));
  }
  return result;
}

function select(selection: Map<string, true | Set<string>>, key: string): true | Set<string> | undefined {
  return selection.get(key.toLowerCase());
}

function pick(value: Json, subs: Set<string>): unknown {
  const one = (o: Json) => Object.fromEntries(Object.entries(o).filter(([k]) => subs.has(k.toLowerCase())));
  return Array.isArray(value) ? (value as Json[]).map(one) : one(value);
}

function omit(value: Json, subs: Set<string>): Json {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !subs.has(k.toLowerCase())));
}
