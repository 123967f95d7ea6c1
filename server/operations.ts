// What the operator sees of the HTTP server: the request log line and the HTTP metrics of every
// request (with its request id), and the operator's endpoints: liveness, readiness and metrics.
//
// Who made a request is recorded by the edge that authenticated it, on res.locals: the SCIM edge
// keeps its token's `caller`; the admin API and the SSO edge set `organisationId` and `actor`.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Actor } from '../domain/model.js';
import type { Health } from './health.js';
import type { Logger } from '../runtime/logger.js';
import { scimOperation, type Metrics } from './metrics.js';
import { sendProblem } from '../http/problem.js';

/** The operator's endpoints: answered without authentication (but /metrics, with a token set). */
export const PROBE_PATHS: readonly string[] = ['/livez', '/readyz', '/healthz', '/metrics'];

export interface ObserverDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Where each router is mounted, to name the route a request matched inside it. */
  readonly mounts: readonly string[];
  /** The SCIM mount: its requests are also counted as SCIM operations. */
  readonly scimPath: string;
}

/** Records on the response who made the request, for its log line. */
export function noteCaller(res: Response, organisationId: number, actor: Actor): void {
  res.locals.organisationId = organisationId;
  res.locals.actor = actor;
}

/** member:12, api_token:3, scim_token:5: an actor as the request log names it (never a secret). */
export function describeActor(actor: Actor): string {
  switch (actor.type) {
    case 'member':
      return `member:${actor.memberId}`;
    case 'api_token':
    case 'scim_token':
      return `${actor.type}:${actor.tokenId}`;
    case 'jit':
      return `jit:${actor.connectionId}`;
    case 'operator':
      return 'operator';
    case 'system':
      return `system:${actor.job}`;
  }
}

function callerOf(locals: Record<string, unknown>): { organisationId?: number; actor?: string } {
  const scim = locals.caller as { organisationId?: unknown; tokenId?: unknown } | undefined;
  if (scim && typeof scim.organisationId === 'number' && typeof scim.tokenId === 'number') {
    return { organisationId: scim.organisationId, actor: `scim_token:${scim.tokenId}` };
  }
  const actor = locals.actor as Actor | undefined;
  return {
    ...(typeof locals.organisationId === 'number' ? { organisationId: locals.organisationId } : {}),
    ...(actor ? { actor: describeActor(actor) } : {}),
  };
}

/** The path without its query: a query may carry an OIDC code or state, never logged. */
function pathOf(req: Request): string {
  const url = req.originalUrl;
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * The route pattern a request matched (/api/v1/members/:memberId), never its raw path, so the
 * metrics' labels stay a fixed set. A request refused before any route matched (authentication,
 * body too large, no such path) is named by its router's mount (/scim/v2/*), or `unmatched`.
 */
export function routeOf(req: Request, mounts: readonly string[]): string {
  const path = pathOf(req).toLowerCase();
  const mount = mounts.find((m) => path === m.toLowerCase() || path.startsWith(`${m.toLowerCase()}/`)) ?? '';
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') return `${mount}${pattern === '/' && mount !== '' ? '' : pattern}`;
  return mount === '' ? 'unmatched' : `${mount}/*`;
}

/**
 * First middleware: gives the request its id (the caller's X-Request-Id when it is sane, so a
 * proxy's id follows the request), and once the response is sent, counts it and writes its log
 * line: method, path, route, status, time, client address (X-Forwarded-For only through a trusted
 * proxy), the organisation and the actor where known; at trace, every header, secrets redacted.
 */
export function observeRequests({ logger, metrics, mounts, scimPath }: ObserverDeps): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const requestId = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.locals.requestId = requestId;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req, mounts);
      metrics.observeRequest(route, req.method, res.statusCode, seconds);
      const path = pathOf(req);
      if (route.startsWith(`${scimPath}/`) || route === scimPath) {
        metrics.observeScim(scimOperation(req.method, path.slice(scimPath.length)), res.statusCode);
      }
      // Probes come every few seconds; they are logged only when asked for.
      const level = PROBE_PATHS.includes(route) ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          requestId,
          method: req.method,
          path,
          route,
          status: res.statusCode,
          ms: seconds * 1000,
          ip: req.ip,
          ...callerOf(res.locals),
          ...(logger.isLevelEnabled('trace')
            ? { req: { headers: { ...req.headers } }, res: { headers: res.getHeaders() } }
            : {}),
        },
        'request',
      );
    });
    next();
  };
}

export interface OperationsDeps {
  readonly health: Health;
  readonly metrics: Metrics;
  /** Bearer token /metrics requires; null leaves it open. */
  readonly metricsToken: string | null;
  /** The metrics text served; the cluster's aggregate in a worker, else this process's registry. */
  readonly metricsText?: () => Promise<string>;
  readonly logger: Logger;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** /livez, /readyz and /metrics. (/healthz, older, stays in the app as it was.) */
export function createOperationsRouter(deps: OperationsDeps): Router {
  const router = express.Router();
  const expected = deps.metricsToken === null ? null : digest(deps.metricsToken);
  const metricsText = deps.metricsText ?? (() => deps.metrics.registry.metrics());

  // Liveness: the process is up and its event loop turns. Nothing else: restarting a process
  // because its database is busy would not help.
  router.get('/livez', (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.json({ status: 'ok' });
  });

  // Readiness: whether to send this process requests. 503 from SIGTERM on, so a load balancer
  // stops sending new ones while those in flight finish.
  router.get('/readyz', async (_req, res) => {
    const readiness = await deps.health.readiness();
    res.setHeader('cache-control', 'no-store');
    res.status(readiness.ready ? 200 : 503).json({
      status: readiness.ready ? 'ready' : 'not_ready',
      database: readiness.database,
      schema: readiness.schema,
      shuttingDown: readiness.shuttingDown,
    });
  });

  router.get('/metrics', (req, res, next) => {
    if (expected !== null) {
      // Both sides hashed: equal lengths, so the comparison takes the same time whatever was sent.
      const presented = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
      if (!timingSafeEqual(digest(presented), expected)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="seatkeeper-metrics"'); // RFC 6750 §3
        sendProblem(res, {
          type: 'about:blank',
          title: 'Not signed in',
          status: 401,
          code: 'unauthenticated',
          detail: 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".',
        });
        return;
      }
    }
    metricsText().then(
      (text) => {
        res.setHeader('cache-control', 'no-store');
        res.type(deps.metrics.registry.contentType).send(text);
      },
      (error: unknown) => {
        deps.logger.warn({ err: error }, 'metrics could not be gathered');
        if (res.headersSent) {
          next(error);
          return;
        }
        sendProblem(res, {
          type: 'about:blank',
          title: 'Metrics unavailable',
          status: 503,
          code: 'metrics_unavailable',
          detail: 'The metrics could not be gathered; try again.',
        });
      },
    );
  });

  return router;
}
