// The HTTP application: mounts every route over the services it is given. It never listens and
// never reads the environment, so tests run the real app on an ephemeral port.
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { createAuthenticator } from '../api/auth.js';
import { API_PATH, createApiRouter } from '../api/router.js';
import { allRoutes } from '../api/routes.js';
import { createScimRouter, SCIM_PATH } from '../scim/router.js';
import { createSsoRouter, SSO_PATH } from '../sso/router.js';
import type { Config } from './config.js';
import type { Container } from './container.js';
import { notFoundHandler, problemHandler } from './problem.js';

export type AppDeps = Container & {
  readonly config: Pick<Config, 'publicBaseUrl' | 'scimRateLimit'>;
};

export function createApp(deps: AppDeps): Express {
  const { store, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Entity tags are resource versions (RFC 7644 §3.14), set by the routes that have them; express's
  // automatic body-hash ETag would label lists and errors too, and answer 304 on its own.
  app.set('etag', false);

  // A request id on every log line and response, taken from the caller when it sent a sane one.
  app.use((req, res, next) => {
    const given = req.get('x-request-id');
    const requestId = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  });

  /** Liveness and database reachability in one cheap query. */
  app.get('/healthz', (_req, res) => {
    let ok: boolean;
    try {
      ok = store.ping();
    } catch {
      ok = false;
    }
    res
      .status(ok ? 200 : 503)
      .json({ status: ok ? 'ok' : 'unavailable', database: ok ? 'ok' : 'unreachable' });
  });

  app.use(
    SCIM_PATH,
    createScimRouter({
      directory: deps.directory,
      tokens: deps.scimTokens,
      logger,
      publicBaseUrl: deps.config.publicBaseUrl,
      rateLimit: deps.config.scimRateLimit,
    }),
  );

  app.use(
    SSO_PATH,
    createSsoRouter({
      sso: deps.sso,
      signIn: deps.signIn,
      clock: deps.clock,
      logger,
      publicBaseUrl: deps.config.publicBaseUrl,
    }),
  );

  app.use(
    API_PATH,
    createApiRouter({
      routes: allRoutes({ ...deps, publicBaseUrl: deps.config.publicBaseUrl }),
      authenticator: createAuthenticator({
        sso: deps.sso,
        apiTokens: deps.apiTokens,
        publicOrigin: new URL(deps.config.publicBaseUrl).origin,
      }),
      logger,
    }),
  );

  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  return app;
}
