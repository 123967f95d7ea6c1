// The SCIM filter parser (scim/filter.ts): RFC 7644 §3.4.2.2 grammar, precedence, value paths,
// URN paths, literals, leniencies and error positions; then properties: hostile text only ever
// yields invalid_filter, printed ASTs re-parse to themselves, and compiled SQL never carries a value.
//
// Reproduce a property failure with FC_SEED=<seed>; change the number of runs with FC_RUNS=<n>.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { openDatabase } from '../../../db/sqlite/connection.js';
import fc from 'fast-check';
import { ValidationError } from '../../../domain/errors.js';
import { migrate } from '../../../db/sqlite/migrate.js';
import { compileGroupFilter, compileUserFilter } from '../../../db/scim-filter-sql.js';
import { MAX_FILTER_TERMS } from '../../../scim/limits.js';
import {
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  parseAttributePath,
  parseFilter,
  type AttributePath,
  type CompareOp,
  type FilterNode,
  type FilterValue,
} from '../../../scim/filter.js';

const FC = {
  numRuns: Number(process.env.FC_RUNS ?? 300),
  ...(process.env.FC_SEED !== undefined ? { seed: Number(process.env.FC_SEED) } : {}),
};

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

// --- AST builders ---------------------------------------------------------------------------------

const path = (attribute: string, subAttribute?: string, schema?: string): AttributePath => ({
  ...(schema !== undefined ? { schema } : {}),
  attribute,
  ...(subAttribute !== undefined ? { subAttribute } : {}),
});
const cmp = (p: AttributePath | string, op: CompareOp, value: FilterValue): FilterNode => ({
  kind: 'compare',
  path: typeof p === 'string' ? path(p) : p,
  op,
  value,
});
const pr = (p: AttributePath | string): FilterNode => ({
  kind: 'present',
  path: typeof p === 'string' ? path(p) : p,
});
const and = (left: FilterNode, right: FilterNode): FilterNode => ({ kind: 'and', left, right });
const or = (left: FilterNode, right: FilterNode): FilterNode => ({ kind: 'or', left, right });
const not = (filter: FilterNode): FilterNode => ({ kind: 'not', filter });
const vp = (p: AttributePath | string, filter: FilterNode): FilterNode => ({
  kind: 'valuePath',
  path: typeof p === 'string' ? path(p) : p,
  filter,
});

/** Runs `fn`, which must throw an invalid_filter ValidationError; returns it for further checks. */
function invalid(fn: () => unknown, code = 'invalid_filter'): ValidationError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail('expected a ValidationError');
}

const positionOf = (text: string): { message: string; position: unknown } => {
  const error = invalid(() => parseFilter(text));
  return { message: error.message, position: error.details.position };
};

describe('SCIM filter parser', () => {
  describe('attribute expressions', () => {
    test('When a filter compares an attribute, then the AST holds path, operator and value', () => {
      assert.deepEqual(parseFilter('userName eq "bjensen"'), cmp('userName', 'eq', 'bjensen'));
    });

    test('When operators and keywords are written in any case, then they parse the same', () => {
      assert.deepEqual(
        parseFilter('userName EQ "a" AnD NOT (title Pr) oR active eQ TRUE'),
        or(and(cmp('userName', 'eq', 'a'), not(pr('title'))), cmp('active', 'eq', true)),
      );
    });

    test('When every operator is used, then each becomes its own node', () => {
      for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const) {
        assert.deepEqual(parseFilter(`title ${op} "x"`), cmp('title', op, 'x'));
      }
      assert.deepEqual(parseFilter('title pr'), pr('title'));
    });

    test('When a path has a sub-attribute, then it is split at the dot', () => {
      assert.deepEqual(
        parseFilter('name.familyName co "O\'Malley"'),
        cmp(path('name', 'familyName'), 'co', "O'Malley"),
      );
      assert.deepEqual(
        parseFilter('meta.lastModified gt "2011-05-13T04:42:34Z"'),
        cmp(path('meta', 'lastModified'), 'gt', '2011-05-13T04:42:34Z'),
      );
    });

    test('When a path is URN-qualified, then the schema is everything before the last colon', () => {
      assert.deepEqual(
        parseFilter(`${ENTERPRISE}:employeeNumber eq "42"`),
        cmp(path('employeeNumber', undefined, ENTERPRISE), 'eq', '42'),
      );
      assert.deepEqual(
        parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"'),
        cmp(path('userName', undefined, 'urn:ietf:params:scim:schemas:core:2.0:User'), 'sw', 'J'),
      );
      assert.deepEqual(
        parseFilter(`${ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`),
        cmp(path('manager', 'value', ENTERPRISE), 'eq', '26118915-6090-4610-87e4-49d8ca9f808d'),
      );
    });
  });

  describe('precedence and grouping (RFC 7644 §3.4.2.2: not > and > or)', () => {
    test('When "and" and "or" are mixed, then "and" binds tighter', () => {
      assert.deepEqual(parseFilter('a pr or b pr and c pr'), or(pr('a'), and(pr('b'), pr('c'))));
      assert.deepEqual(parseFilter('a pr and b pr or c pr'), or(and(pr('a'), pr('b')), pr('c')));
    });

    test('When an operator repeats, then it associates to the left', () => {
      assert.deepEqual(parseFilter('a pr or b pr or c pr'), or(or(pr('a'), pr('b')), pr('c')));
      assert.deepEqual(parseFilter('a pr and b pr and c pr'), and(and(pr('a'), pr('b')), pr('c')));
    });

    test('When "not" precedes a group, then it applies to that group only', () => {
      assert.deepEqual(parseFilter('not (a pr) and b pr'), and(not(pr('a')), pr('b')));
      assert.deepEqual(parseFilter('not (a pr or b pr)'), not(or(pr('a'), pr('b'))));
    });

    test('When parentheses group, then they override precedence and leave no node', () => {
      assert.deepEqual(parseFilter('(a pr or b pr) and c pr'), and(or(pr('a'), pr('b')), pr('c')));
      assert.deepEqual(parseFilter('((((a pr))))'), pr('a'));
      assert.deepEqual(
        parseFilter('userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")'),
        and(
          cmp('userType', 'eq', 'Employee'),
          or(cmp('emails', 'co', 'example.com'), cmp(path('emails', 'value'), 'co', 'example.org')),
        ),
      );
    });

    test('When an attribute is named like a keyword, then its position decides', () => {
      assert.deepEqual(parseFilter('not pr and or eq "x"'), and(pr('not'), cmp('or', 'eq', 'x')));
    });
  });

  describe('value paths', () => {
    test('When a value filter stands alone, then it is a valuePath node', () => {
      assert.deepEqual(
        parseFilter('emails[type eq "work" and value co "@example.com"]'),
        vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'co', '@example.com'))),
      );
    });

    test('When a value filter is followed by ".sub op value", then the comparison joins the bracket with "and"', () => {
      assert.deepEqual(
        parseFilter('emails[type eq "work"].value eq "a@b.c"'),
        vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'eq', 'a@b.c'))),
      );
      assert.deepEqual(
        parseFilter('emails[type eq "work" or type eq "home"].value pr'),
        vp('emails', and(or(cmp('type', 'eq', 'work'), cmp('type', 'eq', 'home')), pr('value'))),
      );
    });

    test('When value paths are combined, then each keeps its own bracket', () => {
      assert.deepEqual(
        parseFilter('emails[type eq "work"].value eq "a@x" and emails[type eq "home"].value eq "b@y"'),
        and(
          vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'eq', 'a@x'))),
          vp('emails', and(cmp('type', 'eq', 'home'), cmp('value', 'eq', 'b@y'))),
        ),
      );
      assert.deepEqual(
        parseFilter('userType eq "Employee" and emails[type eq "work" and value co "@example.com"]'),
        and(
          cmp('userType', 'eq', 'Employee'),
          vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'co', '@example.com'))),
        ),
      );
    });

    test('When a value filter uses not and parentheses inside, then they nest inside the bracket', () => {
      assert.deepEqual(
        parseFilter('x509Certificates[not (primary eq true) and (display pr)]'),
        vp('x509Certificates', and(not(cmp('primary', 'eq', true)), pr('display'))),
      );
    });
  });

  describe('literals', () => {
    test('When a value is true, false or null in any case, then it is the JSON literal', () => {
      assert.deepEqual(parseFilter('active eq true'), cmp('active', 'eq', true));
      assert.deepEqual(parseFilter('active eq FALSE'), cmp('active', 'eq', false));
      assert.deepEqual(parseFilter('title eq Null'), cmp('title', 'eq', null));
    });

    test('When a value is a JSON number, then it is a number', () => {
      assert.deepEqual(parseFilter('x gt 42'), cmp('x', 'gt', 42));
      assert.deepEqual(parseFilter('x gt -1.5e3'), cmp('x', 'gt', -1500));
      assert.deepEqual(parseFilter('x eq 0'), cmp('x', 'eq', 0));
    });

    test('When a string has JSON escapes, then they are decoded', () => {
      assert.deepEqual(
        parseFilter(String.raw`displayName eq "a\"b\\c\/d\u00e9\n\t"`),
        cmp('displayName', 'eq', 'a"b\\c/dé\n\t'),
      );
      assert.deepEqual(
        parseFilter('displayName eq "Zoë 😀 ) ] and"'),
        cmp('displayName', 'eq', 'Zoë 😀 ) ] and'),
      );
      assert.deepEqual(parseFilter('displayName eq ""'), cmp('displayName', 'eq', ''));
    });

    test('When an integer has more digits than a double holds, then it is refused rather than rounded', () => {
      const e = invalid(() => parseFilter('externalId eq 12345678901234567890'));
      assert.match(e.message, /quote it/);
      assert.deepEqual(
        parseFilter('externalId eq "12345678901234567890"'),
        cmp('externalId', 'eq', '12345678901234567890'),
      );
    });
  });

  describe('leniencies', () => {
    test('When a value is an unquoted word (old Entra sample), then it is a string', () => {
      assert.deepEqual(parseFilter('externalId eq jyoung'), cmp('externalId', 'eq', 'jyoung'));
      assert.deepEqual(parseFilter('externalId eq 0042'), cmp('externalId', 'eq', '0042'));
    });

    test('When whitespace is missing next to brackets or doubled elsewhere, then the filter still parses', () => {
      assert.deepEqual(parseFilter('(a pr)and(b pr)'), and(pr('a'), pr('b')));
      assert.deepEqual(parseFilter('  userName \t eq\n"x"  '), cmp('userName', 'eq', 'x'));
    });
  });

  describe('errors', () => {
    test('When the value is missing, then the error says a value was expected after the operator', () => {
      assert.deepEqual(positionOf('userName eq'), {
        message: 'Expected a value after "eq" at position 11, found the end of the filter',
        position: 11,
      });
      assert.equal(positionOf('userName eq and title pr').position, 12);
    });

    test('When the operator is unknown, then the error names it and its position', () => {
      assert.deepEqual(positionOf('userName xx "a"'), {
        message:
          'Expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after "userName" at position 9, found "xx"',
        position: 9,
      });
      assert.equal(positionOf('userName').position, 8);
    });

    test('When parentheses or brackets are unbalanced, then the error points at the problem', () => {
      assert.deepEqual(positionOf('(userName pr'), {
        message: 'Expected ")" to close the "(" at position 0, found the end of the filter at position 12',
        position: 12,
      });
      assert.deepEqual(positionOf('userName pr)'), {
        message: 'Unbalanced ")" at position 11: nothing is open for it to close',
        position: 11,
      });
      assert.equal(positionOf('emails[type eq "work"').position, 21);
      assert.equal(positionOf('emails[type eq "work")').position, 21);
      assert.equal(positionOf('emails type eq "work"]').position, 7);
      assert.equal(positionOf('not (a pr').position, 9);
      assert.equal(positionOf('()').position, 1);
    });

    test('When something follows a complete filter, then it is trailing garbage at its position', () => {
      assert.deepEqual(positionOf('userName eq "a" title pr'), {
        message: 'Expected "and", "or" or the end of the filter at position 16, found "title"',
        position: 16,
      });
      assert.equal(positionOf('userName eq "a" and').position, 19);
      assert.equal(positionOf('userName eq "a" "b"').position, 16);
    });

    test('When the filter is empty or blank, then it is refused', () => {
      assert.equal(positionOf('').message, 'The filter is empty');
      assert.equal(positionOf('   ').position, 0);
    });

    test('When a string or path is malformed, then the error says where', () => {
      assert.equal(positionOf('title eq "abc').message, 'Unterminated string starting at position 9');
      assert.equal(positionOf(String.raw`title eq "a\qb"`).position, 9);
      assert.equal(positionOf('title eq "a\u0001b"').position, 9);
      assert.equal(positionOf('name.given.family pr').position, 0);
      assert.equal(positionOf('1abc pr').position, 0);
      assert.equal(positionOf('emails.value[type eq "work"]').position, 12);
      assert.equal(positionOf('emails[type eq "w"] .value eq "x"').position, 20);
      assert.equal(
        positionOf('not title pr').message,
        'Expected "(" after "not" at position 4, found "title"',
      );
      assert.match(positionOf('emails[roles[value pr]]').message, /cannot contain another "\["/);
      assert.equal(positionOf('x eq 1e999').position, 5);
    });

    test('When nesting passes the depth limit, then it is refused with invalid_filter', () => {
      const nested = (n: number) => `${'('.repeat(n)}a pr${')'.repeat(n)}`;
      assert.deepEqual(parseFilter(nested(MAX_FILTER_DEPTH)), pr('a'));
      assert.match(positionOf(nested(MAX_FILTER_DEPTH + 1)).message, /nests deeper than 50 levels/);
      assert.match(positionOf(`${'not ('.repeat(MAX_FILTER_DEPTH + 1)}a pr`).message, /nests deeper/);
    });

    test('When the filter is longer than the limit, then it is refused before parsing', () => {
      const e = invalid(() => parseFilter('('.repeat(100_000)));
      assert.match(e.message, /100000 characters long; at most 4096/);
      assert.ok(String(e.details.filter).length < 300);
      assert.doesNotThrow(() => parseFilter(`title eq "${'x'.repeat(MAX_FILTER_LENGTH - 12)}"`));
    });

    test('When a filter has more than MAX_FILTER_TERMS comparisons, then it is refused where the first one too many starts', () => {
      const terms = (n: number) => Array.from({ length: n }, () => 'emails[value co "q"]').join(' or ');
      assert.doesNotThrow(() => parseFilter(terms(MAX_FILTER_TERMS)));
      const e = invalid(() => parseFilter(terms(MAX_FILTER_TERMS + 1)));
      assert.match(e.message, new RegExp(`more than ${MAX_FILTER_TERMS} comparisons`));
      assert.equal(e.details.position, terms(MAX_FILTER_TERMS).length + ' or emails[value '.length);
      // Presence tests and the condition after a value filter count too.
      invalid(() =>
        parseFilter(Array.from({ length: MAX_FILTER_TERMS + 1 }, () => 'title pr').join(' and ')),
      );
      invalid(() =>
        parseFilter(
          Array.from({ length: MAX_FILTER_TERMS / 2 + 1 }, () => 'emails[type eq "w"].value eq "x"').join(
            ' or ',
          ),
        ),
      );
    });

    test('When a filter is not a string at all, then it is refused', () => {
      invalid(() => parseFilter(['userName eq "a"'] as unknown as string));
    });
  });

  describe('parseAttributePath', () => {
    test('When a path is parsed alone, then schema, attribute and sub-attribute come back', () => {
      assert.deepEqual(parseAttributePath('name.givenName'), path('name', 'givenName'));
      assert.deepEqual(parseAttributePath(' userName '), path('userName'));
      assert.deepEqual(
        parseAttributePath(`${ENTERPRISE}:manager.value`),
        path('manager', 'value', ENTERPRISE),
      );
    });

    test('When a path is malformed, then it is refused with invalid_path', () => {
      for (const bad of ['', 'a.b.c', 'emails[type eq "work"]', '1x', 'a b', 'urn:x:', 'name.']) {
        invalid(() => parseAttributePath(bad), 'invalid_path');
      }
    });
  });
});

// --- properties ---------------------------------------------------------------------------------------

/** Prints an AST as filter text, parenthesising every compound operand so the shape is explicit. */
function print(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${print(node.left)}) ${node.kind} (${print(node.right)})`;
    case 'not':
      return `not (${print(node.filter)})`;
    case 'present':
      return `${printPath(node.path)} pr`;
    case 'compare':
      return `${printPath(node.path)} ${node.op} ${typeof node.value === 'number' ? String(node.value) : JSON.stringify(node.value)}`;
    case 'valuePath':
      return `${printPath(node.path)}[${print(node.filter)}]`;
  }
}

const printPath = (p: AttributePath) =>
  `${p.schema !== undefined ? `${p.schema}:` : ''}${p.attribute}${p.subAttribute !== undefined ? `.${p.subAttribute}` : ''}`;

/** Every string a compiler could meet: any code point, quotes, backslashes, SQL metacharacters. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom("'); DROP TABLE members; --", '%', '_', '\\', '"', "'", '?', '$.x', 'a@b.c'),
);

const number = fc.oneof(
  fc.integer(),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    // The parser refuses integer texts that a double cannot hold exactly (see parseValue).
    .filter(
      (v) => !Object.is(v, -0) && (!Number.isInteger(v) || Number.isSafeInteger(v) || Math.abs(v) >= 1e21),
    ),
);

const value: fc.Arbitrary<FilterValue> = fc.oneof(
  anyString,
  number,
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('2026-01-01T09:00:00Z', '2026-01-01T09:00:00.1234+02:00', 'True', 'false'),
);

const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/);
const schema = fc.oneof(
  fc.constantFrom(
    ENTERPRISE,
    'urn:ietf:params:scim:schemas:core:2.0:User',
    'urn:ietf:params:scim:schemas:core:2.0:Group',
    'urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User',
  ),
  fc.stringMatching(/^urn:[a-z0-9:.-]{1,20}$/),
);

/** Attribute paths: mostly ones our compilers know, so the SQL properties exercise real SQL. */
const knownPath = fc.constantFrom<AttributePath>(
  path('userName'),
  path('id'),
  path('externalId'),
  path('active'),
  path('displayName'),
  path('title'),
  path('profileUrl'),
  path('name', 'givenName'),
  path('name'),
  path('emails'),
  path('emails', 'value'),
  path('emails', 'primary'),
  path('addresses', 'postalCode'),
  path('phoneNumbers', 'type'),
  path('groups'),
  path('groups', 'value'),
  path('members'),
  path('members', 'value'),
  path('meta', 'lastModified'),
  path('meta', 'created'),
  path('meta', 'resourceType'),
  path('employeeNumber', undefined, ENTERPRISE),
  path('department'),
  path('manager', 'value', ENTERPRISE),
  path('tier', undefined, 'urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User'),
  path('role', undefined, 'urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User'),
  path('userName', undefined, 'urn:ietf:params:scim:schemas:core:2.0:User'),
);
const attributePath: fc.Arbitrary<AttributePath> = fc.oneof(
  { weight: 6, arbitrary: knownPath },
  {
    weight: 1,
    arbitrary: fc
      .record({ schema, attribute: name, subAttribute: name }, { requiredKeys: ['attribute'] })
      .map((p) => path(p.attribute, p.subAttribute, p.schema)),
  },
);
const subPath = fc
  .oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'value',
        'type',
        'primary',
        'display',
        'postalCode',
        'givenName',
        'lastModified',
      ),
    },
    { weight: 1, arbitrary: name },
  )
  .map((n) => path(n));
const multiValued = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom('emails', 'addresses', 'groups', 'members', 'name', 'meta', 'x509Certificates')
      .map((n) => path(n)),
  },
  { weight: 1, arbitrary: name.map((n) => path(n)) },
);
const op = fc.constantFrom<CompareOp>('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le');

/** Filters over `leafPath` attribute paths, with value paths (over sub-attributes) when asked. */
function filters(leafPath: fc.Arbitrary<AttributePath>, withValuePaths: boolean): fc.Arbitrary<FilterNode> {
  return fc.letrec<{ filter: FilterNode }>((tie) => ({
    filter: fc.oneof(
      { depthSize: 'small', maxDepth: 8, withCrossShrink: true },
      fc.tuple(leafPath, op, value).map(([p, o, v]) => cmp(p, o, v)),
      leafPath.map(pr),
      fc
        .tuple(fc.boolean(), tie('filter'), tie('filter'))
        .map(([isAnd, l, r]) => (isAnd ? and(l, r) : or(l, r))),
      tie('filter').map(not),
      ...(withValuePaths ? [fc.tuple(multiValued, filters(subPath, false)).map(([p, f]) => vp(p, f))] : []),
    ),
  })).filter;
}

/** attrExps in a filter: what MAX_FILTER_TERMS counts. */
function termsOf(node: FilterNode): number {
  switch (node.kind) {
    case 'and':
    case 'or':
      return termsOf(node.left) + termsOf(node.right);
    case 'not':
    case 'valuePath':
      return termsOf(node.filter);
    default:
      return 1;
  }
}

/** Filters the parser accepts: up to MAX_FILTER_TERMS terms (longer ones are refused, tested above). */
const filter: fc.Arbitrary<FilterNode> = filters(attributePath, true).filter(
  (f) => termsOf(f) <= MAX_FILTER_TERMS,
);

/** Text that looks like filters: the tokens of the language in random order, plus noise. */
const filterLike = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '(',
        ')',
        '[',
        ']',
        '"',
        '\\',
        ' ',
        'and',
        'or',
        'not',
        'eq',
        'pr',
        'userName',
        'emails',
        '.value',
        ENTERPRISE,
        ':',
        'true',
        'null',
        '1e999',
        '-0',
        '12345678901234567890',
        '"x"',
        '"\\u12"',
        'not (',
      ),
      fc.string({ unit: 'binary', maxLength: 4 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

describe('SCIM filter properties', () => {
  test('When any text is parsed, then it returns an AST or throws invalid_filter, nothing else', () => {
    const hostile = [
      '('.repeat(100_000),
      '('.repeat(MAX_FILTER_LENGTH),
      `${'not ('.repeat(800)}a pr`,
      `${'a['.repeat(2000)}`,
      `${'a pr or '.repeat(511)}a pr`,
      '"'.repeat(4096),
      `"${'\\'.repeat(4093)}"`,
      'x'.repeat(4096),
      '\u0000\uffff\ud800',
    ];
    for (const text of hostile) check(text);
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), filterLike), check), FC);

    function check(text: string): void {
      try {
        parseFilter(text);
      } catch (error) {
        assert.ok(error instanceof ValidationError, `not a ValidationError: ${String(error)}`);
        assert.equal(error.code, 'invalid_filter');
      }
    }
  });

  test('When a generated AST is printed, then the text parses back to the same AST', () => {
    fc.assert(
      fc.property(filter, (ast) => {
        assert.deepEqual(parseFilter(print(ast)), ast);
      }),
      FC,
    );
  });

  test('When any parsed filter is compiled, then it is refused as invalid_filter or its SQL runs with every value as a parameter', () => {
    // A migrated in-memory database: the compiled SQL must also prepare and run, with the right
    // number of parameters, not just look right.
    const db = openDatabase(':memory:', { busyTimeoutMs: 0 });
    migrate(db);
    const MARK = '\u2603';
    try {
      fc.assert(
        fc.property(filter, (generated) => {
          // Mark the strings so a value spliced into the SQL text would be visible; dates and
          // "True"/"false" stay as they are, so they reach the typed branches of the compiler.
          const ast = parseFilter(print(mark(generated, MARK)));
          for (const [compile, from] of [
            [compileUserFilter, 'members m'],
            [compileGroupFilter, 'scim_groups g'],
          ] as const) {
            let compiled;
            try {
              compiled = compile(ast, 'sqlite');
            } catch (error) {
              assert.ok(error instanceof ValidationError, `not a ValidationError: ${String(error)}`);
              assert.equal(error.code, 'invalid_filter');
              continue;
            }
            assert.ok(!compiled.sql.includes(MARK), `a value reached the SQL text: ${compiled.sql}`);
            for (const literal of unmarked(ast, MARK)) assert.ok(!compiled.sql.includes(literal), literal);
            assert.ok(compiled.params.every((p) => typeof p === 'string' || typeof p === 'number'));
            db.prepare(`SELECT count(*) FROM ${from} WHERE (${compiled.sql})`).get(...compiled.params);
          }
        }),
        FC,
      );
    } finally {
      db.close();
    }
  });
});

/** Strings the compiler must see unchanged to interpret them (dateTimes, Entra's "True"/"False"). */
const SPECIAL = /^(\d{4}-|true$|false$)/i;

function mark(node: FilterNode, marker: string): FilterNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { ...node, left: mark(node.left, marker), right: mark(node.right, marker) };
    case 'not':
    case 'valuePath':
      return { ...node, filter: mark(node.filter, marker) };
    case 'present':
      return node;
    case 'compare':
      return typeof node.value === 'string' && !SPECIAL.test(node.value)
        ? { ...node, value: `${marker}${node.value}` }
        : node;
  }
}

/** The string literals of `node` that carry no marker. */
function unmarked(node: FilterNode, marker: string): string[] {
  switch (node.kind) {
    case 'and':
    case 'or':
      return [...unmarked(node.left, marker), ...unmarked(node.right, marker)];
    case 'not':
    case 'valuePath':
      return unmarked(node.filter, marker);
    case 'present':
      return [];
    case 'compare':
      return typeof node.value === 'string' && !node.value.startsWith(marker) ? [node.value] : [];
  }
}
