// SCIM filters compiled to SQL (db/scim-filter-sql.ts), run against a real migrated SQLite file:
// the exact set of users or groups each filter selects, the index userName eq uses, sorting, and
// the checklist rows 8–12 of the SCIM client reference (case-insensitive userName, externalId,
// emails value paths, enterprise URN paths, group displayName).
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { foldKey } from '../../../domain/fold.js';
import { openDatabase, type Db } from '../../../db/sqlite/connection.js';
import { ValidationError } from '../../../domain/errors.js';
import {
  compileGroupFilter,
  compileUserFilter,
  groupSortExpression,
  userSortExpression,
} from '../../../db/scim-filter-sql.js';
import { MAX_FILTER_DEPTH, parseAttributePath, parseFilter, type FilterNode } from '../../../scim/filter.js';
import { createExample, setup, type TestContext } from '../../helpers/fixtures.js';
import { ENTERPRISE, USERS } from '../../helpers/scim-filter-data.js';

describe('SCIM filters compiled to SQLite', () => {
  let ctx: TestContext;
  let db: Db;
  let orgId: number;
  let owner: string;

  beforeAll(async () => {
    ctx = await setup('2026-01-01T09:00:00Z');
    const created = await createExample(ctx);
    orgId = created.organisation.id;
    // A second connection to the same file: the rows are written with plain SQL, as the brief of
    // this test is the compiled SQL, not the services that will write these columns.
    db = openDatabase(ctx.databasePath, { busyTimeoutMs: 5000 });
    owner = db
      .prepare('SELECT public_id FROM members WHERE id = ?')
      .pluck()
      .get(created.primaryOwner.id) as string;
    const insertMember = db.prepare(
      `INSERT INTO members (organisation_id, email, email_key, display_name, role, seat_state, tier_id, source,
         created_at, updated_at, public_id, user_name, user_name_key, external_id, scim_resource)
       VALUES (?, ?, ?, NULL, ?, ?, ?, 'scim', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertGroup = db.prepare(
      `INSERT INTO scim_groups (organisation_id, public_id, display_name, display_name_key, created_at, updated_at)
       VALUES (?, ?, ?, ?, '2026-01-01T09:00:00.000Z', '2026-01-01T09:00:00.000Z')`,
    );
    const join = db.prepare(
      `INSERT INTO scim_group_members (group_id, member_id)
       SELECT g.id, m.id FROM scim_groups g, members m WHERE g.public_id = ? AND m.public_id = ?`,
    );
    db.transaction(() => {
      for (const u of USERS) {
        const email = `${u.publicId}@acme.example`;
        const tier = u.seatState === 'seated' || u.seatState === 'invited' ? 'standard' : null;
        insertMember.run(
          orgId,
          email,
          foldKey(email),
          u.role ?? 'user',
          u.seatState,
          tier,
          u.createdAt,
          u.updatedAt,
          u.publicId,
          u.userName,
          foldKey(u.userName),
          u.externalId,
          JSON.stringify(u.resource),
        );
      }
      insertGroup.run(orgId, 'g-eng', 'Engineering', foldKey('Engineering'));
      insertGroup.run(orgId, 'g-adm', 'Admins', foldKey('Admins'));
      insertGroup.run(orgId, 'g-empty', 'Nobody', foldKey('Nobody'));
      join.run('g-eng', 'u1');
      join.run('g-eng', 'u3');
      join.run('g-adm', 'u4');
    })();
  });

  afterAll(async () => {
    db.close();
    await ctx.cleanup();
  });

  /** The public ids of the members `filter` (text, or an AST) selects, sorted. */
  function users(filter: string | FilterNode): string[] {
    const { sql, params } = compileUserFilter(
      typeof filter === 'string' ? parseFilter(filter) : filter,
      'sqlite',
    );
    return (
      db
        .prepare(`SELECT m.public_id FROM members m WHERE m.organisation_id = ? AND (${sql})`)
        .pluck()
        .all(orgId, ...params) as string[]
    ).sort();
  }

  function groups(filter: string): string[] {
    const { sql, params } = compileGroupFilter(parseFilter(filter), 'sqlite');
    return (
      db
        .prepare(`SELECT g.public_id FROM scim_groups g WHERE g.organisation_id = ? AND (${sql})`)
        .pluck()
        .all(orgId, ...params) as string[]
    ).sort();
  }

  const everyone = () => [owner, 'u1', 'u2', 'u3', 'u4', 'u5'].sort();
  const allBut = (...ids: string[]) => everyone().filter((id) => !ids.includes(id));

  const refused = (fn: () => unknown, pattern: RegExp, code = 'invalid_filter') =>
    assert.throws(fn, (e) => e instanceof ValidationError && e.code === code && pattern.test(e.message));

  describe('userName and ids (reference checklist rows 8, 9)', () => {
    test('When userName eq is given in any case, then the same single user matches', () => {
      assert.deepEqual(users('userName eq "bjensen@example.com"'), ['u1']);
      assert.deepEqual(users('userName eq "BJENSEN@EXAMPLE.COM"'), ['u1']);
      assert.deepEqual(users('urn:ietf:params:scim:schemas:core:2.0:User:USERNAME eq "alice"'), ['u3']);
    });

    test('When a member never came through SCIM, then it is matched by the address and name it shows', () => {
      assert.deepEqual(users('userName eq "OWNER@acme.example"'), [owner]);
      assert.deepEqual(users('emails[type eq "work" and primary eq true].value eq "owner@ACME.example"'), [
        owner,
      ]);
      assert.deepEqual(users('emails.value eq "owner@acme.example"'), [owner]);
      assert.deepEqual(users('displayName eq "olga owner"'), [owner]);
      assert.deepEqual(users('name.givenName eq "Olga" and name.familyName eq "OWNER"'), [owner]);
      // u1's address is u1@acme.example, but its userName is the one the provider sent.
      assert.deepEqual(users('userName eq "u1@acme.example"'), []);
    });

    test('When userName eq runs, then SQLite answers it from the index members_scim_user_name', () => {
      const { sql, params } = compileUserFilter(parseFilter('userName eq "X"'), 'sqlite');
      assert.equal(sql, '(coalesce(m.user_name_key, m.email_key) = ?)');
      assert.deepEqual(params, ['x']);
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT m.public_id FROM members m WHERE m.organisation_id = ? AND (${sql})`,
        )
        .all(orgId, ...params) as { detail: string }[];
      assert.ok(
        plan.some((row) =>
          /USING INDEX members_scim_user_name \(organisation_id=\? AND <expr>=\?\)/.test(row.detail),
        ),
        JSON.stringify(plan),
      );
    });

    test('When a userName has non-ASCII capitals, then it matches in any case, as the stored foldKey() key does', () => {
      // Keys are folded by the application (Unicode-aware), not by SQLite's ASCII-only lower().
      assert.deepEqual(users('userName eq "émile"'), ['u5']);
      assert.deepEqual(
        users('userName eq "E\u0301MILE"'),
        ['u5'],
        'a decomposed accent folds to the same key',
      );
      assert.deepEqual(users('userName eq "Émile"'), ['u5']);
      assert.deepEqual(users('userName eq "ÉMILE"'), ['u5']);
    });

    test('When an attribute kept only in the JSON document has non-ASCII capitals, then it folds like the keys do', () => {
      assert.deepEqual(users('displayName eq "ÉMILE ZOLA"'), ['u5']);
      assert.deepEqual(users('displayName sw "émile"'), ['u5']);
    });

    test('When externalId eq is given, then it matches case-sensitively, and an unknown one matches nobody', () => {
      assert.deepEqual(users('externalId eq "ext-1"'), ['u1']);
      assert.deepEqual(users('externalId eq "EXT-1"'), ['u2']);
      assert.deepEqual(users('externalId eq "Ext-1"'), []);
      assert.deepEqual(users('externalId eq "5f1c2a4e-0000-4000-8000-000000000000"'), []);
      assert.deepEqual(users('externalId eq ext-4'), ['u4']);
    });

    test('When id eq is given, then the member with that public id matches', () => {
      assert.deepEqual(users(`id eq "${owner}"`), [owner]);
      assert.deepEqual(users('id eq "U1"'), []);
    });
  });

  describe('multi-valued attributes (checklist row 10)', () => {
    test('When emails[type eq "work"].value eq is given, then the work address matches in any case', () => {
      assert.deepEqual(users('emails[type eq "work"].value eq "BJensen@example.com"'), ['u1']);
      assert.deepEqual(users('emails[type eq "home"].value eq "bjensen@example.com"'), []);
      assert.deepEqual(users('emails[type eq "work" and primary eq true].value eq "b@y"'), ['u2']);
      assert.deepEqual(users('emails[type eq "work" and primary eq true].value eq "a@x"'), []);
    });

    test('When two value paths name different elements, then each is matched by its own element', () => {
      assert.deepEqual(
        users('emails[type eq "work"].value eq "a@x" and emails[type eq "home"].value eq "b@y"'),
        ['u3'],
      );
      // Without brackets the two conditions may hold in different elements (RFC 7644 §3.4.2.2).
      assert.deepEqual(users('emails.type eq "work" and emails.value eq "a@x"'), ['u2', 'u3']);
    });

    test('When a multi-valued attribute is compared without a sub-attribute, then its value is compared', () => {
      assert.deepEqual(users('emails eq "A@X"'), ['u2', 'u3']);
      assert.deepEqual(users('emails co "example"'), [owner, 'u1'].sort());
      assert.deepEqual(users('phoneNumbers[type eq "mobile"].value sw "+1"'), ['u1']);
    });

    test('When emails pr is asked, then only non-empty email lists match', () => {
      assert.deepEqual(users('emails pr'), [owner, 'u1', 'u2', 'u3'].sort());
      assert.deepEqual(users('not (emails pr)'), ['u4', 'u5']);
      assert.deepEqual(users('emails[primary eq true] and emails.value pr'), [owner, 'u1', 'u2'].sort());
    });

    test('When groups eq is given, then the group members match, and ne is its complement', () => {
      assert.deepEqual(users('groups eq "g-eng"'), ['u1', 'u3']);
      assert.deepEqual(users('groups.value eq "g-adm" or groups[value eq "g-eng"]'), ['u1', 'u3', 'u4']);
      assert.deepEqual(users('groups ne "g-eng"'), allBut('u1', 'u3'));
      assert.deepEqual(users('groups pr'), ['u1', 'u3', 'u4']);
      refused(() => users('groups co "g"'), /operator "co" cannot be used with "groups"/);
    });
  });

  describe('enterprise extension (checklist row 11)', () => {
    test('When employeeNumber is given with or without its URN, then it matches the same user', () => {
      assert.deepEqual(users(`${ENTERPRISE}:employeeNumber eq "42"`), ['u1']);
      assert.deepEqual(users(`${ENTERPRISE.toUpperCase()}:EMPLOYEENUMBER eq "42"`), ['u1']);
      assert.deepEqual(users('employeeNumber eq "42"'), ['u1']);
      assert.deepEqual(users('employeeNumber eq 43'), ['u4']);
      assert.deepEqual(users(`${ENTERPRISE}:manager.value eq "u4"`), ['u1']);
      assert.deepEqual(users('department eq "sales"'), ['u1']);
    });

    test('When our own extension is filtered, then it reads the member columns', () => {
      const ext = 'urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User';
      assert.deepEqual(users(`${ext}:role eq "admin"`), ['u4']);
      assert.deepEqual(users(`${ext}:seatState eq "deactivated"`), ['u2']);
      assert.deepEqual(users(`${ext}:tier eq "standard"`), [owner, 'u1', 'u3', 'u5'].sort());
    });
  });

  describe('active', () => {
    test('When active eq false or "False" is given, then deactivated members match', () => {
      assert.deepEqual(users('active eq false'), ['u2']);
      assert.deepEqual(users('active eq "False"'), ['u2']);
      assert.deepEqual(users('active eq "TRUE"'), allBut('u2'));
      assert.deepEqual(users('active ne true'), ['u2']);
    });

    test('When active is ordered or compared with a non-boolean, then the filter is refused', () => {
      refused(() => users('active gt false'), /operator "gt" cannot be used with "active"/);
      refused(() => users('active eq "yes"'), /"active" is a boolean/);
      refused(() => users('active eq 1'), /"active" is a boolean/);
    });
  });

  describe('dates', () => {
    test('When meta.lastModified is compared, then the literal is normalised to stored UTC milliseconds', () => {
      assert.deepEqual(users('meta.lastModified gt "2026-01-02T10:00:00Z"'), ['u2']);
      assert.deepEqual(users('meta.lastModified gt "2026-01-02T10:00:00"'), ['u2']);
      assert.deepEqual(users('meta.lastModified ge "2026-01-02T11:00:00+01:00"'), ['u1', 'u2']);
      assert.deepEqual(users('meta.lastModified lt "2026-01-02T09:59:59.999Z"'), [owner, 'u3', 'u5'].sort());
      assert.deepEqual(users('meta.lastModified eq "2026-01-02T10:00:00.000Z"'), ['u1']);
    });

    test('When a date literal has sub-millisecond digits, then it compares as the exact instant', () => {
      assert.deepEqual(users('meta.lastModified ge "2026-01-02T09:59:59.9990001Z"'), ['u1', 'u2']);
      assert.deepEqual(
        users('meta.lastModified lt "2026-01-02T09:59:59.9990001Z"'),
        [owner, 'u3', 'u4', 'u5'].sort(),
      );
      assert.deepEqual(users('meta.lastModified eq "2026-01-02T09:59:59.9990001Z"'), []);
    });

    test('When a date cannot be parsed, then the filter is refused', () => {
      refused(() => users('meta.created gt "yesterday"'), /"meta.created" is a dateTime/);
      refused(() => users('meta.created gt "2026-02-30T00:00:00Z"'), /dateTime/);
      refused(() => users('meta.created co "2026"'), /operator "co"/);
    });

    test('When meta.created and meta.resourceType are filtered, then they read the row and the constant', () => {
      assert.deepEqual(users('meta.created eq "2026-01-02T09:00:00Z"'), ['u4', 'u5']);
      assert.deepEqual(users('meta.resourceType eq "User"'), everyone());
      assert.deepEqual(users('meta.resourceType eq "Group"'), []);
    });
  });

  describe('substring operators', () => {
    test('When co, sw or ew are used, then they fold case for caseExact=false attributes', () => {
      assert.deepEqual(users('displayName co "JENSEN"'), ['u1']);
      assert.deepEqual(users('name.familyName sw "sm"'), ['u2']);
      assert.deepEqual(users('userName ew "EXAMPLE.COM"'), ['u1']);
      assert.deepEqual(users('userName sw "B"'), ['u1', 'u4']);
    });

    test('When co, sw or ew are used on a caseExact attribute, then case matters', () => {
      assert.deepEqual(users('externalId sw "ext"'), ['u1', 'u4', 'u5']);
      assert.deepEqual(users('externalId sw "EXT"'), ['u2']);
      assert.deepEqual(users('externalId ew "-1"'), ['u1', 'u2']);
    });

    test('When the value holds % or _, then they are literal characters, not wildcards', () => {
      assert.deepEqual(users('title co "s_l"'), ['u1']);
      assert.deepEqual(users('title sw "100%"'), ['u1']);
      assert.deepEqual(users('title ew "_LEAD"'), ['u1']);
      assert.deepEqual(users('title co "%"'), ['u1']);
      assert.deepEqual(users('title co "_"'), ['u1']);
    });

    test('When the value is empty, then every present value contains, starts and ends with it', () => {
      assert.deepEqual(users('title co ""'), ['u1', 'u4']);
      assert.deepEqual(users('title ew ""'), ['u1', 'u4']);
    });

    test('When strings are ordered, then gt/lt compare them lexically after folding', () => {
      assert.deepEqual(users('userName gt "BJENSEN"'), [owner, 'u1', 'u2', 'u4', 'u5'].sort());
      assert.deepEqual(users('userName lt "b"'), ['u3']);
    });
  });

  describe('negation and presence', () => {
    test('When not or ne is used, then members lacking the attribute match too', () => {
      assert.deepEqual(users('title ne "100% Sales_Lead"'), allBut('u1'));
      assert.deepEqual(users('not (title co "sales")'), allBut('u1', 'u4'));
      assert.deepEqual(users('not (externalId eq "ext-1")'), allBut('u1'));
      assert.deepEqual(users('emails ne "a@x"'), allBut('u2', 'u3'));
      assert.deepEqual(users('not (emails[type eq "work"].value eq "a@x")'), allBut('u3'));
      assert.deepEqual(users('not (not (userName eq "bob"))'), ['u4']);
    });

    test('When pr is used, then only non-empty values match', () => {
      assert.deepEqual(users('title pr'), ['u1', 'u4']);
      assert.deepEqual(users('externalId pr'), ['u1', 'u2', 'u4', 'u5']);
      assert.deepEqual(users('name pr'), [owner, 'u1', 'u2'].sort());
      assert.deepEqual(users('name.givenName pr and not (employeeNumber pr)'), [owner, 'u2'].sort());
      assert.deepEqual(users('userName pr'), everyone());
    });

    test('When eq null or ne null is used, then it means absent or present (RFC 7643 §2.5)', () => {
      assert.deepEqual(users('title eq null'), allBut('u1', 'u4'));
      assert.deepEqual(users('title ne null'), ['u1', 'u4']);
      refused(() => users('title gt null'), /cannot compare with null/);
    });

    test('When and/or combine, then precedence holds in SQL as in the AST', () => {
      assert.deepEqual(users('userName eq "bob" or userName eq "alice" and externalId pr'), ['u4']);
      assert.deepEqual(users('(userName eq "bob" or userName eq "alice") and externalId pr'), ['u4']);
      assert.deepEqual(users('(userName eq "bob" or userName eq "alice") and not (externalId pr)'), ['u3']);
    });
  });

  describe('groups (checklist row 12)', () => {
    test('When displayName eq is given in any case, then that group matches', () => {
      assert.deepEqual(groups('displayName eq "engineering"'), ['g-eng']);
      assert.deepEqual(groups('DISPLAYNAME eq "ADMINS"'), ['g-adm']);
      assert.deepEqual(groups('displayName co "in"'), ['g-adm', 'g-eng']);
    });

    test('When members eq is given, then the groups holding that member match', () => {
      assert.deepEqual(groups('members eq "u4"'), ['g-adm']);
      assert.deepEqual(groups('members.value eq "u1" and members.value eq "u3"'), ['g-eng']);
      assert.deepEqual(groups('not (members pr)'), ['g-empty']);
      assert.deepEqual(groups('id eq "g-eng" or meta.resourceType eq "User"'), ['g-eng']);
    });

    test('When a user attribute is used on groups, then it is an unknown attribute', () => {
      refused(() => groups('userName eq "bob"'), /^Unknown attribute "userName" in filter$/);
    });
  });

  describe('refusals', () => {
    test('When an attribute is unknown or used wrongly, then the filter is refused naming it', () => {
      refused(() => users('foo eq "x"'), /^Unknown attribute "foo" in filter$/);
      refused(() => users('urn:example:other:2.0:User:employeeNumber eq "x"'), /Unknown attribute/);
      refused(() => users('name.nickname eq "x"'), /Unknown sub-attribute "nickname" of "name"/);
      refused(() => users('name eq "x"'), /complex attribute/);
      refused(() => users('addresses eq "x"'), /no "value" sub-attribute/);
      refused(() => users('emails[foo eq "x"]'), /Unknown sub-attribute "foo" of "emails"/);
      refused(() => users('userName[value eq "x"]'), /not a complex attribute/);
      refused(() => users('title.x eq "y"'), /has no sub-attributes/);
      refused(() => users('title eq true'), /string attribute/);
    });
  });

  describe('SQL shape', () => {
    test('When a filter nests to the depth limit or chains hundreds of terms, then SQLite still runs it', () => {
      // 48 "not (" + "[" + "not (" = 50 levels: an even number of negations of "has an email
      // that is not a work email" (u1, u2, u3).
      const outer = MAX_FILTER_DEPTH - 2;
      const deep = `${'not ('.repeat(outer)}emails[not (type eq "work")]${')'.repeat(outer)}`;
      assert.deepEqual(users(deep), ['u1', 'u2', 'u3']);
      // The parser refuses more than MAX_FILTER_TERMS terms; the compiler is given longer chains
      // directly, as a left-deep tree like the parser builds, and flattens them into a balanced one.
      const chain = (terms: readonly FilterNode[]): FilterNode =>
        terms.reduce((left, right) => ({ kind: 'or', left, right }));
      const names = Array.from({ length: 150 }, (_, i) => `n${i}`).concat('bob');
      assert.deepEqual(
        users(
          chain(names.map((n) => ({ kind: 'compare', path: { attribute: 'userName' }, op: 'eq', value: n }))),
        ),
        ['u4'],
      );
      assert.deepEqual(
        users(chain(Array.from({ length: 1000 }, () => ({ kind: 'present', path: { attribute: 'id' } })))),
        everyone(),
      );
    });

    test('When a filter is compiled, then no value appears in the SQL text', () => {
      const { sql, params } = compileUserFilter(
        parseFilter(`title co "'); DROP TABLE members; --" or displayName eq "?"`),
        'sqlite',
      );
      assert.ok(!/drop/i.test(sql));
      // title is caseExact=false: its literal arrives folded, as a parameter like any other.
      assert.deepEqual(params, ["'); drop table members; --", '?']);
      assert.equal(users(`title co "'); DROP TABLE members; --"`).length, 0);
    });
  });

  describe('sortBy', () => {
    const sorted = (sortBy: string, expression = userSortExpression(parseAttributePath(sortBy), 'sqlite')) =>
      db
        .prepare(
          `SELECT m.public_id FROM members m WHERE m.organisation_id = ? AND m.user_name_key IS NOT NULL
           ORDER BY ${expression}, m.id`,
        )
        .pluck()
        .all(orgId) as string[];

    test('When sorting by userName, then case is ignored', () => {
      assert.deepEqual(sorted('userName'), ['u3', 'u1', 'u4', 'u2', 'u5']);
    });

    test('When sorting by a multi-valued attribute, then its primary value counts, else its first', () => {
      // u1: bjensen@… (primary), u2: b@y (primary), u3: b@y (first), u4 and u5 have none (NULL first).
      assert.deepEqual(sorted('emails'), ['u4', 'u5', 'u2', 'u3', 'u1']);
      assert.deepEqual(sorted('emails.type'), ['u4', 'u5', 'u3', 'u1', 'u2']);
    });

    test('When sorting by a sub-attribute or a date, then that value orders the rows', () => {
      assert.deepEqual(sorted('name.familyName').slice(-2), ['u1', 'u2']);
      assert.deepEqual(sorted('meta.lastModified'), ['u3', 'u5', 'u4', 'u1', 'u2']);
      assert.equal(groupSortExpression(parseAttributePath('displayName'), 'sqlite'), 'g.display_name_key');
    });

    test('When sortBy names something unsortable, then it is refused with invalid_sort', () => {
      refused(
        () => userSortExpression(parseAttributePath('name'), 'sqlite'),
        /complex attribute "name"/,
        'invalid_sort',
      );
      refused(
        () => userSortExpression(parseAttributePath('groups'), 'sqlite'),
        /Cannot sort by "groups"/,
        'invalid_sort',
      );
      refused(
        () => userSortExpression(parseAttributePath('nope'), 'sqlite'),
        /Unknown attribute "nope" in sortBy/,
        'invalid_sort',
      );
    });
  });
});
