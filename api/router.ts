// The admin API at /api/v1: JSON in, JSON out, errors as problem details (RFC 9457). Each route is
// a declaration (api/route.ts) run through the same named steps: authenticate → role → parse
// params, query and body strictly → handle → answer. The OpenAPI document is built from the same
// declarations and served at /api/v1/openapi.json.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import { ForbiddenError, ValidationError } from '../domain/errors.js';
import { hasRole } from '../domain/model.js';
import { refuseNul } from '../domain/nul.js';
import type { Logger } from '../runtime/logger.js';
import { sendProblem } from '../http/problem.js';
import { whoMay } from '../seats/roles.js';
import type { Authenticator } from './auth.js';
import { openApiDocument } from './openapi.js';
import type { ApiCaller, Reply, Route } from './route.js';

export const API_PATH = '/api/v1';

/** Admin requests are small; anything larger is a mistake or an attack (answered 413). */
export const API_BODY_LIMIT = '64kb';

export interface ApiRouterDeps {
  readonly routes: readonly Route[];
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  /** Called after a change succeeded (e.g. to deliver the mail it queued now rather than at the next poll). */
  readonly afterChange?: () => void;
}

/** The statuses every route may answer, whatever it declares. */
export const SHARED_STATUSES: Readonly<Record<number, string>> = {
  400: 'The request is malformed or breaks a rule; `errors` points at each offending field.',
  401: 'Not signed in, or the API token is unknown or revoked.',
  403: 'The caller may not do this; `requiredRole` names who may.',
  413: 'The body is larger than the limit.',
  415: 'The body is not JSON.',
};

/** Parses `value` with `schema`, or a 400 whose `errors` point (RFC 6901) at each problem. */
function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'body' | 'query' | 'path'): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap((issue) => {
    const at = issue.path.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1'));
    // An unknown field is reported at the field itself, so a form can show it where it was typed.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [null];
    return keys.map((key) => ({
      in: where,
      pointer: `/${[...at, ...(key === null ? [] : [key])].join('/')}`,
      detail: issue.code === 'unrecognized_keys' ? 'Unknown field.' : issue.message,
    }));
  });
  const first = errors[0]!;
  throw new ValidationError(
    `Invalid ${where}: ${first.pointer === '/' ? '' : `${first.pointer.slice(1)}: `}${first.detail}`,
    { errors },
  );
}

async function send(res: Response, reply: Reply): Promise<void> {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.status(reply.status);
  if (reply.stream) {
    // A failure mid-stream cannot become a problem any more: the connection is cut instead, so
    // the client sees a truncated transfer, never a complete-looking one.
    if (reply.type) res.type(reply.type);
    await pipeline(Readable.from(reply.stream), res);
  } else if (reply.status === 204 || reply.body === undefined) {
    res.end();
  } else if (reply.type) {
    res.type(reply.type).send(reply.body);
  } else {
    res.json(reply.body);
  }
}

export function createApiRouter({ routes, authenticator, logger, afterChange }: ApiRouterDeps): Router {
  const router = express.Router();
  // Caches must not keep one member's answers for another (RFC 9111 §5.2.2.5).
  router.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });
  router.use(express.json({ limit: API_BODY_LIMIT, strict: true }));

  const document = openApiDocument(routes, SHARED_STATUSES);
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  for (const spec of routes) {
    router[spec.method](spec.path, (req: Request, res: Response, next: NextFunction) => {
      void (async () => {
        let caller: ApiCaller | undefined;
        if (spec.role !== 'public') {
          caller = await authenticator.authenticate(req);
          if (!hasRole(caller.role, spec.role)) {
            throw new ForbiddenError(`Only ${whoMay(spec.role)} may ${spec.summary.toLowerCase()}.`, {
              requiredRole: spec.role,
            });
          }
          if (spec.sessionOnly && caller.via !== 'session') {
            throw new ForbiddenError('This needs a signed-in member; an API token cannot do it.', {
              requiredRole: spec.role,
            });
          }
        }
        if (spec.body && !req.is('application/json')) {
          sendProblem(res, {
            type: 'about:blank',
            title: 'Unsupported media type',
            status: 415,
            code: 'unsupported_media_type',
            detail: 'Send the body as application/json.',
          });
          return;
        }
        // U+0000 anywhere in what was sent: the same 400 on either backend (domain/nul.ts).
        refuseNul(req.params, 'path');
        refuseNul(req.query, 'query');
        if (spec.body) refuseNul(req.body, 'body');
        const params = parse(spec.params, req.params, 'path');
        const query = parse(spec.query, req.query, 'query');
        const body = parse(spec.body, req.body, 'body');
        const ctx = { params, query, body, req, res };
        const reply =
          spec.role === 'public' ? await spec.handle(ctx) : await spec.handle({ ...ctx, caller: caller! });
        if (!(reply.status in spec.responses)) {
          logger.error(
            { route: `${spec.method.toUpperCase()} ${spec.path}`, status: reply.status },
            'undeclared status',
          );
        }
        await send(res, reply);
        if (req.method !== 'GET' && reply.status < 300) afterChange?.();
      })().catch(next);
    });
  }
  return router;
}
