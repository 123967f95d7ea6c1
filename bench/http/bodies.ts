// The SCIM requests the benchmark sends, shaped as the identity providers send them
// (/work/shared/reference/scim-clients.md §2.1 Okta, §2.2 Entra; the same shapes as
// test/integration/scim/requests.ts, rebuilt here so the benchmark has no test dependencies).

export const SCIM_BASE = '/scim/v2';
export const DOMAIN = 'bench.example';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The userName of seeded user `i` (0-based). */
export const seededUserName = (i: number): string => `user${i}@${DOMAIN}`;

/** What Okta sends when a user is assigned (§2.1 step 2): everything, a placeholder password, groups: []. */
export function oktaUserBody(key: string): Record<string, unknown> {
  const userName = `${key}@${DOMAIN}`;
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Bench', familyName: `User ${key}` },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `Bench User ${key}`,
    locale: 'en-US',
    externalId: `00u${key}`,
    groups: [],
    password: 'tempP@ss123',
    active: true,
  };
}

/** Okta's existence check before a create (§2.1 step 1). */
export const oktaFindPath = (userName: string): string =>
  `${SCIM_BASE}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`;

/** Entra's add-member PATCH (§2.2 Groups), in the brief's shape (no `schemas`, no `$ref`). */
export const entraAddMember = (userId: string): string =>
  JSON.stringify({ Operations: [{ op: 'Add', path: 'members', value: [{ value: userId }] }] });

/** The three Entra user updates the incremental cycle rotates through (§2.2, without the flag). */
export type EntraUserChange = 'displayName' | 'deactivate' | 'workEmail';
export const ENTRA_CHANGES: readonly EntraUserChange[] = ['displayName', 'deactivate', 'workEmail'];

export function entraUserPatch(change: EntraUserChange, i: number): string {
  const operation =
    change === 'displayName'
      ? { op: 'Replace', path: 'displayName', value: `Renamed User ${i}` }
      : change === 'deactivate'
        ? { op: 'Replace', path: 'active', value: 'False' }
        : { op: 'Replace', path: 'emails[type eq "work"].value', value: `moved${i}@${DOMAIN}` };
  return JSON.stringify({ schemas: [PATCH_OP], Operations: [operation] });
}
