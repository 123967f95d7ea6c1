// The OpenAPI 3.1 document of the admin API, generated from the route declarations themselves.
// OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what the request schemas convert to.
import { z } from 'zod';
import type { Route } from './route.js';

const PROBLEM = {
  description: 'Problem details (RFC 9457)',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        required: ['type', 'title', 'status', 'code'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          code: { type: 'string', description: 'Stable, machine-readable reason.' },
          requiredRole: { type: 'string', description: 'On 403: the lowest role that may do this.' },
          errors: {
            type: 'array',
            description:
              'On 400: each offending field, as a JSON Pointer (RFC 6901) into the body, query or path.',
            items: {
              type: 'object',
              properties: {
                in: { enum: ['body', 'query', 'path', 'header'] },
                pointer: { type: 'string' },
                detail: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
} as const;

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

/** `/members/:memberId` → `/members/{memberId}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function parameters(route: Route): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const json = jsonSchema(schema);
    const properties = (json.properties ?? {}) as Record<string, unknown>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: property });
    }
  }
  return out;
}

export function openApiDocument(routes: readonly Route[], shared: Readonly<Record<number, string>>) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    const statuses = { ...(route.role === 'public' ? {} : shared), ...route.responses };
    for (const [status, description] of Object.entries(statuses)) {
      responses[status] = Number(status) >= 400 ? { ...PROBLEM, description } : { description };
    }
    (paths[openApiPath(route.path)] ??= {})[route.method] = {
      summary: route.summary,
      tags: [route.tag],
      'x-required-role': route.role,
      security: route.role === 'public' ? [] : [{ session: [] }, { apiToken: [] }],
      parameters: parameters(route),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body) } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Seatkeeper admin API',
      version: '1',
      description:
        'Members, invitations, seats, billing, identity and access, and the audit log of one organisation. ' +
        'Every route names the lowest role that may call it in `x-required-role`.',
    },
    servers: [{ url: '/api/v1' }],
    components: {
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
