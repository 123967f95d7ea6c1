// The attributes of an incoming SCIM User (RFC 7643 §4.1, the enterprise extension §4.3, and ours)
// checked and shaped against the declared schema, as scimmy's schema coercion leaves them.
//
// scimmy's coercion (`new SCIMMY.Schemas.User(body, 'in')`) is the reference, and the fallback: it
// costs about a quarter of a millisecond per body, as much as the rest of a create. The shapes that
// identity providers send every day (string, boolean and complex attributes of known names, the
// two extensions as objects) are done here in a few microseconds with the same result; every other
// body (an error to report, a reference or binary value, an unknown URN, a duplicate key…) is
// handed to scimmy, so errors and edge cases stay exactly scimmy's. test/unit/scim compares the two
// on generated bodies.
import { SCIMMY, USER_SCHEMA } from './schemas.js';

type Json = Record<string, unknown>;

/** A string or boolean attribute; `canonical` lists the values allowed (RFC 7643 §2.3.1, §7). */
interface Leaf {
  readonly kind: 'string' | 'boolean';
  readonly canonical: readonly string[] | undefined;
}

/** An attribute as this fast path treats it, by its lower-cased name (RFC 7643 §2.1: names are case-insensitive). */
type Shape =
  | Leaf
  | {
      readonly kind: 'complex';
      readonly multi: boolean;
      readonly subs: ReadonlyMap<string, Named<Leaf | 'scimmy'>>;
    }
  /** Read by scimmy for the 'in' direction only to be dropped (id, groups: direction 'out'; meta). */
  | 'ignored'
  /** Only scimmy knows what to make of a value here (references, binaries, date-times, numbers). */
  | 'scimmy';

interface Named<S> {
  /** The declared name, as scimmy writes it. */
  readonly name: string;
  readonly shape: S;
  /** False for attributes that are never returned (password): checked, but left out like scimmy does. */
  readonly returned: boolean;
}

interface Extension {
  readonly id: string;
  readonly attributes: ReadonlyMap<string, Named<Shape>>;
}

interface Tables {
  /** False when the declared schema has a feature this path does not reproduce. */
  readonly usable: boolean;
  /** Core attributes in declaration order (scimmy's output order), by lower-cased name. */
  readonly core: ReadonlyMap<string, Named<Shape>>;
  /** Schema extensions in declaration order, by lower-cased URN. */
  readonly extensions: ReadonlyMap<string, Extension>;
  /** URNs a body may list in `schemas` without scimmy checking it as a reference. */
  readonly knownSchemas: ReadonlySet<string>;
}

type ScimmyAttribute = InstanceType<typeof SCIMMY.Types.Attribute>;

function isScimmyAttribute(value: unknown): value is ScimmyAttribute {
  return value instanceof SCIMMY.Types.Attribute;
}

/** The shape of one declared attribute, for the inbound ('in') direction. */
function shapeOf(attribute: ScimmyAttribute, nested: boolean): Shape {
  const { type, config } = attribute;
  // Direction 'out' attributes are skipped by an inbound coercion without looking at the value;
  // inside a complex value this path does not follow that, and lets scimmy decide.
  if (config.direction === 'out') return nested ? 'scimmy' : 'ignored';
  if (type === 'string' || type === 'boolean') {
    if (config.multiValued) return 'scimmy';
    const canonical = Array.isArray(config.canonicalValues) ? config.canonicalValues : undefined;
    return { kind: type, canonical };
  }
  if (type === 'complex' && !nested) {
    const subs = new Map<string, Named<Leaf | 'scimmy'>>();
    for (const sub of attribute.subAttributes ?? []) {
      const shape = shapeOf(sub, true);
      subs.set(sub.name.toLowerCase(), {
        name: sub.name,
        shape: typeof shape === 'object' && shape.kind !== 'complex' ? shape : 'scimmy',
        returned: isReturned(sub),
      });
    }
    return { kind: 'complex', multi: config.multiValued === true, subs };
  }
  return 'scimmy';
}

function isReturned(attribute: ScimmyAttribute): boolean {
  const { returned } = attribute.config;
  return returned !== false && returned !== 'never';
}

function attributeTable(attributes: readonly ScimmyAttribute[]): Map<string, Named<Shape>> {
  const table = new Map<string, Named<Shape>>();
  for (const attribute of attributes) {
    table.set(attribute.name.toLowerCase(), {
      name: attribute.name,
      shape: shapeOf(attribute, false),
      returned: isReturned(attribute),
    });
  }
  return table;
}

let tables: Tables | undefined;

/** Built on first use, after declareScim() has extended the User schema. */
function tablesFor(): Tables {
  if (tables) return tables;
  const definition = SCIMMY.Schemas.User.definition;
  const members = definition.attributes as readonly unknown[];
  const core = attributeTable(members.filter(isScimmyAttribute));
  // `schemas` is checked on its own (below); scimmy overwrites `meta` with its own before
  // coercing, so whatever was sent there is dropped.
  core.set('schemas', { name: 'schemas', shape: 'ignored', returned: false });
  core.set('meta', { name: 'meta', shape: 'ignored', returned: false });
  const extensions = new Map<string, Extension>();
  let usable = true;
  for (const extension of members) {
    if (extension instanceof SCIMMY.Types.SchemaDefinition) {
      // A required extension has rules of its own (RFC 7643 §3.3); none is declared, and if one
      // were, every body would go to scimmy.
      if ((extension as unknown as { required?: boolean }).required === true) usable = false;
      extensions.set(extension.id.toLowerCase(), {
        id: extension.id,
        attributes: attributeTable((extension.attributes as readonly unknown[]).filter(isScimmyAttribute)),
      });
    }
  }
  tables = {
    usable,
    core,
    extensions,
    knownSchemas: new Set([USER_SCHEMA, ...[...extensions.values()].map((e) => e.id)]),
  };
  return tables;
}

/** Plain objects only: scimmy reads arrays and objects differently from what this path does. */
function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Lower-cased key → value, or undefined when two keys differ only in case (scimmy keeps the last). */
function byLowerCaseKey(object: Json): Map<string, unknown> | undefined {
  const map = new Map<string, unknown>();
  for (const key of Object.keys(object)) {
    const lower = key.toLowerCase();
    if (map.has(lower)) return undefined;
    map.set(lower, object[key]);
  }
  return map;
}

const FALLBACK = Symbol('scimmy decides');
type Fallback = typeof FALLBACK;

function leaf(shape: Leaf, value: unknown): unknown {
  if (typeof value !== shape.kind) return FALLBACK;
  if (shape.canonical !== undefined && !shape.canonical.includes(value as string)) return FALLBACK;
  return value;
}

/** One complex value: its sub-attributes in declaration order, as scimmy's second coercion leaves them. */
function complexValue(subs: ReadonlyMap<string, Named<Leaf | 'scimmy'>>, value: unknown): Json | Fallback {
  if (!isPlainObject(value)) return FALLBACK;
  const given = byLowerCaseKey(value);
  // An empty value, or an undeclared sub-attribute: rare, and scimmy's handling has its quirks.
  if (given === undefined || given.size === 0) return FALLBACK;
  for (const key of given.keys()) if (!subs.has(key)) return FALLBACK;
  const out: Json = {};
  for (const [lower, sub] of subs) {
    if (!given.has(lower)) continue;
    if (sub.shape === 'scimmy') return FALLBACK;
    const coerced = leaf(sub.shape, given.get(lower));
    if (coerced === FALLBACK) return FALLBACK;
    if (sub.returned) out[sub.name] = coerced;
  }
  return out;
}

function attributeValue(shape: Exclude<Shape, 'ignored' | 'scimmy'>, value: unknown): unknown {
  if (shape.kind !== 'complex') return leaf(shape, value);
  if (!shape.multi) return complexValue(shape.subs, value);
  if (!Array.isArray(value)) return FALLBACK;
  const out: Json[] = [];
  for (const element of value) {
    const coerced = complexValue(shape.subs, element);
    if (coerced === FALLBACK) return FALLBACK;
    out.push(coerced);
  }
  return out;
}

/** The attributes of one schema, in declaration order, into `out`; false to fall back. */
function coerceAttributes(
  table: ReadonlyMap<string, Named<Shape>>,
  given: ReadonlyMap<string, unknown>,
  out: Json,
): boolean {
  for (const [lower, attribute] of table) {
    if (!given.has(lower) || attribute.shape === 'ignored') continue;
    if (attribute.shape === 'scimmy') return false;
    const coerced = attributeValue(attribute.shape, given.get(lower));
    if (coerced === FALLBACK) return false;
    if (attribute.returned) out[attribute.name] = coerced;
  }
  return true;
}

/**
 * The User as `JSON.parse(JSON.stringify(new SCIMMY.Schemas.User(body, 'in')))` gives it, less
 * `schemas` and `meta` (which scimmy computes and the caller discards), or undefined when this body
 * is not one this path is sure about: then scimmy must coerce it.
 */
export function coerceUserFast(body: Json): Json | undefined {
  const { usable, core, extensions, knownSchemas } = tablesFor();
  if (!usable) return undefined;
  const given = byLowerCaseKey(body);
  if (given === undefined) return undefined;
  // scimmy reads `schemas` by its exact name: it must list the User schema (RFC 7643 §3), and each
  // entry must be a URI; only the declared URNs are taken as such here.
  if (given.has('schemas')) {
    const schemas = body.schemas;
    if (!Array.isArray(schemas)) return undefined;
    if (schemas.length > 0 && !schemas.includes(USER_SCHEMA)) return undefined;
    if (!schemas.every((s) => typeof s === 'string' && knownSchemas.has(s))) return undefined;
  }
  if (typeof given.get('username') !== 'string') return undefined; // required (RFC 7643 §4.1.1)
  for (const key of given.keys()) {
    // Undeclared attributes are dropped, as scimmy does; an undeclared URN may be an extension
    // attribute in its namespaced form, which only scimmy resolves.
    if (key.startsWith('urn:') && !extensions.has(key)) return undefined;
  }
  const out: Json = {};
  if (!coerceAttributes(core, given, out)) return undefined;
  for (const [lower, extension] of extensions) {
    if (!given.has(lower)) continue;
    const value = given.get(lower);
    if (!isPlainObject(value)) return undefined;
    const attributes = byLowerCaseKey(value);
    if (attributes === undefined) return undefined;
    if (attributes.size === 0) continue; // an empty extension object adds nothing
    for (const key of attributes.keys()) if (!extension.attributes.has(key)) return undefined;
    const coerced: Json = {};
    if (!coerceAttributes(extension.attributes, attributes, coerced)) return undefined;
    out[extension.id] = coerced;
  }
  return out;
}

/** The same, by scimmy's schema coercion; throws its error for a body the schema refuses. */
export function coerceUserBySchema(body: Json): Json {
  const coerced = JSON.parse(JSON.stringify(new SCIMMY.Schemas.User(body, 'in'))) as Json;
  delete coerced.schemas;
  delete coerced.meta;
  return coerced;
}
