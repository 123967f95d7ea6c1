// The HTTP application: mounts every route over the services it is given. It never listens and
// never reads the environment, so tests run the real app on an ephemeral port.
import express, { type Express } from 'express';
import { createAuthenticator, type Authenticator } from '../api/auth.js';
import { createSessionCookieReader } from '../http/cookies.js';
import { API_PATH, createApiRouter } from '../api/router.js';
import { allRoutes, type RouteDeps } from '../api/routes.js';
import { CONSOLE_PATH, createConsoleRouter } from '../console/server.js';
import { createScimRouter, SCIM_PATH } from '../scim/router.js';
import { createSsoRouter, SSO_PATH } from '../sso/router.js';
import type { Config } from './config.js';
import type { Container } from './container.js';
import { createOperationsRouter, noteCaller, observeRequests } from './operations.js';
import { notFoundHandler, problemHandler } from '../http/problem.js';

export type AppDeps = Container & {
  readonly config: Pick<Config, 'publicBaseUrl' | 'scimRateLimit'> &
    Partial<Pick<Config, 'trustProxy' | 'scimOrganisationRateLimit'>> & {
      readonly metrics?: Pick<Config['metrics'], 'token'>;
    };
  /** What /metrics serves; default this process's registry (a cluster worker asks the primary). */
  readonly metricsText?: () => Promise<string>;
};

export function createApp(deps: AppDeps): Express {
  const { store, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Entity tags are resource versions (RFC 7644 §3.14), set by the routes that have them; express's
  // automatic body-hash ETag would label lists and errors too, and answer 304 on its own.
  app.set('etag', false);

  // Behind TLS-terminating proxies, which X-Forwarded-For/-Proto to believe: req.ip and req.secure
  // (and so Secure cookies) follow them only for the configured proxies. Off by default.
  app.set('trust proxy', deps.config.trustProxy ?? false);

  // A request id on every log line and response; each request counted and logged when answered.
  app.use(
    observeRequests({
      logger,
      metrics: deps.metrics,
      mounts: [SCIM_PATH, SSO_PATH, API_PATH, CONSOLE_PATH],
      scimPath: SCIM_PATH,
    }),
  );

  app.use(
    createOperationsRouter({
      health: deps.health,
      metrics: deps.metrics,
      metricsToken: deps.config.metrics?.token ?? null,
      logger,
      ...(deps.metricsText ? { metricsText: deps.metricsText } : {}),
    }),
  );

  /** Liveness and database reachability in one cheap query. */
  app.get('/healthz', async (_req, res) => {
    const ok = await store.ping();
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
      ...(deps.config.scimOrganisationRateLimit
        ? { organisationRateLimit: deps.config.scimOrganisationRateLimit }
        : {}),
    }),
  );

  app.use(
    SSO_PATH,
    createSsoRouter({
      sso: deps.sso,
      sessions: deps.sessions,
      signIn: deps.signIn,
      clock: deps.clock,
      languages: deps.languages,
      logger,
      publicBaseUrl: deps.config.publicBaseUrl,
      outboundFetch: deps.outbound.fetch,
    }),
  );

  app.use(
    API_PATH,
    createApiRouter({
      routes: allRoutes(routeDeps(deps)),
      authenticator: recordingCaller(
        createAuthenticator({
          sessionCookies: createSessionCookieReader(deps.sessions),
          apiTokens: deps.apiTokens,
          publicOrigin: new URL(deps.config.publicBaseUrl).origin,
        }),
      ),
      logger,
      afterChange: () => deps.mail.nudge(),
    }),
  );

  app.use(CONSOLE_PATH, createConsoleRouter());
  // The server's root is for people: on to the console (which sends the signed-out to its sign-in).
  app.get('/', (_req, res) => res.redirect(302, CONSOLE_PATH));

  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  return app;
}

/** The admin API's authenticator, also noting the caller for the request's log line. */
function recordingCaller(authenticator: Authenticator): Authenticator {
  return {
    async authenticate(req) {
      const caller = await authenticator.authenticate(req);
      if (req.res) noteCaller(req.res, caller.organisationId, caller.actor);
      return caller;
    },
  };
}

/** The services the admin API's routes use, each built once by the container. */
function routeDeps(deps: AppDeps): RouteDeps {
  const publicBaseUrl = deps.config.publicBaseUrl;
  const { invitations, seatRequests, memberCsv, consoleSignIn, ownership } = deps.linking(publicBaseUrl);
  return {
    publicBaseUrl,
    store: deps.store,
    clock: deps.clock,
    sso: deps.sso,
    sessions: deps.sessions,
    apiTokens: deps.apiTokens,
    scimTokens: deps.scimTokens,
    memberAdmin: deps.memberAdmin,
    languages: deps.languages,
    billing: deps.billing,
    directory: deps.directory,
    notices: deps.notices,
    usageHistory: deps.usageHistory,
    auditLog: deps.auditLog,
    webhooks: deps.webhooks,
    outbound: deps.outbound,
    invitations,
    seatRequests,
    memberCsv,
    consoleSignIn,
    ownership,
  };
}
