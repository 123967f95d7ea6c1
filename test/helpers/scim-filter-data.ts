// The directory every SCIM filter test runs over (test/unit/scim/filter-sql.test.ts on SQLite,
// test/unit/scim/filter-sql-dialects.test.ts on SQLite and PostgreSQL side by side), and every
// filter and sortBy those tests run, as data.
import type { Sql } from '../../db/sql.js';
import { foldKey } from '../../domain/fold.js';
import { MAX_FILTER_DEPTH, type FilterNode } from '../../scim/filter.js';

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export interface UserRow {
  readonly publicId: string;
  readonly userName: string;
  readonly externalId: string | null;
  readonly seatState: 'seated' | 'deactivated' | 'unassigned' | 'invited';
  readonly role?: 'user' | 'admin';
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly resource: Record<string, unknown>;
}

/**
 * u1..u5 come through SCIM. u2 and u3 have the same two emails with the types swapped, so only a
 * value path tells them apart; u1 and u4 have titles that LIKE would confuse ("_" and "%" as
 * wildcards). The primary owner (created by createExample) never came through SCIM: it has no
 * userName and no stored resource, so it is matched as SCIM would show it: its address as userName
 * and as its primary work email, its name as displayName and, split, as name.
 */
export const USERS: readonly UserRow[] = [
  {
    publicId: 'u1',
    userName: 'Bjensen@Example.com',
    externalId: 'ext-1',
    seatState: 'seated',
    createdAt: '2026-01-01T09:00:00.000Z',
    updatedAt: '2026-01-02T10:00:00.000Z',
    resource: {
      userName: 'Bjensen@Example.com',
      displayName: 'Babs Jensen',
      title: '100% Sales_Lead',
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      emails: [
        { value: 'bjensen@example.com', type: 'work', primary: true },
        { value: 'babs@home.example', type: 'home' },
      ],
      phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }],
      [ENTERPRISE]: { employeeNumber: '42', department: 'Sales', manager: { value: 'u4' } },
    },
  },
  {
    publicId: 'u2',
    userName: 'jsmith',
    externalId: 'EXT-1',
    seatState: 'deactivated',
    createdAt: '2026-01-01T09:00:00.000Z',
    updatedAt: '2026-01-03T00:00:00.000Z',
    resource: {
      userName: 'jsmith',
      name: { givenName: 'John', familyName: 'Smith' },
      emails: [
        { value: 'a@x', type: 'home' },
        { value: 'b@y', type: 'work', primary: true },
      ],
    },
  },
  {
    publicId: 'u3',
    userName: 'ALICE',
    externalId: null,
    seatState: 'seated',
    createdAt: '2026-01-01T09:00:00.000Z',
    updatedAt: '2026-01-01T09:00:00.000Z',
    resource: {
      userName: 'ALICE',
      emails: [
        { value: 'b@y', type: 'home' },
        { value: 'a@x', type: 'work' },
      ],
    },
  },
  {
    publicId: 'u4',
    userName: 'bob',
    externalId: 'ext-4',
    seatState: 'unassigned',
    role: 'admin',
    createdAt: '2026-01-02T09:00:00.000Z',
    updatedAt: '2026-01-02T09:59:59.999Z',
    resource: {
      userName: 'bob',
      title: '1000 SalesXLead',
      emails: [],
      [ENTERPRISE]: { employeeNumber: '43' },
    },
  },
  {
    publicId: 'u5',
    userName: 'ÉMILE',
    externalId: 'ext-5',
    seatState: 'invited',
    createdAt: '2026-01-02T09:00:00.000Z',
    updatedAt: '2026-01-02T09:00:00.000Z',
    resource: { userName: 'ÉMILE', displayName: 'Émile Zola' },
  },
];

/** The groups, by public id and displayName, and who is in them. */
export const GROUPS: readonly (readonly [publicId: string, displayName: string])[] = [
  ['g-eng', 'Engineering'],
  ['g-adm', 'Admins'],
  ['g-empty', 'Nobody'],
];
export const MEMBERSHIPS: readonly (readonly [group: string, member: string])[] = [
  ['g-eng', 'u1'],
  ['g-eng', 'u3'],
  ['g-adm', 'u4'],
];

/** The primary owner's public id in seedFilterDirectory's organisation. */
export const OWNER = 'owner-0';

/**
 * Writes the directory through the query layer, so the same rows land in either dialect: an
 * organisation, its primary owner (never pushed by SCIM: no userName, no stored resource, as
 * createExample makes it), USERS, GROUPS and MEMBERSHIPS. Returns the organisation's id.
 */
export async function seedFilterDirectory(db: Sql): Promise<number> {
  const at = '2026-01-01T09:00:00.000Z';
  const org = await db
    .prepare<[string], { id: number }>(
      "INSERT INTO organisations (slug, name, created_at) VALUES ('acme', 'Acme', ?) RETURNING id",
    )
    .get(at);
  const orgId = Number(org!.id);
  const member = db.prepare(
    `INSERT INTO members (organisation_id, email, email_key, display_name, role, seat_state, tier_id, source,
       created_at, updated_at, public_id, user_name, user_name_key, external_id, scim_resource)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const owner = 'owner@acme.example';
  await member.run(
    orgId,
    owner,
    foldKey(owner),
    'Olga Owner',
    'primary_owner',
    'seated',
    'standard',
    'manual',
    at,
    at,
    OWNER,
    null,
    null,
    null,
    null,
  );
  for (const u of USERS) {
    const email = `${u.publicId}@acme.example`;
    const tier = u.seatState === 'seated' || u.seatState === 'invited' ? 'standard' : null;
    await member.run(
      orgId,
      email,
      foldKey(email),
      null,
      u.role ?? 'user',
      u.seatState,
      tier,
      'scim',
      u.createdAt,
      u.updatedAt,
      u.publicId,
      u.userName,
      foldKey(u.userName),
      u.externalId,
      JSON.stringify(u.resource),
    );
  }
  const group = db.prepare(
    `INSERT INTO scim_groups (organisation_id, public_id, display_name, display_name_key, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  for (const [publicId, name] of GROUPS) await group.run(orgId, publicId, name, foldKey(name), at, at);
  const join = db.prepare(
    `INSERT INTO scim_group_members (group_id, member_id)
     SELECT g.id, m.id FROM scim_groups g, members m WHERE g.public_id = ? AND m.public_id = ?`,
  );
  for (const [groupId, memberId] of MEMBERSHIPS) await join.run(groupId, memberId);
  return orgId;
}

/** An `or` chain of the terms, left-deep as the parser builds it. */
const chain = (terms: readonly FilterNode[]): FilterNode =>
  terms.reduce((left, right) => ({ kind: 'or', left, right }));

/**
 * Every filter over Users that test/unit/scim/filter-sql.test.ts runs, refused ones included, with
 * `owner` the primary owner's public id; then the long and deep ones it builds as ASTs.
 */
export function userFilters(owner: string): readonly (string | FilterNode)[] {
  const ext = 'urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User';
  const outer = MAX_FILTER_DEPTH - 2;
  return [
    'userName eq "bjensen@example.com"',
    'userName eq "BJENSEN@EXAMPLE.COM"',
    'urn:ietf:params:scim:schemas:core:2.0:User:USERNAME eq "alice"',
    'userName eq "OWNER@acme.example"',
    'emails[type eq "work" and primary eq true].value eq "owner@ACME.example"',
    'emails.value eq "owner@acme.example"',
    'displayName eq "olga owner"',
    'name.givenName eq "Olga" and name.familyName eq "OWNER"',
    'userName eq "u1@acme.example"',
    'userName eq "émile"',
    'userName eq "E\u0301MILE"',
    'userName eq "Émile"',
    'userName eq "ÉMILE"',
    'displayName eq "ÉMILE ZOLA"',
    'displayName sw "émile"',
    'externalId eq "ext-1"',
    'externalId eq "EXT-1"',
    'externalId eq "Ext-1"',
    'externalId eq "5f1c2a4e-0000-4000-8000-000000000000"',
    'externalId eq ext-4',
    `id eq "${owner}"`,
    'id eq "U1"',
    'emails[type eq "work"].value eq "BJensen@example.com"',
    'emails[type eq "home"].value eq "bjensen@example.com"',
    'emails[type eq "work" and primary eq true].value eq "b@y"',
    'emails[type eq "work" and primary eq true].value eq "a@x"',
    'emails[type eq "work"].value eq "a@x" and emails[type eq "home"].value eq "b@y"',
    'emails.type eq "work" and emails.value eq "a@x"',
    'emails eq "A@X"',
    'emails co "example"',
    'phoneNumbers[type eq "mobile"].value sw "+1"',
    'emails pr',
    'not (emails pr)',
    'emails[primary eq true] and emails.value pr',
    'groups eq "g-eng"',
    'groups.value eq "g-adm" or groups[value eq "g-eng"]',
    'groups ne "g-eng"',
    'groups pr',
    'groups co "g"',
    `${ENTERPRISE}:employeeNumber eq "42"`,
    `${ENTERPRISE.toUpperCase()}:EMPLOYEENUMBER eq "42"`,
    'employeeNumber eq "42"',
    'employeeNumber eq 43',
    `${ENTERPRISE}:manager.value eq "u4"`,
    'department eq "sales"',
    `${ext}:role eq "admin"`,
    `${ext}:seatState eq "deactivated"`,
    `${ext}:tier eq "standard"`,
    'active eq false',
    'active eq "False"',
    'active eq "TRUE"',
    'active ne true',
    'active gt false',
    'active eq "yes"',
    'active eq 1',
    'meta.lastModified gt "2026-01-02T10:00:00Z"',
    'meta.lastModified gt "2026-01-02T10:00:00"',
    'meta.lastModified ge "2026-01-02T11:00:00+01:00"',
    'meta.lastModified lt "2026-01-02T09:59:59.999Z"',
    'meta.lastModified eq "2026-01-02T10:00:00.000Z"',
    'meta.lastModified ge "2026-01-02T09:59:59.9990001Z"',
    'meta.lastModified lt "2026-01-02T09:59:59.9990001Z"',
    'meta.lastModified eq "2026-01-02T09:59:59.9990001Z"',
    'meta.created gt "yesterday"',
    'meta.created gt "2026-02-30T00:00:00Z"',
    'meta.created co "2026"',
    'meta.created eq "2026-01-02T09:00:00Z"',
    'meta.resourceType eq "User"',
    'meta.resourceType eq "Group"',
    'displayName co "JENSEN"',
    'name.familyName sw "sm"',
    'userName ew "EXAMPLE.COM"',
    'userName sw "B"',
    'externalId sw "ext"',
    'externalId sw "EXT"',
    'externalId ew "-1"',
    'title co "s_l"',
    'title sw "100%"',
    'title ew "_LEAD"',
    'title co "%"',
    'title co "_"',
    'title co ""',
    'title ew ""',
    'userName gt "BJENSEN"',
    'userName lt "b"',
    'title ne "100% Sales_Lead"',
    'not (title co "sales")',
    'not (externalId eq "ext-1")',
    'emails ne "a@x"',
    'not (emails[type eq "work"].value eq "a@x")',
    'not (not (userName eq "bob"))',
    'title pr',
    'externalId pr',
    'name pr',
    'name.givenName pr and not (employeeNumber pr)',
    'userName pr',
    'title eq null',
    'title ne null',
    'title gt null',
    'userName eq "bob" or userName eq "alice" and externalId pr',
    '(userName eq "bob" or userName eq "alice") and externalId pr',
    '(userName eq "bob" or userName eq "alice") and not (externalId pr)',
    'foo eq "x"',
    'urn:example:other:2.0:User:employeeNumber eq "x"',
    'name.nickname eq "x"',
    'name eq "x"',
    'addresses eq "x"',
    'emails[foo eq "x"]',
    'userName[value eq "x"]',
    'title.x eq "y"',
    'title eq true',
    `title co "'); DROP TABLE members; --"`,
    'userName eq "X"',
    `title co "'); DROP TABLE members; --" or displayName eq "?"`,
    `${'not ('.repeat(outer)}emails[not (type eq "work")]${')'.repeat(outer)}`,
    chain(
      Array.from({ length: 150 }, (_, i) => `n${i}`)
        .concat('bob')
        .map((n) => ({ kind: 'compare', path: { attribute: 'userName' }, op: 'eq', value: n })),
    ),
    chain(Array.from({ length: 1000 }, () => ({ kind: 'present', path: { attribute: 'id' } }))),
  ];
}

/** Every filter over Groups that test/unit/scim/filter-sql.test.ts runs. */
export const GROUP_FILTERS: readonly string[] = [
  'displayName eq "engineering"',
  'DISPLAYNAME eq "ADMINS"',
  'displayName co "in"',
  'members eq "u4"',
  'members.value eq "u1" and members.value eq "u3"',
  'not (members pr)',
  'id eq "g-eng" or meta.resourceType eq "User"',
  'userName eq "bob"',
];

/** Every Users sortBy that test/unit/scim/filter-sql.test.ts orders by, then more of each kind. */
export const USER_SORTS: readonly string[] = [
  'userName',
  'emails',
  'emails.type',
  'name.familyName',
  'meta.lastModified',
  'id',
  'externalId',
  'displayName',
  'title',
  'active',
  'name.givenName',
  'phoneNumbers',
  'emails.primary',
  'employeeNumber',
  'manager.value',
  'meta.created',
  'meta.resourceType',
  'urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User:tier',
];
