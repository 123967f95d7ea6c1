// The bounds that keep one SCIM request's work small, so that one organisation's identity provider
// (or whoever holds its token) cannot stall the server for every other organisation. Each is
// checked where the input arrives, before the work it bounds: operations are counted before any is
// applied, filter terms while the filter is parsed, values and string lengths as the body is
// normalised. docs/scim.md "Limits" lists them with the error each answers.
import { ScimError } from './errors.js';

/** Operations in one PATCH of a User: each is applied to the whole user in memory (RFC 7644 §3.5.2). */
export const MAX_USER_PATCH_OPERATIONS = 100;
/** Operations in one PATCH of a Group: each is a change of membership rows, never the whole group. */
export const MAX_GROUP_PATCH_OPERATIONS = 1000;
/**
 * Values of one multi-valued attribute of a User (emails, phoneNumbers, roles, …; RFC 7643 §2.4).
 * Identity providers send a handful; a PATCH is re-checked against it as it is applied. A Group's
 * `members` are rows of their own and are bounded by the body size instead.
 */
export const MAX_VALUES = 100;
/**
 * Bytes of one User as JSON: the body of a create or replace (refused with 413 before it is
 * parsed), and a user as a PATCH leaves it. Identity providers send one or two kilobytes; every
 * request that reads, patches or lists a user costs in proportion to its size.
 */
export const MAX_USER_BYTES = 65_536;
/** Characters (UTF-16 code units) of any string value or attribute name in a body. */
export const MAX_STRING_LENGTH = 4096;
/** Characters of a userName: an RFC 5321 address is at most 254, and userName is the sign-in name. */
export const MAX_USERNAME_LENGTH = 256;
/** Comparisons and presence tests (attrExp, RFC 7644 §3.4.2.2) in one filter, value filters included. */
export const MAX_FILTER_TERMS = 10;
/**
 * Bytes of resources in one list page: a page ends early, with `itemsPerPage` saying how many it
 * holds, rather than build a body of gigabytes (RFC 7644 §3.4.2.4 lets a server return fewer than
 * `count`; the client asks for the next page at startIndex + itemsPerPage). At least one resource
 * is always returned, so paging always advances.
 */
export const MAX_PAGE_BYTES = 1_048_576;

/** C0 and C1 control characters and DEL: never part of a name a person signs in with. */
const CONTROL = /\p{Cc}/u;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const shown = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/**
 * A string from a body: at most MAX_STRING_LENGTH characters, and well-formed UTF-16. A lone
 * surrogate (sent as a `\ud800` escape, RFC 8259 §8.2) is no Unicode text: it cannot be stored
 * and read back as UTF-8, so it is refused rather than mangled.
 */
export function checkString(value: string, where: string): void {
  if (value.length > MAX_STRING_LENGTH) {
    throw new ScimError(
      400,
      'invalidValue',
      `${where} is ${value.length} characters long; at most ${MAX_STRING_LENGTH} are accepted.`,
    );
  }
  if (LONE_SURROGATE.test(value))
    throw new ScimError(400, 'invalidValue', `${where} contains a lone surrogate (invalid Unicode).`);
}

/**
 * userName, as the admin API treats a member's address: no control characters, no lone
 * surrogates, at most MAX_USERNAME_LENGTH characters.
 */
export function checkUserName(value: unknown): void {
  if (typeof value !== 'string') return; // its type is the schema's to refuse
  if (value.length > MAX_USERNAME_LENGTH) {
    throw new ScimError(
      400,
      'invalidValue',
      `userName is ${value.length} characters long; at most ${MAX_USERNAME_LENGTH} are accepted.`,
    );
  }
  checkString(value, 'userName');
  if (CONTROL.test(value))
    throw new ScimError(400, 'invalidValue', `userName ${shown(value)} contains a control character.`);
}

/**
 * The number of values of a multi-valued attribute. Arrays of arrays have no meaning in SCIM
 * (RFC 7643 §2.4: a multi-valued attribute holds values, a complex value is an object), so an
 * array inside an array is refused here rather than dropped or stored as an empty value.
 */
export function checkValues(values: readonly unknown[], where: string): void {
  if (values.length > MAX_VALUES) {
    throw new ScimError(
      400,
      'invalidValue',
      `${where} has ${values.length} values; at most ${MAX_VALUES} are accepted.`,
    );
  }
  if (values.some(Array.isArray))
    throw new ScimError(400, 'invalidValue', `${where} is a list of lists; send a list of values.`);
}
