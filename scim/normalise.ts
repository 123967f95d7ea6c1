// What identity providers really send, made into what RFC 7644 describes, before anything else
// reads it. Each rule names the provider behaviour it exists for.
import { ScimError } from './errors.js';
import { memberValues } from './representation.js';
import { PATCH_SCHEMA, SCIMMY } from './schemas.js';
import type { GroupChange } from '../provisioning/directory.js';

type Json = Record<string, unknown>;

/** Attribute names whose values are booleans wherever they appear (RFC 7643 §4.1, §2.4). */
const BOOLEANS = new Set(['active', 'primary']);
const MAX_OPERATIONS = 1000;
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
 */
export function normaliseResource(body: unknown, depth = 0): Json {
  if (!isObject(body)) throw new ScimError(400, 'invalidSyntax', 'The request body must be a JSON object.');
  if (depth > MAX_DEPTH) throw new ScimError(400, 'invalidValue', 'The resource is nested too deeply.');
  const out: Json = {};
  for (const [key, value] of Object.entries(body)) {
    // JSON.parse keeps "__proto__" as a plain key, but assigning it would set the prototype; no
    // SCIM attribute can have that name (RFC 7643 §2.1 ATTRNAME starts with a letter).
    if (value === null || key === '__proto__') continue;
    if (BOOLEANS.has(key.toLowerCase())) out[key] = asBoolean(value);
    else if (key.toLowerCase() === 'manager' && typeof value === 'string') out[key] = { value };
    else if (Array.isArray(value))
      out[key] = (value as unknown[])
        .filter((v) => v !== null)
        .map((v) => (isObject(v) ? normaliseResource(v, depth + 1) : v));
    else if (isObject(value)) out[key] = normaliseResource(value, depth + 1);
    else out[key] = value;
  }
  return out;
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
export function normalisePatch(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw new ScimError(400, 'invalidSyntax', 'The PATCH body must be a JSON object.');
  const operations = body.Operations ?? body.operations;
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimError(400, 'invalidSyntax', 'A PATCH request needs a non-empty "Operations" list.');
  }
  if (operations.length > MAX_OPERATIONS)
    throw new ScimError(400, 'tooMany', `At most ${MAX_OPERATIONS} operations per PATCH.`);
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
      ...(raw.value !== undefined ? { value: normaliseValue(path, raw.value) } : {}),
    };
  });
}

function normaliseValue(path: string | undefined, value: unknown): unknown {
  const leaf = path?.split(/[.:]/).pop()?.replace(/\].*$/, '').toLowerCase();
  if (leaf && BOOLEANS.has(leaf)) return asBoolean(value);
  // Entra sends the manager reference as a bare string for a complex attribute.
  if (leaf === 'manager' && typeof value === 'string') return { value };
  if (isObject(value)) return normaliseResource(value);
  if (Array.isArray(value))
    return (value as unknown[])
      .filter((v) => v !== null)
      .map((v) => (isObject(v) ? normaliseResource(v) : v));
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

/** Applies a user PATCH to the user's current representation with scimmy's PatchOp. */
export async function applyUserPatch(current: Json, operations: readonly PatchOperation[]): Promise<Json> {
  const ops = operations.map((op) => createMissingTypedEntry(current, op));
  const resource = { ...current };
  delete resource.groups; // read-only, and not ours to patch
  try {
    const message = new SCIMMY.Messages.PatchOp({ schemas: [PATCH_SCHEMA], Operations: ops });
    const patched = await message.apply(new SCIMMY.Schemas.User(resource, 'out'));
    return normaliseResource(JSON.parse(JSON.stringify(patched ?? resource)) as unknown);
  } catch (error) {
    if (error instanceof ScimError) throw error;
    const e = error as { status?: number; scimType?: string; message?: string };
    const scimType = (
      ['invalidPath', 'noTarget', 'invalidValue', 'mutability', 'invalidSyntax'] as const
    ).find((t) => t === e.scimType);
    throw new ScimError(400, scimType ?? 'invalidValue', e.message ?? 'The PATCH could not be applied.');
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
