// SCIM requests exactly as the identity providers send them (docs/reference: scim-clients.md §2.1
// Okta, §2.2 Entra), so a test reads like the provider's own sequence. Each builder returns a plain
// request; harness.ts sends it.
import { randomUUID } from 'node:crypto';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ScimRequest {
  readonly method: Method;
  /** Path below /scim/v2, with its query string. */
  readonly path: string;
  readonly body?: unknown;
}

type Json = Record<string, unknown>;

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SEATKEEPER = 'urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User';
export const ADSCIM_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

const q = (filter: string) => encodeURIComponent(filter);
const localPart = (userName: string) => userName.split('@')[0]!;
const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

// --- Okta (§2.1) ----------------------------------------------------------------------------------

/** Step 1 of Okta's create: is the user already there? */
export function oktaFindUser(userName: string): ScimRequest {
  return { method: 'GET', path: `/Users?filter=${q(`userName eq "${userName}"`)}&startIndex=1&count=100` };
}

/** Okta's import / Test Connection page. */
export function oktaListUsers(startIndex = 1, count = 100): ScimRequest {
  return { method: 'GET', path: `/Users?startIndex=${startIndex}&count=${count}` };
}

export interface OktaUserOptions {
  readonly givenName?: string;
  readonly familyName?: string;
  /** Our seat extension: the tier the provider asks for (an Okta custom attribute). */
  readonly tier?: string;
}

/** The body Okta sends when a user is assigned: everything, a placeholder password, `groups: []`. */
export function oktaUserBody(userName: string, options: OktaUserOptions = {}): Json {
  const givenName = options.givenName ?? capitalised(localPart(userName));
  const familyName = options.familyName ?? 'Example';
  return {
    schemas: [USER_SCHEMA, ...(options.tier ? [SEATKEEPER] : [])],
    userName,
    name: { givenName, familyName },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${givenName} ${familyName}`,
    locale: 'en-US',
    externalId: `00u${randomUUID().replaceAll('-', '').slice(0, 17)}`,
    groups: [],
    password: 'tempP@ss123',
    active: true,
    ...(options.tier ? { [SEATKEEPER]: { tier: options.tier } } : {}),
  };
}

export function oktaCreateUser(userName: string, options: OktaUserOptions = {}): ScimRequest {
  return { method: 'POST', path: '/Users', body: oktaUserBody(userName, options) };
}

export function oktaGetUser(id: string): ScimRequest {
  return { method: 'GET', path: `/Users/${id}` };
}

/**
 * Okta's profile update: it GETs the user, merges its changes locally and PUTs the whole thing
 * back, read-only `id` and `meta` included, with `groups: []` and the password again.
 */
export function oktaReplaceUser(current: Json, changes: Json): ScimRequest {
  return {
    method: 'PUT',
    path: `/Users/${String(current.id)}`,
    body: { ...current, ...changes, groups: [], password: 'tempP@ss123' },
  };
}

/** Unassign or deactivate: a no-path value object and, as in Okta's docs, no `schemas`. */
export function oktaDeactivate(id: string): ScimRequest {
  return {
    method: 'PATCH',
    path: `/Users/${id}`,
    body: { Operations: [{ op: 'replace', value: { active: false } }] },
  };
}

/** Reassign or reactivate. */
export function oktaReactivate(id: string): ScimRequest {
  return {
    method: 'PATCH',
    path: `/Users/${id}`,
    body: { Operations: [{ op: 'replace', value: { active: true } }] },
  };
}

/** Push Groups: no `schemas` in Okta's example. */
export function oktaPushGroup(displayName: string): ScimRequest {
  return { method: 'POST', path: '/Groups', body: { displayName, members: [] } };
}

export function oktaFindGroup(displayName: string): ScimRequest {
  return {
    method: 'GET',
    path: `/Groups?filter=${q(`displayName eq "${displayName}"`)}&startIndex=1&count=100`,
  };
}

export function oktaGetGroup(id: string): ScimRequest {
  return { method: 'GET', path: `/Groups/${id}` };
}

/** Okta's rename: the value carries the read-only `id`. */
export function oktaRenameGroupOp(id: string, displayName: string): Json {
  return { op: 'replace', value: { id, displayName } };
}

export function oktaAddMemberOp(userId: string): Json {
  return { op: 'add', path: 'members', value: [{ value: userId }] };
}

export function oktaRemoveMemberOp(userId: string): Json {
  return { op: 'remove', path: `members[value eq "${userId}"]` };
}

/** A group PATCH as Okta sends it (with `schemas`, unlike the user deactivation). */
export function oktaPatchGroup(id: string, ...operations: Json[]): ScimRequest {
  return { method: 'PATCH', path: `/Groups/${id}`, body: { schemas: [PATCH_OP], Operations: operations } };
}

export function oktaRenameGroup(id: string, displayName: string): ScimRequest {
  return oktaPatchGroup(id, oktaRenameGroupOp(id, displayName));
}

export function oktaAddMember(groupId: string, userId: string): ScimRequest {
  return oktaPatchGroup(groupId, oktaAddMemberOp(userId));
}

export function oktaRemoveMember(groupId: string, userId: string): ScimRequest {
  return oktaPatchGroup(groupId, oktaRemoveMemberOp(userId));
}

export function oktaDeleteGroup(id: string): ScimRequest {
  return { method: 'DELETE', path: `/Groups/${id}` };
}

// --- Microsoft Entra ID (§2.2) --------------------------------------------------------------------

/** The query-string flag Entra admins append to the tenant URL; the server must tolerate it. */
const FLAG = 'aadOptscim062020';
const withFlag = (path: string, flag: boolean) =>
  flag ? `${path}${path.includes('?') ? '&' : '?'}${FLAG}` : path;

/** Test Connection: a filter on a random GUID, which must answer 200 with an empty list. */
export function entraTestConnection(attribute: 'userName' | 'externalId' = 'userName'): ScimRequest {
  return { method: 'GET', path: `/Users?filter=${q(`${attribute} eq "${randomUUID()}"`)}` };
}

/** Matching: by default userName and externalId; any attribute an admin configures, with `eq`. */
export function entraFindUser(
  attribute: 'userName' | 'externalId' | 'emails[type eq "work"].value',
  value: string,
): ScimRequest {
  return { method: 'GET', path: `/Users?filter=${q(`${attribute} eq "${value}"`)}` };
}

export interface EntraUserOptions {
  readonly externalId?: string;
  readonly givenName?: string;
  readonly familyName?: string;
}

/**
 * Entra's create: core + enterprise schemas, read-only `meta`, `roles: []`, and the `null`s older
 * payloads send for absent attributes.
 */
export function entraCreateUser(userName: string, options: EntraUserOptions = {}): ScimRequest {
  const givenName = options.givenName ?? capitalised(localPart(userName));
  const familyName = options.familyName ?? 'Entra';
  return {
    method: 'POST',
    path: '/Users',
    body: {
      schemas: [USER_SCHEMA, ENTERPRISE],
      externalId: options.externalId ?? randomUUID(),
      userName,
      active: true,
      emails: [{ primary: true, type: 'work', value: userName }],
      meta: { resourceType: 'User' },
      name: { formatted: `${givenName} ${familyName}`, familyName, givenName },
      roles: [],
      addresses: null,
      phoneNumbers: null,
      title: null,
      [ENTERPRISE]: { employeeNumber: '1001', department: 'Engineering' },
    },
  };
}

/** A user PATCH as Entra sends it; `aadOptscim062020` puts the flag on the URL. */
export function entraPatchUser(id: string, operations: Json[], aadOptscim062020 = false): ScimRequest {
  return {
    method: 'PATCH',
    path: withFlag(`/Users/${id}`, aadOptscim062020),
    body: { schemas: [PATCH_OP], Operations: operations },
  };
}

/** Deactivate or restore without the flag: a capitalised op and a string boolean. */
export function entraReplaceActiveStringOp(value: 'True' | 'False'): Json {
  return { op: 'Replace', path: 'active', value };
}

export function entraPatchReplaceActiveString(id: string, value: 'True' | 'False'): ScimRequest {
  return entraPatchUser(id, [entraReplaceActiveStringOp(value)]);
}

export function entraReplaceWorkEmailOp(value: string): Json {
  return { op: 'Replace', path: 'emails[type eq "work"].value', value };
}

/** Entra adds to a typed entry that does not exist yet and expects it to be created. */
export function entraAddMobilePhoneOp(value: string): Json {
  return { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value };
}

/** The manager, a complex attribute, sent as a bare id string. */
export function entraAddManagerOp(managerId: string): Json {
  return { op: 'Add', path: `${ENTERPRISE}:manager`, value: managerId };
}

export function entraReplaceOp(path: string, value: unknown): Json {
  return { op: 'Replace', path, value };
}

/** With aadOptscim062020: one no-path replace whose keys are dotted and URN-prefixed. */
export function entraReplaceManyOp(value: Json): Json {
  return { op: 'replace', value };
}

export function entraDeleteUser(id: string): ScimRequest {
  return { method: 'DELETE', path: `/Users/${id}` };
}

export function entraGetUser(id: string): ScimRequest {
  return { method: 'GET', path: `/Users/${id}` };
}

/** Group create: the ADSCIM schema URN, externalId, read-only meta, no members. */
export function entraCreateGroup(displayName: string, externalId: string = randomUUID()): ScimRequest {
  return {
    method: 'POST',
    path: '/Groups',
    body: {
      schemas: [GROUP_SCHEMA, ADSCIM_GROUP],
      externalId,
      displayName,
      meta: { resourceType: 'Group' },
    },
  };
}

/** Entra never reads membership. */
export function entraGetGroup(id: string): ScimRequest {
  return { method: 'GET', path: `/Groups/${id}?excludedAttributes=members` };
}

export function entraFindGroup(displayName: string): ScimRequest {
  return {
    method: 'GET',
    path: `/Groups?excludedAttributes=members&filter=${q(`displayName eq "${displayName}"`)}`,
  };
}

export function entraPatchGroup(id: string, ...operations: Json[]): ScimRequest {
  return { method: 'PATCH', path: `/Groups/${id}`, body: { schemas: [PATCH_OP], Operations: operations } };
}

/** Several memberships in one PATCH (a gallery checklist item), each with `$ref: null`. */
export function entraAddMembers(groupId: string, userIds: readonly string[]): ScimRequest {
  return entraPatchGroup(groupId, {
    op: 'Add',
    path: 'members',
    value: userIds.map((value) => ({ $ref: null, value })),
  });
}

/** Without the flag: remove with a value list. */
export function entraRemoveMembers(groupId: string, userIds: readonly string[]): ScimRequest {
  return entraPatchGroup(groupId, {
    op: 'Remove',
    path: 'members',
    value: userIds.map((value) => ({ $ref: null, value })),
  });
}

export function entraRenameGroup(id: string, displayName: string): ScimRequest {
  return entraPatchGroup(id, { op: 'Replace', path: 'displayName', value: displayName });
}

export function entraDeleteGroup(id: string): ScimRequest {
  return { method: 'DELETE', path: `/Groups/${id}` };
}

// --- Either provider ------------------------------------------------------------------------------

/** A plain SCIM GET of a group with its members (neither provider needs it; tests do). */
export function getGroupWithMembers(id: string): ScimRequest {
  return { method: 'GET', path: `/Groups/${id}` };
}

export function listGroups(): ScimRequest {
  return { method: 'GET', path: '/Groups?startIndex=1&count=100' };
}

export function deleteUser(id: string): ScimRequest {
  return { method: 'DELETE', path: `/Users/${id}` };
}

/** Writes our seat extension's tier (a provider custom attribute mapped to it). */
export function patchTier(id: string, tier: string): ScimRequest {
  return {
    method: 'PATCH',
    path: `/Users/${id}`,
    body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${SEATKEEPER}:tier`, value: tier }] },
  };
}
