// Holds the admin API to its OpenAPI document in every API test: each answer the app sends under
// /api/v1 is checked, as it leaves, against the operation's declared statuses and the JSON Schema
// (2020-12, with ajv) of its body. A mismatch replaces the answer with a 500 problem naming it, so
// the test that caused it fails where it looks, and is kept so the world's cleanup fails too.
import express, { type Express, type Response } from 'express';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { openApiDocument } from '../../api/openapi.js';
import { API_PATH, SHARED_STATUSES } from '../../api/router.js';
import type { Route } from '../../api/route.js';

type Json = Record<string, unknown>;

interface Operation {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly params: number;
  readonly responses: Record<string, { content?: Record<string, { schema: Json }> }>;
}

/** RFC 6901: `~` and `/` escaped in a JSON Pointer token. */
const token = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

export interface ResponseValidator {
  /** Every mismatch seen so far, one line each. */
  readonly mismatches: readonly string[];
  /** Throws when any answer did not match the document. */
  assertNone(): void;
}

export function validateResponses(
  app: Express,
  routes: readonly Route[],
): { app: Express; validator: ResponseValidator } {
  const document = openApiDocument(routes, SHARED_STATUSES) as unknown as {
    paths: Record<string, Record<string, Operation['responses'] extends infer R ? { responses: R } : never>>;
  };
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  const DOC = 'https://seatkeeper.invalid/openapi.json';
  ajv.addSchema({ $id: DOC, ...(document as unknown as Json) });
  const compiled = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string): ValidateFunction => {
    let v = compiled.get(pointer);
    if (!v) {
      v = ajv.compile({ $ref: `${DOC}#${pointer}` });
      compiled.set(pointer, v);
    }
    return v;
  };

  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const source = template.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+');
      operations.push({
        method,
        template,
        pattern: new RegExp(`^${source}$`),
        params: (template.match(/\{/g) ?? []).length,
        responses: operation.responses,
      });
    }
  }
  // A literal segment wins over a parameter (`/invitations/accept` before `/invitations/{id}`), as
  // the router's declaration order has it.
  operations.sort((a, b) => a.params - b.params);

  const mismatches: string[] = [];

  function check(method: string, path: string, res: Response, body: Buffer | undefined): string | undefined {
    const operation = operations.find((o) => o.method === method && o.pattern.test(path));
    if (!operation) return undefined; // no such route: the app's own 404, not an operation's answer
    const status = String(res.statusCode);
    const declared = operation.responses[status];
    const where = `${method.toUpperCase()} ${operation.template} answered ${status}`;
    if (!declared) return `${where}, a status the document does not list`;
    const type = String(res.getHeader('content-type') ?? '')
      .split(';')[0]!
      .trim();
    const hasBody = body !== undefined && body.length > 0;
    if (!hasBody) return undefined;
    const media = declared.content?.[type];
    if (!media) return `${where} with a ${type || 'untyped'} body the document does not describe`;
    if (!type.endsWith('json')) return undefined; // CSV, PDF: the media type is what is declared
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return `${where} with a body that is not JSON`;
    }
    const pointer = `/paths/${token(operation.template)}/${method}/responses/${status}/content/${token(type)}/schema`;
    const validate = validatorAt(pointer);
    if (validate(parsed)) return undefined;
    const errors = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
      .join('; ');
    return `${where} with a body that breaks its schema: ${errors}; body ${body.toString('utf8').slice(0, 300)}`;
  }

  const outer = express();
  outer.disable('x-powered-by');
  outer.set('etag', false);
  outer.use(API_PATH, (req, res, next) => {
    const method = req.method.toLowerCase();
    const path = req.path;
    const chunks: Buffer[] = [];
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    // Streamed bodies (the CSV export) are collected as they pass; the check runs at the end.
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') {
        chunks.push(Buffer.from(chunk as string));
      }
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      const last =
        chunk !== undefined && chunk !== null && typeof chunk !== 'function'
          ? Buffer.from(chunk as string)
          : undefined;
      const body = chunks.length > 0 ? Buffer.concat([...chunks, ...(last ? [last] : [])]) : last;
      const mismatch = check(method, path, res, body);
      if (mismatch === undefined || res.headersSent) {
        if (mismatch !== undefined) mismatches.push(mismatch);
        return end(chunk, ...rest);
      }
      mismatches.push(mismatch);
      res.statusCode = 500;
      res.setHeader('content-type', 'application/problem+json');
      res.removeHeader('content-length');
      return end(
        JSON.stringify({
          type: 'about:blank',
          title: 'Answer not in the OpenAPI document',
          status: 500,
          code: 'response_not_in_openapi',
          detail: mismatch,
        }),
      );
    }) as typeof res.end;
    next();
  });
  outer.use(app);

  return {
    app: outer,
    validator: {
      mismatches,
      assertNone() {
        if (mismatches.length > 0) {
          throw new Error(`Answers that break the OpenAPI document:\n${mismatches.join('\n')}`);
        }
      },
    },
  };
}
