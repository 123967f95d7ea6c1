// What identity providers really send, made into what RFC 7644 describes, before anything else
// reads it. Each rule names the provider behaviour it exists for.
import { ScimError } from './errors.js';
import {
  checkString,
  checkUserName,
  checkValues,
  MAX_GROUP_PATCH_OPERATIONS,
  MAX_VALUES,
  MAX_USER_BYTES,
  MAX_USER_PATCH_OPERATIONS,
} from './limits.js';
import { memberValues } from './representation.js';
import { PATCH_SCHEMA, SCIMMY } from './schemas.js';
import type { GroupChange } from '../provisioning/directory.js';

type Json = Record<string, unknown>;

/** Attribute names whose values are booleans wherever they appear (RFC 7643 §4.1, §2.4). */
const BOOLEANS = new Set(['active', 'primary']);
const MAX_DEPTH = 8;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `"True"` / `"False"` in any case → boolean (Entra without aadOptscim062020); others unchanged. */
function asBoolean(value: unknown): unknown {
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return value;
}

/**
 * A resource body: `null` means absent (older Entra payloads send `"addresses": null`), string
 * booleans become booleans, and the enterprise `manager` given as a bare id becomes `{value}`.
 * The limits (scim/limits.ts) are checked on the way: string lengths, well-formed text, userName,
 * values per multi-valued attribute (a Group's `members` excepted), no lists of lists, and a
 * schema extension given as a list rather than an object (RFC 7643 §3.3).
 */
export function normaliseResource(body: unknown, kind: 'User' | 'Group' = 'User'): Json {
  if (!isObject(body)) throw new ScimError(400, 'invalidSyntax', 'The request body must be a JSON object.');
  const out = normaliseObject(body, 0, '');
  for (const [key, value] of Object.entries(out)) {
    const name = key.toLowerCase();
    if (kind === 'User' && name === 'username') checkUserName(value);
    if (Array.isArray(value) && !(kind === 'Group' && name === 'members')) checkValues(value, key);
    if (name.startsWith('urn:') && Array.isArray(value))
      throw new ScimError(400, 'invalidValue', `The schema extension "${key}" must be an object.`);
  }
  return out;
}

function normaliseObject(body: Json, depth: number, parent: string): Json {
  if (depth > MAX_DEPTH) throw new ScimError(400, 'invalidValue', 'The resource is nested too deeply.');
  const out: Json = {};
  for (const [key, value] of Object.entries(body)) {
    const where = parent === '' ? key : `${parent}.${key}`;
    checkString(key, `The attribute name ${where.slice(0, 40)}`);
    // JSON.parse keeps "__proto__" as a plain key, but assigning it would set the prototype; no
    // SCIM attribute can have that name (RFC 7643 §2.1 ATTRNAME starts with a letter).
    if (value === null || key === '__proto__') continue;
    if (BOOLEANS.has(key.toLowerCase())) out[key] = asBoolean(value);
    else if (key.toLowerCase() === 'manager' && typeof value === 'string') out[key] = { value };
    else if (Array.isArray(value)) out[key] = normaliseList(value, depth, where);
    else if (isObject(value)) out[key] = normaliseObject(value, depth + 1, where);
    else out[key] = value;
    if (typeof value === 'string') checkString(value, where);
  }
  return out;
}

/** The values of a multi-valued attribute; nested lists are refused (checkValues). */
function normaliseList(values: readonly unknown[], depth: number, where: string): unknown[] {
  if (values.some(Array.isArray))
    throw new ScimError(400, 'invalidValue', `${where} is a list of lists; send a list of values.`);
  return values
    .filter((v) => v !== null)
    .map((v) => {
      if (typeof v === 'string') checkString(v, where);
      return isObject(v) ? normaliseObject(v, depth + 1, where) : v;
    });
}

export interface PatchOperation {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path?: string;
  readonly value?: unknown;
}

/**
 * A PatchOp body (RFC 7644 §3.5.2), leniently: `schemas` may be missing (Okta's documented
 * example), `op` may be capitalised (Entra), and values get the resource normalisation.
 */
export function normalisePatch(body: unknown, kind: 'User' | 'Group'): PatchOperation[] {
  if (!isObject(body)) throw new ScimError(400, 'invalidSyntax', 'The PATCH body must be a JSON object.');
  const operations = body.Operations ?? body.operations;
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimError(400, 'invalidSyntax', 'A PATCH request needs a non-empty "Operations" list.');
  }
  // Counted before any is read, let alone applied.
  const max = kind === 'User' ? MAX_USER_PATCH_OPERATIONS : MAX_GROUP_PATCH_OPERATIONS;
  if (operations.length > max) {
    throw new ScimError(
      400,
      'tooMany',
      `This PATCH has ${operations.length} operations; at most ${max} are accepted for a ${kind}.`,
    );
  }
  return operations.map((raw: unknown, i): PatchOperation => {
    if (!isObject(raw) || typeof raw.op !== 'string')
      throw new ScimError(400, 'invalidSyntax', `Operation ${i + 1} needs an "op".`);
    const op = raw.op.toLowerCase();
    if (op !== 'add' && op !== 'remove' && op !== 'replace') {
      throw new ScimError(
        400,
        'invalidSyntax',
        `Operation ${i + 1}: "${raw.op}" is not add, remove or replace.`,
      );
    }
    if (raw.path !== undefined && (typeof raw.path !== 'string' || raw.path.trim() === '')) {
      throw new ScimError(400, 'invalidPath', `Operation ${i + 1}: "path" must be a non-empty string.`);
    }
    const path = typeof raw.path === 'string' ? raw.path.trim() : undefined;
    if (op !== 'remove' && raw.value === undefined)
      throw new ScimError(400, 'invalidValue', `Operation ${i + 1}: "${op}" needs a "value".`);
    if (path === undefined && op !== 'remove' && !isObject(raw.value)) {
      throw new ScimError(
        400,
        'invalidValue',
        `Operation ${i + 1}: without a path, "value" must be an object of attributes.`,
      );
    }
    if (path === undefined && op === 'remove')
      throw new ScimError(400, 'noTarget', `Operation ${i + 1}: "remove" needs a path.`);
    return {
      op,
      ...(path !== undefined ? { path } : {}),
      ...(raw.value !== undefined ? { value: normaliseValue(path, raw.value, kind) } : {}),
    };
  });
}

function normaliseValue(path: string | undefined, value: unknown, kind: 'User' | 'Group'): unknown {
  const leaf = path?.split(/[.:]/).pop()?.replace(/\].*$/, '').toLowerCase();
  const where = path ?? 'The value';
  if (typeof value === 'string') {
    if (kind === 'User' && leaf === 'username') checkUserName(value);
    checkString(value, where);
  }
  if (leaf && BOOLEANS.has(leaf)) return asBoolean(value);
  // Entra sends the manager reference as a bare string for a complex attribute.
  if (leaf === 'manager' && typeof value === 'string') return { value };
  if (isObject(value)) return normaliseResource(value, kind);
  if (Array.isArray(value)) {
    if (!(kind === 'Group' && leaf === 'members')) checkValues(value, where);
    return normaliseList(value, 0, where);
  }
  return value;
}

const TYPED_ENTRY = /^([A-Za-z][\w-]*)\[\s*type\s+eq\s+"([^"]*)"\s*\](?:\.([A-Za-z][\w-]*))?$/i;

/**
 * Entra adds `phoneNumbers[type eq "mobile"].value` when the user has no mobile number yet and
 * expects the entry to be created; RFC 7644 §3.5.2.1 would answer noTarget. Rewrites such an op
 * into an add of the whole entry when no element of that type exists.
 */
function createMissingTypedEntry(resource: Json, op: PatchOperation): PatchOperation {
  if (op.op === 'remove' || op.path === undefined) return op;
  const match = TYPED_ENTRY.exec(op.path);
  if (!match) return op;
  const [, attribute, type, sub] = match as unknown as [string, string, string, string | undefined];
  const key = Object.keys(resource).find((k) => k.toLowerCase() === attribute.toLowerCase()) ?? attribute;
  const list = Array.isArray(resource[key]) ? (resource[key] as Json[]) : [];
  if (list.some((entry) => typeof entry.type === 'string' && entry.type.toLowerCase() === type.toLowerCase()))
    return op;
  const entry = sub
    ? { type, [sub]: op.value }
    : isObject(op.value)
      ? { type, ...op.value }
      : { type, value: op.value };
  return { op: 'add', path: key, value: [entry] };
}

/**
 * Operations applied in one scimmy message. scimmy copies and converts the whole user for every
 * message (RFC 7644 §3.5.2 applies the operations to the resource as a whole), so fewer, longer
 * slices cost less; but the limits are checked between slices, so a slice bounds how far a PATCH
 * can grow a user (a hundred values per `add`) before it is stopped. Twenty keeps a slice of
 * `add`s within a few thousand values and the copies to five for a PATCH at the limit.
 */
export const PATCH_SLICE_OPERATIONS = 20;

type ScimmyUser = InstanceType<typeof SCIMMY.Schemas.User>;

/**
 * Applies a user PATCH to the user's current representation with scimmy's PatchOp: in slices of
 * operations, each applied to what the slice before left (as one message applies them, in order),
 * checking the limits after each, so a PATCH that grows the user beyond MAX_VALUES or
 * MAX_USER_BYTES stops there, and the error names the operation that passed the limit.
 *
 * A whole PATCH at the limits takes a few hundred milliseconds of CPU: the server runs it on a
 * thread of its own (scim/patch-pool.ts), never on the event loop every organisation shares.
 */
export async function applyUserPatch(current: Json, operations: readonly PatchOperation[]): Promise<Json> {
  const resource = { ...current };
  delete resource.groups; // read-only, and not ours to patch
  let user = await scimmyStep(0, () => new SCIMMY.Schemas.User(resource, 'out'));
  let changed = false;
  for (const [from, slice] of slices(operations)) {
    const patched = await applySlice(user, slice, from);
    if (patched !== undefined) [user, changed] = [patched, true];
  }
  return normaliseResource(changed ? (JSON.parse(JSON.stringify(user)) as unknown) : resource);
}

/**
 * The operations in slices of at most PATCH_SLICE_OPERATIONS, each with the index of its first
 * operation. An Entra typed-entry path (createMissingTypedEntry) always starts a slice: whether it
 * names an existing entry depends on what the operations before it did, so it is read against the
 * user they left, never against an older copy.
 */
function slices(operations: readonly PatchOperation[]): [number, readonly PatchOperation[]][] {
  const out: [number, readonly PatchOperation[]][] = [];
  let from = 0;
  for (let i = 1; i <= operations.length; i++) {
    const typed = i < operations.length && TYPED_ENTRY.test(operations[i]!.path ?? '');
    if (i === operations.length || i - from >= PATCH_SLICE_OPERATIONS || typed) {
      out.push([from, operations.slice(from, i)]);
      from = i;
    }
  }
  return out;
}

/**
 * Operations offset+1… applied to `user` in one scimmy message; undefined when nothing changed.
 * When the result passes a limit, the slice's operations are applied again one at a time (the rare
 * refusal costs that, never a PATCH that is accepted) so the error names the one that passed it.
 */
async function applySlice(
  user: ScimmyUser,
  operations: readonly PatchOperation[],
  offset: number,
): Promise<ScimmyUser | undefined> {
  const patched = await applyMessage(user, operations, offset);
  if (patched === undefined) return undefined;
  const refusal = limitRefusal(patched);
  if (refusal === undefined) return patched;
  let state = user;
  for (let i = 0; operations.length > 1 && i < operations.length; i++) {
    const next = await applyMessage(state, [operations[i]!], offset + i);
    if (next === undefined) continue;
    const early = limitRefusal(next);
    if (early !== undefined) throw early(offset + i + 1);
    state = next;
  }
  throw refusal(offset + operations.length);
}

async function applyMessage(
  user: ScimmyUser,
  operations: readonly PatchOperation[],
  offset: number,
): Promise<ScimmyUser | undefined> {
  const view = user as unknown as Json;
  const ops = operations.map((op) => createMissingTypedEntry(view, op));
  const message = new SCIMMY.Messages.PatchOp({ schemas: [PATCH_SCHEMA], Operations: ops });
  return scimmyStep(offset, () => message.apply(user));
}

/** The error for a user past MAX_VALUES or MAX_USER_BYTES, given the operation that did it; undefined if within. */
function limitRefusal(user: ScimmyUser): ((operation: number) => ScimError) | undefined {
  for (const [key, value] of Object.entries(user as unknown as Json)) {
    if (Array.isArray(value) && value.length > MAX_VALUES) {
      return (operation) =>
        new ScimError(
          400,
          'invalidValue',
          `${key} would have ${value.length} values after operation ${operation}; at most ${MAX_VALUES} are accepted.`,
        );
    }
  }
  const bytes = JSON.stringify(user).length;
  if (bytes > MAX_USER_BYTES) {
    return (operation) =>
      new ScimError(
        400,
        'invalidValue',
        `The user would be ${bytes} bytes of JSON after operation ${operation}; at most ${MAX_USER_BYTES} are accepted.`,
      );
  }
  return undefined;
}

/** Runs a step of scimmy's; its errors become SCIM errors, with operations numbered in the whole PATCH. */
async function scimmyStep<T>(offset: number, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ScimError) throw error;
    const e = error as { status?: number; scimType?: string; message?: string };
    const scimType = (
      ['invalidPath', 'noTarget', 'invalidValue', 'mutability', 'invalidSyntax'] as const
    ).find((t) => t === e.scimType);
    // scimmy numbers the operations of the slice it was given; the caller numbers them all.
    const message = (e.message ?? 'The PATCH could not be applied.').replace(
      /\boperation (\d+)\b/g,
      (_, n: string) => `operation ${Number(n) + offset}`,
    );
    throw new ScimError(400, scimType ?? 'invalidValue', message);
  }
}

const MEMBER_FILTER = /^members\s*\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i;

/**
 * A group PATCH as engine changes, without reading the membership: adding or removing one member
 * of a 50,000-member group touches one row. Accepts Okta's `members[value eq "id"]` removes,
 * Entra's remove-with-value-list, full `replace` of members, and no-path replaces that carry the
 * read-only `id` (Okta sends it on rename; it is ignored).
 */
export function groupChanges(operations: readonly PatchOperation[]): GroupChange[] {
  const changes: GroupChange[] = [];
  for (const op of operations) {
    const path = op.path?.toLowerCase();
    if (path === undefined) {
      const value = op.value as Json;
      for (const [key, v] of Object.entries(value)) {
        const k = key.toLowerCase();
        if (k === 'displayname') changes.push(rename(v));
        else if (k === 'externalid')
          changes.push({ kind: 'externalId', externalId: typeof v === 'string' ? v : null });
        else if (k === 'members')
          changes.push({ kind: op.op === 'add' ? 'add' : 'replace', members: memberValues(v) });
        else if (k !== 'id' && k !== 'schemas' && k !== 'meta')
          throw new ScimError(400, 'invalidPath', `Groups have no attribute "${key}".`);
      }
    } else if (path === 'displayname') {
      if (op.op === 'remove')
        throw new ScimError(400, 'mutability', 'displayName is required and cannot be removed.');
      changes.push(rename(op.value));
    } else if (path === 'externalid') {
      changes.push({
        kind: 'externalId',
        externalId: op.op === 'remove' || typeof op.value !== 'string' ? null : op.value,
      });
    } else if (path === 'members') {
      if (op.op === 'add') changes.push({ kind: 'add', members: memberValues(op.value) });
      else if (op.op === 'replace') changes.push({ kind: 'replace', members: memberValues(op.value) });
      else if (op.value === undefined) changes.push({ kind: 'removeAll' });
      else changes.push({ kind: 'remove', members: memberValues(op.value) });
    } else {
      const match = op.path ? MEMBER_FILTER.exec(op.path) : null;
      if (!match || op.op !== 'remove')
        throw new ScimError(400, 'invalidPath', `Unsupported group path "${op.path}".`);
      changes.push({ kind: 'remove', members: [match[1]!] });
    }
  }
  return changes;
}

function rename(value: unknown): GroupChange {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ScimError(400, 'invalidValue', 'displayName must be a non-empty string.');
  return { kind: 'rename', displayName: value };
}
