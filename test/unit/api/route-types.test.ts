// A route's handler is typed by the route's response schema: answering another shape is a type
// error (checked by `tsc --noEmit`, which fails if an expected error below goes away), and the
// schema is what the OpenAPI document shows.
import assert from '../../helpers/assert.js';
import { test } from '@jest/globals';
import { z } from 'zod';
import { openApiDocument } from '../../../api/openapi.js';
import { noContent, ok, route } from '../../../api/route.js';

const Thing = z
  .object({ id: z.number().int(), name: z.string(), tags: z.array(z.string()) })
  .meta({ id: 'Thing' });

const base = {
  method: 'get',
  path: '/things',
  summary: 'Show a thing',
  tag: 'Things',
  role: 'admin',
} as const;

test('When a handler answers another shape than its response schema, then it does not type-check', () => {
  const routes = [
    route({
      ...base,
      response: Thing,
      responses: { 200: 'The thing.' },
      handle: () => ok({ id: 1, name: 'a', tags: [] as readonly string[] }),
    }),
    route({
      ...base,
      response: Thing,
      responses: { 200: 'The thing.' },
      // @ts-expect-error: `name` is a string in the schema
      handle: () => ok({ id: 1, name: 2, tags: [] }),
    }),
    route({
      ...base,
      response: Thing,
      responses: { 200: 'The thing.' },
      // @ts-expect-error: `tags` is missing
      handle: () => ok({ id: 1, name: 'a' }),
    }),
    route({
      ...base,
      response: Thing,
      responses: { 200: 'The thing.' },
      // @ts-expect-error: a handler answering later is held to the schema too
      handle: () => Promise.resolve(ok({ id: '1', name: 'a', tags: [] })),
    }),
    route({ ...base, method: 'delete', responses: { 204: 'Gone.' }, handle: () => noContent }),
  ];
  const doc = openApiDocument(routes.slice(0, 1), {});
  const answer = (doc.paths['/things'] as Record<string, { responses: Record<string, unknown> }>).get!;
  assert.deepEqual(answer.responses['200'], {
    description: 'The thing.',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
  });
  assert.deepEqual(Object.keys(doc.components.schemas).sort(), ['Problem', 'Thing']);
});
