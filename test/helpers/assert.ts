// node:assert/strict for tests that run on jest. Jest runs each test file in a vm context of its
// own, so an array or object can come from one of two realms: the test's (literals, JSON.parse) or
// Node's (rows from better-sqlite3, fetch's res.json(), structuredClone). Their prototypes differ
// though they are the same thing, and deepStrictEqual would report "no visual difference". Here the
// deep comparisons first rebuild plain arrays and plain objects in this realm; every other
// prototype, and everything else about the values, is compared as node:assert/strict does. Errors
// thrown by Node itself are matched against the error classes by name the same way.
import strict from 'node:assert/strict';

function isArrayPrototype(proto: object | null): boolean {
  return (
    proto !== null &&
    Array.isArray(proto) &&
    (proto as { constructor?: { name?: string } }).constructor?.name === 'Array'
  );
}

function isObjectPrototype(proto: object | null): boolean {
  return (
    proto !== null &&
    Object.getPrototypeOf(proto) === null &&
    (proto as { constructor?: { name?: string } }).constructor?.name === 'Object'
  );
}

/** `value` with every plain array and plain object rebuilt in this realm (shared parts stay shared). */
export function inThisRealm<T>(value: T, seen = new Map<object, unknown>()): T {
  if (value === null || typeof value !== 'object') return value;
  const source = value as object;
  if (seen.has(source)) return seen.get(source) as T;
  const proto = Object.getPrototypeOf(source) as object | null;
  if (Array.isArray(source) && isArrayPrototype(proto)) {
    const copy: unknown[] = [];
    seen.set(source, copy);
    copy.length = source.length;
    for (const key of Reflect.ownKeys(source)) {
      if (key === 'length') continue;
      const descriptor = Object.getOwnPropertyDescriptor(source, key)!;
      if ('value' in descriptor) descriptor.value = inThisRealm(descriptor.value, seen);
      Object.defineProperty(copy, key, descriptor);
    }
    return copy as T;
  }
  if (proto === null || isObjectPrototype(proto)) {
    const copy = Object.create(proto === null ? null : Object.prototype) as Record<PropertyKey, unknown>;
    seen.set(source, copy);
    for (const key of Reflect.ownKeys(source)) {
      const descriptor = Object.getOwnPropertyDescriptor(source, key)!;
      if ('value' in descriptor) descriptor.value = inThisRealm(descriptor.value, seen);
      Object.defineProperty(copy, key, descriptor);
    }
    return copy as T;
  }
  return value;
}

type ErrorCheck = Parameters<typeof strict.throws>[1];

const BUILT_IN_ERRORS = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
]);

/** A built-in error class also matches the same-named class of the other realm. */
function anyRealm(check: ErrorCheck): ErrorCheck {
  if (
    typeof check !== 'function' ||
    !BUILT_IN_ERRORS.has(check.name) ||
    check !== globalThis[check.name as 'Error']
  ) {
    return check;
  }
  const name = check.name;
  return (error: unknown) => {
    if (error instanceof check) return true;
    for (
      let p = error === null || typeof error !== 'object' ? null : Object.getPrototypeOf(error);
      p;
      p = Object.getPrototypeOf(p)
    ) {
      if ((p as { constructor?: { name?: string } }).constructor?.name === name) return true;
    }
    return false;
  };
}

const assert: typeof strict = Object.assign(
  ((value: unknown, message?: string | Error) => strict(value, message)) as typeof strict,
  strict,
  {
    deepEqual: (actual: unknown, expected: unknown, message?: string | Error) =>
      strict.deepStrictEqual(inThisRealm(actual), inThisRealm(expected), message),
    deepStrictEqual: (actual: unknown, expected: unknown, message?: string | Error) =>
      strict.deepStrictEqual(inThisRealm(actual), inThisRealm(expected), message),
    notDeepEqual: (actual: unknown, expected: unknown, message?: string | Error) =>
      strict.notDeepStrictEqual(inThisRealm(actual), inThisRealm(expected), message),
    notDeepStrictEqual: (actual: unknown, expected: unknown, message?: string | Error) =>
      strict.notDeepStrictEqual(inThisRealm(actual), inThisRealm(expected), message),
    throws: (fn: () => unknown, check?: ErrorCheck | string, message?: string | Error) =>
      typeof check === 'string'
        ? strict.throws(fn, check)
        : check === undefined
          ? strict.throws(fn)
          : strict.throws(fn, anyRealm(check), message),
    rejects: (
      block: (() => Promise<unknown>) | Promise<unknown>,
      check?: ErrorCheck | string,
      message?: string | Error,
    ) =>
      typeof check === 'string'
        ? strict.rejects(block, check)
        : check === undefined
          ? strict.rejects(block)
          : strict.rejects(block, anyRealm(check), message),
  },
);
assert.strict = assert;

export default assert;
