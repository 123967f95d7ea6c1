// SCIM filter AST (scim/filter.ts) → a parameterised boolean SQL expression over our tables, and
// sortBy → an ORDER BY expression, for Users (alias `m`, members) and Groups (alias `g`), in the
// dialect of the connection (SQLite or PostgreSQL).
//
// Why this lives in db/: the AST is the protocol (RFC 7644 §3.4.2.2); how an attribute is stored,
// and the functions that read it, are the database's. One compiler serves both dialects: the
// grammar, the attribute tables and every rule below are shared, and only the fragments that read
// the stored JSON, test substrings and order text come from the dialect (FRAGMENTS). The engine
// passes the AST through and never sees SQL.
//
// Safety rules every branch keeps:
// - Values never enter the SQL text: each literal is a `?` parameter. The only text spliced in is
//   from the attribute tables below (column names and JSON paths of attributes we know); an
//   attribute not in the tables is refused before any SQL is built.
// - Every expression is NULL-free (true or false, never SQL NULL), so `not (…)` is the exact
//   complement: `ne` is `NOT (eq)`, and a resource without the attribute matches `ne` and `not`.
// - No LIKE: SQLite's LIKE folds ASCII case whatever caseExact says, depends on
//   PRAGMA case_sensitive_like, and would need `%`/`_` escaping. instr/substr (SQLite) and
//   strpos/starts_with/right (PostgreSQL) compare literally.
// - Booleans are TRUE and FALSE, not 1 and 0: SQLite reads both alike, PostgreSQL only the former.
// - Strings order by code point in both (SQLite's BINARY collation; COLLATE "C" on PostgreSQL,
//   whatever the database's collation), so gt/lt and sortBy select and order the same rows.
import type { AttributePath, CompareOp, FilterNode, FilterValue } from '../domain/directory-query.js';
import { ValidationError } from '../domain/errors.js';
import { foldKey } from '../domain/fold.js';
import { scimShownUserSql } from './scim-shown-user.js';
import type { Dialect } from './sql.js';
import { DateTime } from 'luxon';

/** details.reason of the error for an attribute the resource type does not have. */
export const UNKNOWN_ATTRIBUTE = 'unknown_attribute';

/** A boolean SQL expression and its positional parameters, in order. */
export interface CompiledFilter {
  readonly sql: string;
  readonly params: (string | number)[];
}

/** Compiles a filter over Users; the expression reads alias `m` (members). */
export function compileUserFilter(node: FilterNode, dialect: Dialect): CompiledFilter {
  return new Compiler(RESOURCES[dialect].user, FRAGMENTS[dialect]).compile(node);
}

/** Compiles a filter over Groups; the expression reads alias `g` (scim_groups). */
export function compileGroupFilter(node: FilterNode, dialect: Dialect): CompiledFilter {
  return new Compiler(RESOURCES[dialect].group, FRAGMENTS[dialect]).compile(node);
}

/**
 * The ORDER BY expression for sortBy over alias `m` (RFC 7644 §3.4.2.3). Parameter-free. Strings
 * that are caseExact=false sort case-insensitively; a multi-valued attribute sorts by its primary
 * element, else its first. Unassigned values are NULL; follow the expression with sortDirection().
 */
export function userSortExpression(path: AttributePath, dialect: Dialect): string {
  return sortExpression(RESOURCES[dialect].user, FRAGMENTS[dialect], path);
}

/** The ORDER BY expression for sortBy over alias `g`; see userSortExpression. */
export function groupSortExpression(path: AttributePath, dialect: Dialect): string {
  return sortExpression(RESOURCES[dialect].group, FRAGMENTS[dialect], path);
}

/**
 * The direction after a sort expression. Unassigned values come first when ascending and last when
 * descending, on every dialect: that is SQLite's own order, and RFC 7644 §3.4.2.3 leaves it to the
 * provider, but paging through one server must not depend on its database.
 */
export function sortDirection(descending: boolean): string {
  return descending ? 'DESC NULLS LAST' : 'ASC NULLS FIRST';
}

// --- dialects ------------------------------------------------------------------------------------

/**
 * What differs between the dialects: how the user's JSON document is read, how substrings are
 * tested, and how text is ordered. Every JSON path is a list of our own attribute names, never
 * client input; the document read is the dialect's userDocument().
 */
interface Fragments {
  /** The value at `keys` of the document; NULL when absent or JSON null. */
  value(keys: readonly string[]): string;
  /** A FROM item: one row per element of the array `key`, as `e`, with its position in `e.key`. */
  elements(key: string): string;
  /** A sub-attribute of the element `e`; NULL when the element is not an object. */
  element(name: string, type: ScalarType): string;
  /** A boolean: the array `key` has an element (RFC 7644 §3.4.2.2 "pr"). Never NULL. */
  nonEmptyArray(key: string): string;
  /** A boolean: the object at `keys` has a non-empty sub-attribute. Never NULL. */
  someAtom(keys: readonly string[]): string;
  /** `haystack` contains, starts with, ends with `needle()` (a parameter; called in text order). */
  contains(haystack: string, needle: () => string): string;
  startsWith(haystack: string, needle: () => string): string;
  endsWith(haystack: string, needle: () => string): string;
  /** The text expression, ordered by code point. */
  ordered(sql: string): string;
}

/**
 * The member's SCIM attributes as a JSON document: those the provider sent, else (a member it never
 * pushed) what the listing shows for it (db/scim-shown-user.ts). coalesce() builds it only for rows
 * without a stored one.
 */
const userDocument = (dialect: Dialect, stored: string): string =>
  `coalesce(${stored}, ${scimShownUserSql('m', dialect)})`;

/** A JSON path from our own names: `$.a."urn:…:User".b`. */
const jsonPath = (keys: readonly string[]): string =>
  `$${keys.map((key) => (/^[A-Za-z0-9_]+$/.test(key) ? `.${key}` : `."${key}"`)).join('')}`;

const SQLITE_DOCUMENT = userDocument('sqlite', 'm.scim_resource');

const SQLITE: Fragments = {
  value: (keys) => `json_extract(${SQLITE_DOCUMENT}, '${jsonPath(keys)}')`,
  elements: (key) => `json_each(${SQLITE_DOCUMENT}, '${jsonPath([key])}') AS e`,
  // CASE, because json_extract on a non-object element (an array of bare strings sent by a sloppy
  // client) is "malformed JSON" and would fail the query.
  element: (name) => `CASE e.type WHEN 'object' THEN json_extract(e.value, '${jsonPath([name])}') END`,
  nonEmptyArray: (key) => `coalesce(json_array_length(${SQLITE_DOCUMENT}, '${jsonPath([key])}'), 0) > 0`,
  someAtom: (keys) =>
    `EXISTS (SELECT 1 FROM json_each(${SQLITE_DOCUMENT}, '${jsonPath(keys)}') AS e WHERE e.atom IS NOT NULL AND e.atom <> '')`,
  contains: (haystack, needle) => `instr(${haystack}, ${needle()}) > 0`,
  startsWith: (haystack, needle) => `substr(${haystack}, 1, length(${needle()})) = ${needle()}`,
  endsWith: (haystack, needle) => `substr(${haystack}, -length(${needle()})) = ${needle()}`,
  // BINARY, SQLite's default collation, compares the UTF-8 bytes: code point order.
  ordered: (sql) => sql,
};

// The stored resource is text (JSON written by JSON.stringify); jsonb reads it. The document is
// the same expression in each reference, which PostgreSQL evaluates per reference as SQLite does.
const POSTGRES_DOCUMENT = userDocument('postgres', 'm.scim_resource::jsonb');

/** `doc -> 'a' -> 'b'`: the JSON value at `keys`. Keys are our own names, without quotes. */
const jsonbAt = (doc: string, keys: readonly string[]): string =>
  `${doc}${keys.map((key) => ` -> '${key}'`).join('')}`;

/** The JSON value at `keys` if it is of JSON type `type`, else NULL. */
const jsonbOfType = (at: string, type: 'array' | 'object'): string =>
  `CASE jsonb_typeof(${at}) WHEN '${type}' THEN ${at} END`;

const POSTGRES: Fragments = {
  // ->> gives a JSON string as its text, and SQL NULL for JSON null and for a missing key.
  value: (keys) => `(${jsonbAt(POSTGRES_DOCUMENT, keys.slice(0, -1))} ->> '${keys[keys.length - 1]!}')`,
  // Only an array has elements: jsonb_array_elements fails on anything else, json_each (SQLite)
  // would walk an object's members, whose elements the CASE in `element` then ignores alike.
  elements: (key) =>
    `jsonb_array_elements(${jsonbOfType(jsonbAt(POSTGRES_DOCUMENT, [key]), 'array')}) WITH ORDINALITY AS e (value, key)`,
  // ->> on an element that is not an object is NULL, not an error. A boolean sub-attribute
  // (primary) is read as an SQL boolean when it is a JSON one, as SQLite reads JSON true as 1.
  element: (name, type) =>
    type === 'boolean'
      ? `CASE jsonb_typeof(e.value -> '${name}') WHEN 'boolean' THEN (e.value -> '${name}')::boolean END`
      : `(e.value ->> '${name}')`,
  nonEmptyArray: (key) =>
    `coalesce(jsonb_array_length(${jsonbOfType(jsonbAt(POSTGRES_DOCUMENT, [key]), 'array')}), 0) > 0`,
  // As SQLite's json_each: an object's members, or a bare value standing for itself; a member is
  // non-empty when it is a string other than "", a number or a boolean.
  someAtom: (keys) => {
    const at = jsonbAt(POSTGRES_DOCUMENT, keys);
    const atom = (value: string) =>
      `jsonb_typeof(${value}) IN ('string', 'number', 'boolean') AND ${value} <> '""'::jsonb`;
    return `(EXISTS (SELECT 1 FROM jsonb_each(${jsonbOfType(at, 'object')}) AS e WHERE ${atom('e.value')}) OR coalesce(${atom(`(${at})`)}, FALSE))`;
  },
  contains: (haystack, needle) => `strpos(${haystack}, ${needle()}) > 0`,
  startsWith: (haystack, needle) => `starts_with(${haystack}, ${needle()})`,
  endsWith: (haystack, needle) => `right(${haystack}, length(${needle()})) = ${needle()}`,
  // The "C" collation compares bytes, whatever the database's collation: code point order.
  ordered: (sql) => `(${sql}) COLLATE "C"`,
};

const FRAGMENTS: Readonly<Record<Dialect, Fragments>> = { sqlite: SQLITE, postgres: POSTGRES };

// --- attribute tables ----------------------------------------------------------------------------

type ScalarType = 'string' | 'boolean' | 'dateTime' | 'binary';

/** A single value that SQL can read directly: a column, a JSON path, or a constant. */
interface Scalar {
  readonly kind: 'scalar';
  readonly name: string;
  readonly type: ScalarType;
  /** SQL expression reading the value in its scope (the resource row, or the element `e`). */
  readonly sql: string;
  /** RFC 7643 §2.3.1 caseExact; false → both sides lower-cased. */
  readonly caseExact: boolean;
  /** False when the expression can never be NULL, so the IS NOT NULL guard is left out. */
  readonly nullable: boolean;
  /** The column already holds foldKey() of the value (user_name_key, display_name_key). */
  readonly folded?: true;
  /** Operators allowed, when narrower than the type allows. */
  readonly ops?: readonly CompareOp[];
}

/** A single-valued complex attribute (name, manager, meta). */
interface Complex {
  readonly kind: 'complex';
  readonly name: string;
  /** SQL boolean: the attribute has some non-empty sub-attribute (RFC 7644 §3.4.2.2 "pr"). */
  readonly present: string;
  readonly sub: ReadonlyMap<string, Scalar>;
}

/** A multi-valued attribute: rows of a subquery, one per element, each read through `sub`. */
interface Multi {
  readonly kind: 'multi';
  readonly name: string;
  /** FROM clause producing one row per element. */
  readonly from: string;
  /** Correlation with the outer row, if `from` is a join. */
  readonly where?: string;
  readonly present: string;
  readonly sub: ReadonlyMap<string, Scalar>;
  /** ORDER BY putting the primary element first, for sorting; absent → not sortable. */
  readonly primaryFirst?: string;
}

type Attribute = Scalar | Complex | Multi;

interface Resource {
  /** Lower-cased schema URN → its attributes by lower-cased name. The core schema is first. */
  readonly schemas: ReadonlyMap<string, ReadonlyMap<string, Attribute>>;
}

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const SEATKEEPER_USER = 'urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

const byName = <T extends { readonly name: string }>(items: readonly T[]): ReadonlyMap<string, T> =>
  new Map(items.map((item) => [item.name.toLowerCase(), item]));

const scalar = (
  name: string,
  type: ScalarType,
  sql: string,
  caseExact: boolean,
  more: Partial<Pick<Scalar, 'nullable' | 'folded' | 'ops'>> = {},
): Scalar => ({ kind: 'scalar', name, type, sql, caseExact, nullable: true, ...more });

const dateTimeColumn = (name: string, column: string): Scalar =>
  scalar(name, 'dateTime', column, true, { nullable: false });

const meta = (resourceType: string, alias: string): Complex => ({
  kind: 'complex',
  name: 'meta',
  present: 'TRUE',
  sub: byName([
    dateTimeColumn('created', `${alias}.created_at`),
    dateTimeColumn('lastModified', `${alias}.updated_at`),
    // A constant of ours, not client input; caseExact per RFC 7643 §3.1.
    scalar('resourceType', 'string', `'${resourceType}'`, true, { nullable: false }),
  ]),
});

/** The attribute tables of Users and Groups, reading the stored JSON through `f`. */
function resources(f: Fragments): { readonly user: Resource; readonly group: Resource } {
  /** A value of the user's document at `keys`, our own names only. */
  const stored = (name: string, keys: readonly string[], caseExact = false): Scalar =>
    scalar(name, 'string', f.value(keys), caseExact);

  /** A sub-attribute of an element `e` of a multi-valued attribute. */
  const element = (name: string, type: ScalarType = 'string', caseExact = false): Scalar =>
    scalar(name, type, f.element(name, type), caseExact);

  const storedComplex = (
    name: string,
    keys: readonly string[],
    subs: readonly [string, boolean][],
  ): Complex => ({
    kind: 'complex',
    name,
    present: f.someAtom(keys),
    sub: byName(subs.map(([sub, caseExact]) => stored(sub, [...keys, sub], caseExact))),
  });

  /**
   * A multi-valued complex attribute stored as a JSON array (RFC 7643 §4.1.2). Sub-attributes and
   * caseExact per RFC 7643 §8.7.1; `value` is what a filter without a sub-attribute compares
   * (`emails co "x"`, RFC 7644 §3.4.2.2).
   */
  const storedMulti = (name: string, subs: readonly Scalar[]): Multi => ({
    kind: 'multi',
    name,
    from: f.elements(name),
    present: f.nonEmptyArray(name),
    sub: byName([...subs, element('type'), element('primary', 'boolean')]),
    primaryFirst: `CASE WHEN ${element('primary', 'boolean').sql} = TRUE THEN 0 ELSE 1 END, e.key`,
  });

  const user: Resource = {
    schemas: new Map([
      [
        CORE_USER.toLowerCase(),
        byName<Attribute>([
          scalar('id', 'string', 'm.public_id', true),
          scalar('externalId', 'string', 'm.external_id', true),
          // caseExact=false (RFC 7643 §4.1.1). The userName shown: the pushed one, else the address
          // (both columns hold foldKey() of the value), so `eq` is one lookup in the expression index
          // members_scim_user_name (organisation_id, coalesce(user_name_key, email_key)).
          scalar('userName', 'string', 'coalesce(m.user_name_key, m.email_key)', false, {
            folded: true,
            nullable: false,
          }),
          // Entra and Okta deactivate instead of deleting (reference §2.1, §2.2): active is "not deactivated".
          scalar('active', 'boolean', "(m.seat_state <> 'deactivated')", true, { nullable: false }),
          ...['displayName', 'nickName', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone'].map(
            (name) => stored(name, [name]),
          ),
          stored('profileUrl', ['profileUrl'], true),
          storedComplex(
            'name',
            ['name'],
            [
              ['formatted', false],
              ['familyName', false],
              ['givenName', false],
              ['middleName', false],
              ['honorificPrefix', false],
              ['honorificSuffix', false],
            ],
          ),
          storedMulti('emails', [element('value'), element('display')]),
          storedMulti('phoneNumbers', [element('value'), element('display')]),
          storedMulti('ims', [element('value'), element('display')]),
          storedMulti('photos', [element('value', 'string', true), element('display')]),
          storedMulti('addresses', [
            element('formatted'),
            element('streetAddress'),
            element('locality'),
            element('region'),
            element('postalCode'),
            element('country'),
          ]),
          storedMulti('entitlements', [element('value'), element('display')]),
          storedMulti('roles', [element('value'), element('display')]),
          storedMulti('x509Certificates', [element('value', 'binary', true), element('display')]),
          {
            kind: 'multi',
            name: 'groups',
            from: 'scim_group_members gm JOIN scim_groups gg ON gg.id = gm.group_id',
            where: 'gm.member_id = m.id',
            present: 'EXISTS (SELECT 1 FROM scim_group_members gm WHERE gm.member_id = m.id)',
            // Membership is by id only: eq (and ne, its negation) is all a client needs to find members.
            sub: byName([scalar('value', 'string', 'gg.public_id', true, { nullable: false, ops: ['eq'] })]),
          },
          meta('User', 'm'),
        ]),
      ],
      [
        ENTERPRISE_USER.toLowerCase(),
        byName<Attribute>([
          ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((name) =>
            stored(name, [ENTERPRISE_USER, name]),
          ),
          // manager.value is the manager's id, and ids are caseExact (RFC 7643 §3.1, §4.3).
          storedComplex(
            'manager',
            [ENTERPRISE_USER, 'manager'],
            [
              ['value', true],
              ['displayName', false],
            ],
          ),
        ]),
      ],
      [
        SEATKEEPER_USER.toLowerCase(),
        byName<Attribute>([
          scalar('tier', 'string', 'm.tier_id', true),
          scalar('seatState', 'string', 'm.seat_state', true, { nullable: false }),
          scalar('role', 'string', 'm.role', true, { nullable: false }),
        ]),
      ],
    ]),
  };

  const group: Resource = {
    schemas: new Map([
      [
        CORE_GROUP.toLowerCase(),
        byName<Attribute>([
          scalar('id', 'string', 'g.public_id', true, { nullable: false }),
          // caseExact=false (RFC 7643 §4.2); the column holds foldKey(display_name), unique per organisation.
          scalar('displayName', 'string', 'g.display_name_key', false, { nullable: false, folded: true }),
          scalar('externalId', 'string', 'g.external_id', true),
          {
            kind: 'multi',
            name: 'members',
            from: 'scim_group_members gm JOIN members mm ON mm.id = gm.member_id',
            where: 'gm.group_id = g.id',
            present: 'EXISTS (SELECT 1 FROM scim_group_members gm WHERE gm.group_id = g.id)',
            sub: byName([scalar('value', 'string', 'mm.public_id', true, { ops: ['eq'] })]),
          },
          meta('Group', 'g'),
        ]),
      ],
    ]),
  };
  return { user, group };
}

const RESOURCES: Readonly<Record<Dialect, ReturnType<typeof resources>>> = {
  sqlite: resources(SQLITE),
  postgres: resources(POSTGRES),
};

// --- resolution ----------------------------------------------------------------------------------

const formatPath = (p: AttributePath): string =>
  `${p.schema !== undefined ? `${p.schema}:` : ''}${p.attribute}${p.subAttribute !== undefined ? `.${p.subAttribute}` : ''}`;

/** Throws the ValidationError of the caller's parameter; `where` names it ("filter", "sortBy"). */
interface Fail {
  (message: string, details?: Record<string, unknown>): never;
  readonly where: string;
}

const failWith = (code: string, where: string): Fail =>
  Object.assign(
    (message: string, details: Record<string, unknown> = {}): never => {
      throw new ValidationError(message, details, code);
    },
    { where },
  );

/**
 * Finds the attribute a path names. Names are case-insensitive (RFC 7643 §2.1). Without a schema
 * URN a name is the core schema's (RFC 7644 §3.10); failing that, an extension's, if exactly one
 * extension has it (so `employeeNumber` works as well as the URN-qualified form).
 */
function resolve(resource: Resource, path: AttributePath, fail: Fail): Attribute {
  const name = path.attribute.toLowerCase();
  const unknown = () =>
    fail(`Unknown attribute "${formatPath(path)}" in ${fail.where}`, {
      attribute: formatPath(path),
      reason: UNKNOWN_ATTRIBUTE,
    });
  if (path.schema !== undefined) {
    return resource.schemas.get(path.schema.toLowerCase())?.get(name) ?? unknown();
  }
  const found = [...resource.schemas.values()].flatMap((attrs) => attrs.get(name) ?? []);
  const [first, second] = found;
  const [core] = resource.schemas.values();
  if (first !== undefined && (second === undefined || core?.get(name) === first)) return first;
  if (first === undefined) return unknown();
  return fail(
    `The attribute "${path.attribute}" in ${fail.where} is ambiguous; qualify it with its schema URN`,
    {
      attribute: path.attribute,
    },
  );
}

function subAttribute(parent: Complex | Multi, name: string, fail: Fail): Scalar {
  return (
    parent.sub.get(name.toLowerCase()) ??
    fail(`Unknown sub-attribute "${name}" of "${parent.name}" in ${fail.where}`, {
      attribute: `${parent.name}.${name}`,
    })
  );
}

// --- compilation ---------------------------------------------------------------------------------

/** Where names are looked up: the resource, or the elements of the complex attribute of a "[...]". */
type Scope = { readonly kind: 'resource' } | { readonly kind: 'element'; readonly parent: Complex | Multi };

const RESOURCE_SCOPE: Scope = { kind: 'resource' };

const ALLOWED: Readonly<Record<ScalarType, readonly CompareOp[]>> = {
  string: ['eq', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'],
  // RFC 7644 §3.4.2.2: gt/ge/lt/le on a Boolean or Binary attribute is an invalidFilter.
  boolean: ['eq'],
  binary: ['eq'],
  // co/sw/ew are string operators; on a timestamp they would depend on our storage format.
  dateTime: ['eq', 'gt', 'ge', 'lt', 'le'],
};

const SQL_OP: Readonly<Partial<Record<CompareOp, string>>> = { gt: '>', ge: '>=', lt: '<', le: '<=' };

class Compiler {
  private readonly params: (string | number)[] = [];
  private readonly fail = failWith('invalid_filter', 'filter');

  constructor(
    private readonly resource: Resource,
    private readonly f: Fragments,
  ) {}

  compile(node: FilterNode): CompiledFilter {
    const sql = this.node(node, RESOURCE_SCOPE);
    return { sql, params: this.params };
  }

  /** Appends a parameter and returns its placeholder; call in the order the SQL text reads. */
  private param(value: string | number): string {
    this.params.push(value);
    return '?';
  }

  private node(node: FilterNode, scope: Scope): string {
    switch (node.kind) {
      case 'and':
      case 'or':
        return this.chain(node, scope);
      case 'not':
        return `NOT (${this.node(node.filter, scope)})`;
      case 'present':
        return this.present(node.path, scope);
      case 'compare':
        return this.compare(node.path, node.op, node.value, scope);
      case 'valuePath':
        return this.valuePath(node.path, node.filter, scope);
    }
  }

  /**
   * `a and b and c …` flattened and emitted as a balanced tree, so a long chain adds log₂(n) to the
   * SQL expression depth instead of n (SQLite refuses expressions deeper than 1000).
   */
  private chain(node: FilterNode & { kind: 'and' | 'or' }, scope: Scope): string {
    const operands: FilterNode[] = [];
    const pending: FilterNode[] = [node];
    while (pending.length > 0) {
      const n = pending.pop()!;
      if (n.kind === node.kind) pending.push(n.right, n.left);
      else operands.push(n);
    }
    const sql = operands.map((operand) => this.node(operand, scope));
    const join = (from: number, to: number): string => {
      if (to - from === 1) return sql[from]!;
      const mid = (from + to) >> 1;
      return `(${join(from, mid)} ${node.kind === 'and' ? 'AND' : 'OR'} ${join(mid, to)})`;
    };
    return join(0, sql.length);
  }

  private target(path: AttributePath, scope: Scope): { attribute: Attribute; sub?: Scalar } {
    if (scope.kind === 'element') {
      // Inside "[...]" names are sub-attributes of the parent (RFC 7644 §3.4.2.2 "[]").
      if (path.schema !== undefined || path.subAttribute !== undefined) {
        this.fail(
          `Inside "${scope.parent.name}[...]" only sub-attribute names are allowed, not "${formatPath(path)}"`,
          {
            attribute: formatPath(path),
          },
        );
      }
      return { attribute: subAttribute(scope.parent, path.attribute, this.fail) };
    }
    const attribute = resolve(this.resource, path, this.fail);
    if (path.subAttribute === undefined) return { attribute };
    if (attribute.kind === 'scalar') {
      return this.fail(`"${attribute.name}" has no sub-attributes`, { attribute: formatPath(path) });
    }
    return { attribute, sub: subAttribute(attribute, path.subAttribute, this.fail) };
  }

  private exists(multi: Multi, condition: string): string {
    const where = multi.where !== undefined ? `${multi.where} AND ${condition}` : condition;
    return `EXISTS (SELECT 1 FROM ${multi.from} WHERE ${where})`;
  }

  private present(path: AttributePath, scope: Scope): string {
    const { attribute, sub } = this.target(path, scope);
    if (sub !== undefined) {
      const condition = presentScalar(sub);
      return attribute.kind === 'multi' ? this.exists(attribute, condition) : condition;
    }
    return attribute.kind === 'scalar' ? presentScalar(attribute) : attribute.present;
  }

  private compare(path: AttributePath, op: CompareOp, value: FilterValue, scope: Scope): string {
    // RFC 7643 §2.5: null and unassigned are the same state, so "eq null" means "not present".
    if (value === null) {
      if (op === 'eq') return `NOT (${this.present(path, scope)})`;
      if (op === 'ne') return this.present(path, scope);
      return this.fail(`The operator "${op}" cannot compare with null`, { attribute: formatPath(path), op });
    }
    // `ne` is NOT (eq): a resource without the attribute matches it, and on a multi-valued
    // attribute it means "no element equals", which is what `emails ne "x"` is asked for.
    if (op === 'ne') return `NOT (${this.compare(path, 'eq', value, scope)})`;
    const { attribute, sub } = this.target(path, scope);
    const label = scope.kind === 'element' ? `${scope.parent.name}.${path.attribute}` : formatPath(path);
    if (attribute.kind === 'scalar') return this.compareScalar(attribute, op, value, label);
    if (attribute.kind === 'complex') {
      if (sub === undefined) {
        return this.fail(
          `"${attribute.name}" is a complex attribute: compare one of its sub-attributes (e.g. "${attribute.name}.${[...attribute.sub.values()][0]?.name ?? 'value'}")`,
          { attribute: formatPath(path) },
        );
      }
      return this.compareScalar(sub, op, value, label);
    }
    // A multi-valued attribute without a sub-attribute compares its "value" (RFC 7644 §3.4.2.2).
    const element =
      sub ??
      attribute.sub.get('value') ??
      this.fail(`"${attribute.name}" has no "value" sub-attribute: name the one to compare`, {
        attribute: formatPath(path),
      });
    return this.exists(attribute, this.compareScalar(element, op, value, label));
  }

  private valuePath(path: AttributePath, filter: FilterNode, scope: Scope): string {
    if (scope.kind === 'element' || path.subAttribute !== undefined) {
      return this.fail(`A value filter must follow a complex attribute, not "${formatPath(path)}"`, {
        attribute: formatPath(path),
      });
    }
    const attribute = resolve(this.resource, path, this.fail);
    if (attribute.kind === 'scalar') {
      return this.fail(`"${attribute.name}" is not a complex attribute, so "[...]" cannot follow it`, {
        attribute: formatPath(path),
      });
    }
    const inner = this.node(filter, { kind: 'element', parent: attribute });
    // Multi-valued: ONE element must satisfy the whole bracketed filter (RFC 7644 §3.4.2.2 "[]").
    return attribute.kind === 'multi' ? this.exists(attribute, inner) : `(${inner})`;
  }

  /** `label` is the attribute as the client wrote it, for messages. */
  private compareScalar(
    attr: Scalar,
    op: CompareOp,
    value: Exclude<FilterValue, null>,
    label: string,
  ): string {
    const allowed = attr.ops ?? ALLOWED[attr.type];
    if (!allowed.includes(op)) {
      const usable = [...allowed, ...(allowed.includes('eq') ? ['ne'] : []), 'pr'].join(', ');
      return this.fail(`The operator "${op}" cannot be used with "${label}" (${attr.type}); use ${usable}`, {
        attribute: label,
        op,
      });
    }
    const guard = (condition: string) =>
      attr.nullable ? `(${attr.sql} IS NOT NULL AND ${condition})` : `(${condition})`;

    if (attr.type === 'boolean')
      return guard(`${attr.sql} = ${this.param(this.boolean(label, value) ? 1 : 0)}`);

    if (attr.type === 'dateTime') {
      const { instant, truncated } = this.dateTime(label, value);
      if (op === 'eq') return truncated ? 'FALSE' : guard(`${attr.sql} = ${this.param(instant)}`);
      // Stored values have millisecond precision: against a literal with a sub-millisecond part,
      // x >= lit is x > floor(lit) and x < lit is x <= floor(lit).
      const sqlOp = truncated && op === 'ge' ? '>' : truncated && op === 'lt' ? '<=' : SQL_OP[op]!;
      return guard(`${this.f.ordered(attr.sql)} ${sqlOp} ${this.param(instant)}`);
    }

    const text = this.string(attr, label, value);
    // caseExact=false: fold both sides. A *_key column already holds foldKey(value) (written by the
    // application, Unicode-aware); the literal gets the same fold, so `user_name_key = ?` stays an
    // index lookup. Attributes kept only in the JSON document are folded by fold_key(), the same
    // fold in SQL (registered on the SQLite connection, db/sqlite/connection.ts; a function of the
    // PostgreSQL schema, db/postgres/migrations/0001_init.sql), so every comparison folds alike.
    const lhs = attr.caseExact || attr.folded ? attr.sql : `fold_key(${attr.sql})`;
    const rhs = (): string => (attr.caseExact ? this.param(text) : this.param(foldKey(text)));
    switch (op) {
      case 'eq':
        return guard(`${lhs} = ${rhs()}`);
      case 'co':
      case 'sw':
      case 'ew':
        // Every string contains, starts and ends with "" (and substr(x, -0) would not say so).
        if (text === '') return attr.nullable ? `(${attr.sql} IS NOT NULL)` : 'TRUE';
        if (op === 'co') return guard(this.f.contains(lhs, rhs));
        if (op === 'sw') return guard(this.f.startsWith(lhs, rhs));
        return guard(this.f.endsWith(lhs, rhs));
      default:
        // Lexical order of the (folded) strings: RFC 7644 §3.4.2.2 gt/ge/lt/le on strings.
        return guard(`${this.f.ordered(lhs)} ${SQL_OP[op]!} ${rhs()}`);
    }
  }

  /** Booleans, and the strings "true"/"false" in any case, which Entra sends (reference §2.2). */
  private boolean(label: string, value: string | number | boolean): boolean {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    return this.fail(`"${label}" is a boolean: compare it with true or false`, { attribute: label });
  }

  /**
   * A string attribute compared with a number (an unquoted `externalId eq 12345`) compares with the
   * number's decimal text. Booleans are refused rather than guessed at.
   */
  private string(attr: Scalar, label: string, value: string | number | boolean): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    return this.fail(`"${label}" is a ${attr.type} attribute: compare it with a string`, {
      attribute: label,
    });
  }

  /**
   * RFC 7643 §2.3.5: an xsd:dateTime. Normalised to how we store instants (UTC, milliseconds,
   * "2026-01-01T09:00:00.000Z") so the comparison is a string comparison on the column. A literal
   * without an offset is taken as UTC.
   */
  private dateTime(label: string, value: string | number | boolean): { instant: string; truncated: boolean } {
    const match =
      typeof value === 'string'
        ? /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/i.exec(value)
        : null;
    const invalid = () =>
      this.fail(`"${label}" is a dateTime: compare it with a string such as "2026-01-01T09:00:00Z"`, {
        attribute: label,
        value,
      });
    if (match === null) return invalid();
    const [, base = '', fraction = '', offset = 'Z'] = match;
    const parsed = DateTime.fromISO(
      `${base.toUpperCase()}.${fraction.slice(0, 3).padEnd(3, '0')}${offset.toUpperCase()}`,
      {
        zone: 'utc',
      },
    );
    if (!parsed.isValid || parsed.year < 1 || parsed.year > 9999) return invalid();
    return {
      instant: parsed.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"),
      truncated: /[1-9]/.test(fraction.slice(3)),
    };
  }
}

/** RFC 7644 §3.4.2.2 "pr": a non-empty value. Never NULL. */
function presentScalar(attr: Scalar): string {
  if (!attr.nullable) return attr.type === 'string' ? `(${attr.sql} <> '')` : 'TRUE';
  return attr.type === 'string' || attr.type === 'binary'
    ? `(${attr.sql} IS NOT NULL AND ${attr.sql} <> '')`
    : `(${attr.sql} IS NOT NULL)`;
}

// --- sorting -------------------------------------------------------------------------------------

function sortExpression(resource: Resource, f: Fragments, path: AttributePath): string {
  const fail = failWith('invalid_sort', 'sortBy');
  const attribute = resolve(resource, path, fail);
  const key = (attr: Scalar) =>
    attr.type === 'string' && !attr.caseExact && !attr.folded ? `fold_key(${attr.sql})` : attr.sql;
  // Text (strings, dateTimes, binary) in code point order; a boolean has no collation.
  const ordered = (attr: Scalar, sql: string) => (attr.type === 'boolean' ? sql : f.ordered(sql));
  if (attribute.kind === 'scalar') {
    if (path.subAttribute !== undefined) fail(`"${attribute.name}" has no sub-attributes`);
    return ordered(attribute, key(attribute));
  }
  const sub =
    path.subAttribute !== undefined
      ? subAttribute(attribute, path.subAttribute, fail)
      : attribute.kind === 'multi'
        ? attribute.sub.get('value')
        : undefined;
  if (sub === undefined) return fail(`Cannot sort by the complex attribute "${attribute.name}" as a whole`);
  if (attribute.kind === 'complex') return ordered(sub, key(sub));
  if (attribute.primaryFirst === undefined) return fail(`Cannot sort by "${attribute.name}"`);
  // RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary value, else by its first one.
  return ordered(
    sub,
    `(SELECT ${key(sub)} FROM ${attribute.from} ORDER BY ${attribute.primaryFirst} LIMIT 1)`,
  );
}
