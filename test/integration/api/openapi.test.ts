// The OpenAPI document as other software relies on it: every operation named (operationId), every
// body described with shared components and examples, every error a Problem, and a typed client
// generated from it with openapi-typescript that type-checks a program using its answers.
import assert from '../../helpers/assert.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import openapiTS, { astToString } from 'openapi-typescript';
import request from 'supertest';
import { API_PATH } from '../../../api/router.js';
import { apiWorld, type ApiWorld } from '../../helpers/api.js';

type Json = Record<string, unknown>;
interface Response {
  description: string;
  content?: Record<string, { schema: Json; example?: unknown }>;
}
interface Operation {
  operationId: string;
  requestBody?: { content: Record<string, { schema: Json; example?: unknown }> };
  responses: Record<string, Response>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

const run = promisify(execFile);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Type-checks `program` against the client generated from `document`; the compiler's output, or '' when it passes. */
async function typeCheck(document: unknown, program: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'seatkeeper-client-'));
  try {
    const ast = await openapiTS(document as Parameters<typeof openapiTS>[0]);
    writeFileSync(join(dir, 'seatkeeper-api.d.ts'), astToString(ast));
    writeFileSync(join(dir, 'program.ts'), program);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noUncheckedIndexedAccess: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          noEmit: true,
          types: [],
        },
        files: ['program.ts'],
      }),
    );
    try {
      await run(process.execPath, [tsc, '-p', dir], { cwd: dir });
      return '';
    } catch (error) {
      return String((error as { stdout?: string }).stdout ?? error);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A script's use of three answers: members listed, an invoice bought, a problem refused. */
const PROGRAM = `import type { components, operations, paths } from './seatkeeper-api.js';

type Members = paths['/members']['get']['responses'][200]['content']['application/json'];
type Invoice = operations['confirmQuote']['responses'][201]['content']['application/json'];
type Problem = components['schemas']['Problem'];

export function report(members: Members, invoice: Invoice, refused: Problem): string {
  const first = members.members[0];
  const email: string = first ? first.email : '';
  const tier: string | null = first ? first.tier : null;
  const total: number = members.total;
  const amounts: number[] = invoice.lines.map((line) => line.amountMinor);
  const code: string = refused.code;
  return [email, tier, total, invoice.number, amounts.join(','), code].join(' ');
}
`;

describe('admin API: the OpenAPI document other software relies on', () => {
  let w: ApiWorld;
  let doc: Document;
  beforeAll(async () => {
    w = await apiWorld();
    const res = await request(w.app).get(`${API_PATH}/openapi.json`);
    assert.equal(res.status, 200);
    doc = res.body as Document;
  });
  afterAll(() => w.cleanup());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
    );

  test('When the document is read, then every operation has a unique camelCase operationId', () => {
    const ids = operations().map(({ op }) => op.operationId);
    assert.ok(ids.length > 40);
    for (const id of ids) assert.match(id, /^[a-z][a-zA-Z0-9]*$/);
    assert.equal(new Set(ids).size, ids.length, 'unique');
    assert.equal(doc.paths['/members']?.get?.operationId, 'listMembers');
    assert.equal(doc.paths['/webhooks/{endpointId}/rotate-secret']?.post?.operationId, 'rotateWebhookSecret');
  });

  test('When an operation answers a body, then the document describes it: every success but 204, every error a Problem', () => {
    for (const { name, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const code = Number(status);
        if (code === 204) {
          assert.equal(response.content, undefined, `${name} ${status} has no body`);
        } else if (code >= 400) {
          assert.deepEqual(
            response.content?.['application/problem+json']?.schema,
            { $ref: '#/components/schemas/Problem' },
            `${name} ${status}`,
          );
        } else {
          const [media] = Object.values(response.content ?? {});
          assert.ok(media?.schema, `${name} ${status} describes its body`);
        }
      }
    }
  });

  test('When resources recur, then they are shared components, referred to and not repeated', () => {
    const { schemas } = doc.components;
    for (const name of [
      'Problem',
      'Member',
      'Organisation',
      'Invitation',
      'Invoice',
      'Quote',
      'WebhookEndpoint',
    ]) {
      assert.ok(schemas[name], name);
    }
    const text = JSON.stringify(doc);
    // The problem schema once, in components; before, it was inlined in every 4xx (~284 times).
    assert.equal(text.split('"Stable, machine-readable reason."').length - 1, 1);
    const member =
      doc.paths['/members/{memberId}/role']?.patch?.responses['200']?.content?.['application/json'];
    assert.deepEqual(member?.schema, { $ref: '#/components/schemas/Member' });
    assert.equal((member?.example as { email?: string } | undefined)?.email, 'erin@acme.example');
    const invite = doc.paths['/invitations']?.post?.requestBody?.content['application/json'];
    assert.equal((invite?.example as { role?: string } | undefined)?.role, 'user', 'a request example');
  });

  test('When the document gives examples, then each is valid against its own schema', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const DOC = 'https://seatkeeper.invalid/openapi.json';
    ajv.addSchema({ $id: DOC, ...doc });
    let checked = 0;
    const check = (pointer: string, example: unknown) => {
      const validate = ajv.compile({ $ref: `${DOC}#${pointer}` });
      assert.ok(validate(example), `${pointer}: ${JSON.stringify(validate.errors)}`);
      checked += 1;
    };
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      for (const example of (schema.examples as unknown[] | undefined) ?? []) {
        check(`/components/schemas/${name}`, example);
      }
    }
    const escape = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const body = op.requestBody?.content['application/json'];
        if (body?.example !== undefined) {
          check(
            `/paths/${escape(path)}/${method}/requestBody/content/application~1json/schema`,
            body.example,
          );
        }
      }
    }
    assert.ok(checked >= 8, `${checked} examples`);
  });

  test('When a route can refuse input, then it lists the 4xx: the public sign-in link request too', () => {
    const signIn = doc.paths['/sign-in-links']?.post;
    assert.deepEqual(Object.keys(signIn?.responses ?? {}).sort(), ['202', '400', '413', '415']);
    const list = doc.paths['/members']?.get;
    for (const status of ['400', '401', '403', '413']) assert.ok(list?.responses[status], status);
    assert.equal(list?.responses['415'], undefined, 'no body is read, so none is refused');
    for (const { name, op } of operations()) {
      assert.ok(op.responses['400'], `${name} lists 400`);
    }
  });

  test('When a typed client is generated from the document, then a program using its answers type-checks', async () => {
    assert.equal(await typeCheck(doc, PROGRAM), '');
  });

  test('When the document misdescribed an answer, then the same program fails to type-check', async () => {
    const wrong = structuredClone(doc);
    const member = wrong.components.schemas.Member as { properties: Json; required: string[] };
    delete member.properties.email;
    member.required = member.required.filter((field) => field !== 'email');
    const output = await typeCheck(wrong, PROGRAM);
    assert.match(output, /Property 'email' does not exist/);
  });
});
