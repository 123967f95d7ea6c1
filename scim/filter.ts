// The SCIM filter language (RFC 7644 §3.4.2.2) as text → AST, and attribute paths (RFC 7644 §3.10).
// Protocol level only: no SQL and no schema knowledge. Whether an attribute exists, and what it
// means, is decided by whoever compiles the AST (db/scim-filter-sql.ts for SQLite).
import { ValidationError } from '../domain/errors.js';
import { MAX_FILTER_TERMS } from './limits.js';

export type { AttributePath, CompareOp, FilterNode, FilterValue } from '../domain/directory-query.js';
import type { AttributePath, CompareOp, FilterNode, FilterValue } from '../domain/directory-query.js';

/** Longer filters are refused before any parsing: identity providers send filters of a few dozen characters. */
export const MAX_FILTER_LENGTH = 4096;
/**
 * Deepest nesting of "(", "not (" and "[" accepted. Bounds the parser's recursion (no stack
 * overflow on hostile input) and the depth of the SQL expression compiled from the AST.
 */
export const MAX_FILTER_DEPTH = 50;

const COMPARE_OPS: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
/** RFC 7644 §3.10 / RFC 7643 §2.1: ATTRNAME = ALPHA *(nameChar); "$ref" is the one reserved exception. */
const ATTRNAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/;
/** A URI scheme followed by something (RFC 3986 §3.1); in practice a schema URN. */
const SCHEMA_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
/** JSON number (RFC 8259 §6), which is what RFC 7644's compValue refers to. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const JSON_INTEGER = /^-?\d+$/;
/** Delimiters that end a bare word: whitespace, parentheses, brackets and the string quote. */
const WORD_END = /[\s()[\]"]/;

/**
 * Parses a SCIM filter. Throws ValidationError with code 'invalid_filter' (→ 400 invalidFilter,
 * RFC 7644 §3.12) for anything else; `details.position` is the 0-based offset of the problem.
 *
 * Deliberate leniencies, each because a real client needs it or it costs nothing to accept:
 * - An unquoted bare word is accepted as a string value (`externalId eq jyoung`): an old Microsoft
 *   Entra documentation sample sends it, so some hand-configured clients do too. Words that are
 *   JSON literals (true, false, null, numbers) keep their JSON meaning.
 * - Whitespace is any run of whitespace and is optional next to parentheses, brackets and quoted
 *   strings; RFC 7644's grammar asks for exactly one SP, but nothing becomes ambiguous.
 * Operators, "and"/"or"/"not" and true/false/null are matched case-insensitively: RFC 7644
 * §3.4.2.2 says so for operators, and ABNF string literals are case-insensitive (RFC 5234 §2.3).
 */
export function parseFilter(text: string): FilterNode {
  if (typeof text !== 'string') {
    throw new ValidationError('The filter must be a single string', { position: 0 }, 'invalid_filter');
  }
  if (text.length > MAX_FILTER_LENGTH) {
    throw new ValidationError(
      `The filter is ${text.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`,
      { filter: `${text.slice(0, 200)}…`, position: MAX_FILTER_LENGTH },
      'invalid_filter',
    );
  }
  // PostgreSQL cannot compare text holding U+0000, and SQLite would match nothing: refused on both.
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    throw new ValidationError(
      `The filter contains the NUL character (U+0000) at position ${nul}; no value can hold it`,
      { position: nul },
      'invalid_filter',
    );
  }
  const parser = new Parser(text);
  if (parser.token.type === 'end') parser.fail('The filter is empty', 0);
  const node = parser.parseOr(0, false);
  const t = parser.token;
  if (t.type !== 'end') {
    if (t.type === ')' || t.type === ']') {
      parser.fail(`Unbalanced "${t.type}" at position ${t.pos}: nothing is open for it to close`, t.pos);
    }
    parser.fail(
      `Expected "and", "or" or the end of the filter at position ${t.pos}, found ${describe(t)}`,
      t.pos,
    );
  }
  return node;
}

/**
 * Parses one attribute path, as used by sortBy, attributes/excludedAttributes and PATCH paths
 * without a value filter (RFC 7644 §3.10). Surrounding whitespace is ignored. Throws
 * ValidationError with code 'invalid_path'.
 */
export function parseAttributePath(text: string): AttributePath {
  if (typeof text !== 'string' || text.length > MAX_FILTER_LENGTH) {
    throw new ValidationError('Invalid attribute path', { position: 0 }, 'invalid_path');
  }
  const start = text.length - text.trimStart().length;
  return toAttributePath(text.trim(), start, (message, position) => {
    throw new ValidationError(message, { path: text, position }, 'invalid_path');
  });
}

type Token =
  | { readonly type: '(' | ')' | '[' | ']' | 'end'; readonly pos: number }
  | { readonly type: 'string'; readonly pos: number; readonly value: string }
  | { readonly type: 'word'; readonly pos: number; readonly text: string };

function isOperator(t: Token): boolean {
  if (t.type !== 'word') return false;
  const word = t.text.toLowerCase();
  return word === 'pr' || COMPARE_OPS.has(word);
}

function describe(t: Token): string {
  switch (t.type) {
    case 'end':
      return 'the end of the filter';
    case 'string':
      return `the string ${JSON.stringify(t.value.length > 40 ? `${t.value.slice(0, 40)}…` : t.value)}`;
    case 'word':
      return `"${t.text.length > 40 ? `${t.text.slice(0, 40)}…` : t.text}"`;
    default:
      return `"${t.type}"`;
  }
}

/** Recursive descent over a lazily read token stream; one token of lookahead. */
class Parser {
  token: Token;
  private pos = 0;
  /** attrExps read so far: each becomes a condition every candidate row is tested against. */
  private terms = 0;

  constructor(private readonly text: string) {
    this.token = this.read();
  }

  fail(message: string, position: number): never {
    throw new ValidationError(message, { filter: this.text, position }, 'invalid_filter');
  }

  private next(): void {
    this.token = this.read();
  }

  private read(): Token {
    const s = this.text;
    while (this.pos < s.length && /\s/.test(s[this.pos]!)) this.pos++;
    const start = this.pos;
    if (start >= s.length) return { type: 'end', pos: s.length };
    const c = s[start]!;
    if (c === '(' || c === ')' || c === '[' || c === ']') {
      this.pos++;
      return { type: c, pos: start };
    }
    if (c === '"') return this.readString(start);
    let end = start + 1;
    while (end < s.length && !WORD_END.test(s[end]!)) end++;
    this.pos = end;
    return { type: 'word', pos: start, text: s.slice(start, end) };
  }

  /** A JSON string (RFC 8259 §7), escapes and all; JSON.parse does the decoding. */
  private readString(start: number): Token {
    const s = this.text;
    let i = start + 1;
    while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
    if (i >= s.length) this.fail(`Unterminated string starting at position ${start}`, start);
    this.pos = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(s.slice(start, i + 1));
    } catch {
      this.fail(
        `Invalid string at position ${start}: strings are JSON strings, so use escapes such as \\" \\\\ \\n \\u00e9 and no raw control characters`,
        start,
      );
    }
    return { type: 'string', pos: start, value: value as string };
  }

  private isKeyword(word: string): boolean {
    return this.token.type === 'word' && this.token.text.toLowerCase() === word;
  }

  private enter(depth: number, pos: number): number {
    if (depth >= MAX_FILTER_DEPTH) {
      this.fail(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels at position ${pos}`, pos);
    }
    return depth + 1;
  }

  /** FILTER with "or" binding loosest (RFC 7644 §3.4.2.2: precedence not > and > or). Left-associative. */
  parseOr(depth: number, inValueFilter: boolean): FilterNode {
    let left = this.parseAnd(depth, inValueFilter);
    while (this.isKeyword('or')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd(depth, inValueFilter) };
    }
    return left;
  }

  private parseAnd(depth: number, inValueFilter: boolean): FilterNode {
    let left = this.parseUnary(depth, inValueFilter);
    while (this.isKeyword('and')) {
      this.next();
      left = { kind: 'and', left, right: this.parseUnary(depth, inValueFilter) };
    }
    return left;
  }

  private parseUnary(depth: number, inValueFilter: boolean): FilterNode {
    const t = this.token;
    if (t.type === '(') {
      const inner = this.enter(depth, t.pos);
      this.next();
      const filter = this.parseOr(inner, inValueFilter);
      this.expectClose(')', t.pos);
      return filter;
    }
    if (t.type === 'word') {
      this.next();
      const after = this.token;
      // RFC 7644: "not" "(" FILTER ")". Followed by an operator or "[", the word is an attribute
      // that happens to be named "not".
      if (t.text.toLowerCase() === 'not' && after.type !== '[' && !isOperator(after)) {
        if (after.type !== '(') {
          this.fail(`Expected "(" after "not" at position ${after.pos}, found ${describe(after)}`, after.pos);
        }
        const inner = this.enter(depth, after.pos);
        this.next();
        const filter = this.parseOr(inner, inValueFilter);
        this.expectClose(')', after.pos);
        return { kind: 'not', filter };
      }
      return this.parseAttributeExpression(t, depth, inValueFilter);
    }
    return this.fail(
      `Expected an attribute path, "not" or "(" at position ${t.pos}, found ${describe(t)}`,
      t.pos,
    );
  }

  private expectClose(close: ')' | ']', openedAt: number): void {
    const t = this.token;
    if (t.type !== close) {
      this.fail(
        `Expected "${close}" to close the "${close === ')' ? '(' : '['}" at position ${openedAt}, found ${describe(t)} at position ${t.pos}`,
        t.pos,
      );
    }
    this.next();
  }

  /** attrExp (`path pr`, `path op value`) or valuePath (`path[valFilter]`, optionally `.sub op value`). */
  private parseAttributeExpression(
    word: { readonly pos: number; readonly text: string },
    depth: number,
    inValueFilter: boolean,
  ): FilterNode {
    const path = toAttributePath(word.text, word.pos, (m, p) => this.fail(m, p));
    const open = this.token;
    if (open.type !== '[') return this.parseComparison(path, word.text);

    // RFC 7643 §2.3.8: a complex attribute's sub-attributes are never complex, so a value filter
    // inside a value filter can never name anything.
    if (inValueFilter)
      this.fail(`A value filter cannot contain another "[" (at position ${open.pos})`, open.pos);
    if (path.subAttribute !== undefined) {
      this.fail(
        `"[" at position ${open.pos} must follow a complex attribute, not the sub-attribute "${word.text}"`,
        open.pos,
      );
    }
    const inner = this.enter(depth, open.pos);
    this.next();
    const filter = this.parseOr(inner, true);
    const close = this.token;
    this.expectClose(']', open.pos);

    // `emails[type eq "work"].value eq "x"`: the ".value" must touch the "]".
    const t = this.token;
    if (t.type === 'word' && t.pos === close.pos + 1 && t.text.startsWith('.')) {
      const sub = t.text.slice(1);
      if (!ATTRNAME.test(sub)) {
        this.fail(`Invalid sub-attribute "${t.text}" after "]" at position ${t.pos}`, t.pos);
      }
      this.next();
      const condition = this.parseComparison({ attribute: sub }, t.text);
      return { kind: 'valuePath', path, filter: { kind: 'and', left: filter, right: condition } };
    }
    return { kind: 'valuePath', path, filter };
  }

  private parseComparison(path: AttributePath, pathText: string): FilterNode {
    const t = this.token;
    // Counted as they are read, so a long chain is refused before it is parsed to the end, let
    // alone compiled and run: the cost of a filter grows with its terms times the rows it scans.
    if (++this.terms > MAX_FILTER_TERMS) {
      this.fail(
        `The filter has more than ${MAX_FILTER_TERMS} comparisons (the ${this.terms}th is at position ${t.pos}); at most ${MAX_FILTER_TERMS} are accepted`,
        t.pos,
      );
    }
    const op = t.type === 'word' ? t.text.toLowerCase() : '';
    if (op === 'pr') {
      this.next();
      return { kind: 'present', path };
    }
    if (!COMPARE_OPS.has(op)) {
      this.fail(
        `Expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after "${pathText}" at position ${t.pos}, found ${describe(t)}`,
        t.pos,
      );
    }
    this.next();
    const value = this.parseValue(op);
    return { kind: 'compare', path, op: op as CompareOp, value };
  }

  private parseValue(op: string): FilterValue {
    const t = this.token;
    const missing = (): never =>
      this.fail(`Expected a value after "${op}" at position ${t.pos}, found ${describe(t)}`, t.pos);
    if (t.type === 'string') {
      this.next();
      return t.value;
    }
    if (t.type !== 'word') return missing();
    const lower = t.text.toLowerCase();
    if (lower === 'and' || lower === 'or' || lower === 'not') return missing();
    this.next();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') return null;
    if (JSON_NUMBER.test(t.text)) {
      const n = Number(t.text);
      if (!Number.isFinite(n)) this.fail(`The number at position ${t.pos} is out of range`, t.pos);
      // An unquoted identifier such as a 20-digit externalId must not silently lose digits.
      if (JSON_INTEGER.test(t.text) && BigInt(t.text) !== BigInt(n)) {
        this.fail(
          `The number at position ${t.pos} has more digits than can be compared exactly; quote it if it is an identifier`,
          t.pos,
        );
      }
      return n;
    }
    // Leniency: a bare word is a string (see parseFilter).
    return t.text;
  }
}

function toAttributePath(
  text: string,
  pos: number,
  fail: (message: string, position: number) => never,
): AttributePath {
  if (text === '') return fail(`Expected an attribute path at position ${pos}`, pos);
  const colon = text.lastIndexOf(':');
  const schema = colon >= 0 ? text.slice(0, colon) : undefined;
  const rest = colon >= 0 ? text.slice(colon + 1) : text;
  if (schema !== undefined && !SCHEMA_URI.test(schema)) {
    return fail(`Invalid schema URI "${schema}" in the attribute path at position ${pos}`, pos);
  }
  const parts = rest.split('.');
  const [attribute, subAttribute] = parts;
  const namePos = pos + colon + 1;
  if (attribute === undefined || !ATTRNAME.test(attribute)) {
    return fail(
      `Invalid attribute name "${attribute ?? ''}" at position ${namePos}: a name starts with a letter and has only letters, digits, "-" and "_"`,
      namePos,
    );
  }
  if (parts.length > 2) {
    // RFC 7643 §2.3.8: sub-attributes are never complex, so there is at most one ".".
    return fail(`The attribute path "${text}" at position ${pos} has more than one sub-attribute`, pos);
  }
  if (subAttribute !== undefined && !ATTRNAME.test(subAttribute)) {
    const subPos = namePos + attribute.length + 1;
    return fail(`Invalid sub-attribute name "${subAttribute}" at position ${subPos}`, subPos);
  }
  return {
    ...(schema !== undefined ? { schema } : {}),
    attribute,
    ...(subAttribute !== undefined ? { subAttribute } : {}),
  };
}
