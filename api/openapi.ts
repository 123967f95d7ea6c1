// The OpenAPI 3.1 document of the admin API, generated from the route declarations themselves.
// OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what the request schemas convert to.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { Route } from './route.js';
import { Problem } from './schemas.js';

type Json = Record<string, unknown>;

/** Where a schema with `.meta({ id })` lands in the document. */
const COMPONENT = '#/components/schemas/';

/** What statuses mean when a route's declaration does not say it for itself. */
const COMMON: Readonly<Record<number, string>> = {
  400: 'The request is malformed or breaks a rule; `errors` points at each offending field.',
  413: 'The body is larger than the limit.',
  415: 'The body is not JSON.',
};

/**
 * Converts zod schemas to JSON Schema 2020-12 (what OpenAPI 3.1 takes), collecting every schema
 * with an `id` into `components.schemas` once and referring to it from everywhere else.
 */
class SchemaCollector {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const {
      $schema: _dialect,
      $defs,
      ...root
    } = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
    }) as Json & { $defs?: Record<string, Json> };
    const names = new Map<string, string>();
    for (const [id, definition] of Object.entries($defs ?? {})) {
      // A request schema read as input can differ from the same schema answered (defaults make
      // fields optional), so the input form gets its own name when it does.
      let name = id;
      const taken = this.components[name];
      if (taken !== undefined && !isDeepStrictEqual(taken, this.rewrite(definition, new Map([[id, name]])))) {
        name = `${id}Input`;
      }
      names.set(id, name);
    }
    for (const [id, definition] of Object.entries($defs ?? {})) {
      this.components[names.get(id)!] ??= this.rewrite(definition, names);
    }
    return this.rewrite(root, names);
  }

  /** Points zod's local `#/$defs/X` references at the document's components. */
  private rewrite(value: Json, names: ReadonlyMap<string, string>): Json {
    return JSON.parse(
      JSON.stringify(value).replace(/"#\/\$defs\/([^"]+)"/g, (_all, id: string) =>
        JSON.stringify(COMPONENT + (names.get(id) ?? id)),
      ),
    ) as Json;
  }

  /** The first example a schema (or the component it refers to) gives. */
  example(json: Json): unknown {
    const target =
      typeof json.$ref === 'string' && json.$ref.startsWith(COMPONENT)
        ? this.components[json.$ref.slice(COMPONENT.length)]
        : json;
    const examples = target?.examples;
    return Array.isArray(examples) ? examples[0] : undefined;
  }
}

/** `Show a member's seat` → `showMemberSeat`: the fallback when a route names no operationId. */
export function operationIdOf(summary: string): string {
  const words = summary
    .replace(/'s\b/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w && !['a', 'an', 'the'].includes(w.toLowerCase()));
  return words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
}

/** `/members/:memberId` → `/members/{memberId}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function parameters(route: Route, schemas: SchemaCollector): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const json = schemas.convert(schema, 'input');
    const properties = (json.properties ?? {}) as Record<string, unknown>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: property });
    }
  }
  return out;
}

/**
 * The statuses a route can answer whatever it declares: 400 and 413 from the JSON body parser on
 * every route, 415 where a body is read, 401 and 403 where a caller is needed.
 */
function sharedStatuses(route: Route, shared: Readonly<Record<number, string>>): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [status, description] of Object.entries({ ...COMMON, ...shared })) {
    const code = Number(status);
    if (code === 415 && !route.body) continue;
    if ((code === 401 || code === 403) && route.role === 'public') continue;
    out[code] = description;
  }
  return out;
}

/** A media type object: the schema, and its first example when it gives one. */
function content(mediaType: string, schema: Json, schemas: SchemaCollector): Json {
  const example = schemas.example(schema);
  return { [mediaType]: { schema, ...(example === undefined ? {} : { example }) } };
}

export function openApiDocument(routes: readonly Route[], shared: Readonly<Record<number, string>>) {
  const schemas = new SchemaCollector();
  const problem = schemas.convert(Problem, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    // A body other than JSON (a PDF) without a schema of its own is described as bytes.
    const success = route.response
      ? schemas.convert(route.response, 'output')
      : route.responseType
        ? { type: 'string', contentMediaType: route.responseType }
        : undefined;
    const statuses = { ...sharedStatuses(route, shared), ...route.responses };
    for (const [status, description] of Object.entries(statuses)) {
      const code = Number(status);
      responses[status] =
        code >= 400
          ? { description, content: { 'application/problem+json': { schema: problem } } }
          : code === 204 || !success
            ? { description }
            : { description, content: content(route.responseType ?? 'application/json', success, schemas) };
    }
    const operation = {
      operationId: route.operationId ?? operationIdOf(route.summary),
      summary: route.summary,
      tags: [route.tag],
      'x-required-role': route.role,
      security: route.role === 'public' ? [] : [{ session: [] }, { apiToken: [] }],
      parameters: parameters(route, schemas),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: content('application/json', schemas.convert(route.body, 'input'), schemas),
            },
          }
        : {}),
      responses,
    };
    (paths[openApiPath(route.path)] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Seatkeeper admin API',
      version: '1',
      description:
        'Members, invitations, seats, billing, identity and access, webhooks and the audit log of one organisation. ' +
        'Every operation names the lowest role that may call it in `x-required-role`; every error is a ' +
        '`Problem` (RFC 9457) with a stable `code`.',
    },
    servers: [{ url: '/api/v1' }],
    components: {
      schemas: Object.fromEntries(Object.entries(schemas.components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'seatkeeper_session',
          description:
            'The console session; unsafe methods also need the X-CSRF-Token header from GET /session.',
        },
        apiToken: { type: 'http', scheme: 'bearer', description: 'An organisation API token (skapi_…).' },
      },
    },
    paths,
  };
}
