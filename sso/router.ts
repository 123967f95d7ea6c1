// Single sign-on over HTTP: where a sign-in starts, where the identity provider sends the person
// back (SAML ACS, OIDC callback), the SP metadata, and sign-out. Each route is a short list of
// named steps: load the connection, take the server-side state, validate with the protocol
// adapter, hand the identity to the sign-in engine, start a session.
//
// State lives on the server, looked up by RelayState / state: the session cookie is SameSite=Lax,
// and a Lax cookie is not sent on the identity provider's cross-site POST to the ACS.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Clock } from '../domain/clock.js';
import { DomainError, NotFoundError, SignInRefusedError, ValidationError } from '../domain/errors.js';
import type { SignIn } from '../provisioning/sign-in.js';
import type { SsoConnection, SsoService } from '../provisioning/sso.js';
import type { Logger } from '../server/logger.js';
import { SsoError } from './errors.js';
import { completeOidcLogin, startOidcLogin, type OidcConnectionConfig } from './oidc.js';
import {
  samlServiceProviderMetadata,
  startSamlLogin,
  validateSamlResponse,
  type SamlConnectionConfig,
} from './saml.js';

export const SSO_PATH = '/sso';
export const SESSION_COOKIE = 'seatkeeper_session';

export interface SsoDeps {
  readonly sso: SsoService;
  readonly signIn: SignIn;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly publicBaseUrl: string;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
        '<meta name="viewport" content="width=device-width, initial-scale=1">' +
        '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d1d1f}' +
        'h1{font-size:1.4rem}code{background:#f2f2f2;padding:.1rem .3rem;border-radius:.2rem}</style></head>' +
        `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
    );
}

function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export function createSsoRouter(deps: SsoDeps): Router {
  const { sso, signIn, clock, logger } = deps;
  const base = deps.publicBaseUrl;
  const secure = base.startsWith('https:');
  const router = express.Router();

  const samlConfig = (c: SsoConnection): SamlConnectionConfig => {
    const cfg = c.config as Omit<SamlConnectionConfig, 'connectionId' | 'spEntityId' | 'acsUrl'>;
    return {
      ...cfg,
      connectionId: c.id,
      spEntityId: `${base}${SSO_PATH}/saml/${c.publicId}`,
      acsUrl: `${base}${SSO_PATH}/saml/${c.publicId}/acs`,
    };
  };
  const oidcConfig = (c: SsoConnection): OidcConnectionConfig => {
    const cfg = c.config as {
      issuer: string;
      clientId: string;
      scopes: string[];
      claimMap: OidcConnectionConfig['claimMap'];
    };
    const issuer = new URL(cfg.issuer);
    return {
      connectionId: c.id,
      issuer: cfg.issuer,
      clientId: cfg.clientId,
      clientSecret: sso.secret(c.id) ?? '',
      // One callback for every connection (one URL to register): the state names the connection.
      redirectUri: `${base}${SSO_PATH}/oidc/callback`,
      scopes: cfg.scopes,
      claimMap: cfg.claimMap,
      // Plain http only to a provider on this machine (development and tests); otherwise https.
      allowInsecureHttp:
        issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname),
    };
  };

  /** Signs the identity in and starts a fresh session (a new cookie at every sign-in). */
  async function finish(
    req: Request,
    res: Response,
    identity: Parameters<SignIn['signIn']>[0],
  ): Promise<void> {
    const signed = signIn.signIn(identity);
    const previous = cookieValue(req, SESSION_COOKIE);
    if (previous) sso.endSession(previous);
    const session = sso.startSession(signed.organisation.id, signed.member.id);
    res.cookie(SESSION_COOKIE, session.secret, {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      expires: session.expiresAt.toJSDate(),
    });
    logger.info(
      { organisation: signed.organisation.slug, memberId: signed.member.id, outcome: signed.outcome },
      'signed in',
    );
    res.redirect(303, `${SSO_PATH}/me`);
    await Promise.resolve();
  }

  router.get('/start', async (req, res) => {
    const slug = typeof req.query.org === 'string' ? req.query.org : undefined;
    const email = typeof req.query.email === 'string' ? req.query.email : undefined;
    const named = typeof req.query.connection === 'string' ? req.query.connection : undefined;
    if (!slug && !email && !named) {
      throw new ValidationError(
        'Say which organisation to sign in to: ?org=<slug> or ?email=<your address>.',
      );
    }
    const connection = named
      ? sso.connection(named)
      : sso.connectionFor({ ...(slug ? { slug } : {}), ...(email ? { email } : {}) });
    if (connection.protocol === 'saml') {
      const relayState = sso.saveLoginState(connection.id, { protocol: 'saml' });
      const { redirectUrl } = await startSamlLogin(samlConfig(connection), relayState, {
        clock,
        requests: sso.samlRequests,
      });
      res.redirect(303, redirectUrl);
    } else {
      const started = await startOidcLogin(oidcConfig(connection), { clock });
      sso.saveLoginState(
        connection.id,
        { protocol: 'oidc', nonce: started.nonce, codeVerifier: started.codeVerifier },
        started.state,
      );
      res.redirect(303, started.redirectUrl);
    }
  });

  router.get('/saml/:connection', (req, res) => {
    const connection = sso.connection(req.params.connection);
    if (connection.protocol !== 'saml') throw new NotFoundError('There is no such SAML connection.');
    res.type('application/samlmetadata+xml').send(samlServiceProviderMetadata(samlConfig(connection)));
  });
  router.get('/saml/:connection/metadata', (req, res) =>
    res.redirect(301, `${SSO_PATH}/saml/${req.params.connection}`),
  );

  // The identity provider's POST: its body is small, and bigger ones are refused before parsing.
  router.post(
    '/saml/:connection/acs',
    express.urlencoded({ extended: false, limit: '512kb' }),
    async (req, res) => {
      const connection = sso.connection(req.params.connection);
      res.locals.connection = connection;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const relayState = typeof body.RelayState === 'string' ? body.RelayState : undefined;
      const saved = relayState === undefined ? undefined : sso.takeLoginState(relayState);
      const samlDeps = { clock, requests: sso.samlRequests, consumedAssertions: sso.consumedAssertions };
      const posted = {
        ...(typeof body.SAMLResponse === 'string' ? { SAMLResponse: body.SAMLResponse } : {}),
        ...(relayState !== undefined ? { RelayState: relayState } : {}),
      };
      if (saved === undefined || saved.connectionId !== connection.id) {
        // No sign-in of ours is waiting for this response. Validate it anyway, so a replay or a
        // forgery is refused for what it is (and audited so); even a valid one does not sign in:
        // unsolicited (IdP-initiated) responses, where the connection allows them, are checked once
        // (replay cache) and then sent through an SP-initiated sign-in, which restores the
        // protection against login CSRF that an unsolicited response lacks.
        await validateSamlResponse(samlConfig(connection), posted, samlDeps);
        if (!(connection.config as { idpInitiated?: boolean }).idpInitiated)
          throw new SsoError('login_state_unknown');
        res.redirect(303, `${SSO_PATH}/start?connection=${connection.publicId}`);
        return;
      }
      const identity = await validateSamlResponse(samlConfig(connection), posted, samlDeps);
      await finish(req, res, identity);
    },
  );

  router.get('/oidc/callback', async (req, res) => {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const saved = sso.takeLoginState(state);
    if (!saved || saved.data.protocol !== 'oidc') throw new SsoError('oidc_state_mismatch');
    const connection = sso.connectionById(saved.connectionId);
    res.locals.connection = connection;
    const identity = await completeOidcLogin(
      oidcConfig(connection),
      new URL(req.originalUrl, base),
      { state, nonce: String(saved.data.nonce), codeVerifier: String(saved.data.codeVerifier) },
      { clock },
    );
    await finish(req, res, identity);
  });

  /** The signed-in person, as a page (the console takes this over). */
  router.get('/me', (req, res) => {
    const secret = cookieValue(req, SESSION_COOKIE);
    const who = secret ? sso.whoIs(secret) : undefined;
    if (!who) {
      page(res, 401, 'Not signed in', '<p>Sign in through your organisation to continue.</p>');
      return;
    }
    const { member, organisation } = who;
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({
        email: member.email,
        role: member.role,
        seatState: member.seatState,
        tier: member.tierId,
        organisation: organisation.slug,
      });
      return;
    }
    page(
      res,
      200,
      `Signed in to ${organisation.name}`,
      `<p>You are signed in as <strong>${escapeHtml(member.email)}</strong> (${escapeHtml(member.role.replace('_', ' '))}).</p>` +
        `<p>Your seat: <strong data-testid="tier">${escapeHtml(member.tierId ?? 'none')}</strong>.</p>` +
        `<form method="post" action="${SSO_PATH}/sign-out"><button type="submit">Sign out</button></form>`,
    );
  });

  router.post('/sign-out', (req, res) => {
    const secret = cookieValue(req, SESSION_COOKIE);
    if (secret) sso.endSession(secret);
    res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
    page(res, 200, 'Signed out', '<p>You are signed out.</p>');
  });

  // The one place sign-in failures become pages: a clear message, the right status, an audit event.
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const connection = res.locals.connection as SsoConnection | undefined;
    if (error instanceof SignInRefusedError) {
      // Audited by the sign-in engine.
      page(
        res,
        403,
        'You cannot sign in',
        `<p>${escapeHtml(error.message)}</p><p>Reference: <code>${error.code}</code></p>`,
      );
      return;
    }
    if (error instanceof SsoError) {
      if (connection) sso.recordRejection(connection, error.code);
      logger.warn(
        {
          code: error.code,
          connection: connection?.publicId,
          cause: (error.cause as Error | undefined)?.message,
        },
        'sign-in rejected',
      );
      page(
        res,
        error.status,
        'Sign-in failed',
        `<p>${escapeHtml(error.message)}</p><p>Reference: <code>${error.code}</code></p>`,
      );
      return;
    }
    if (error instanceof DomainError) {
      const status = error instanceof NotFoundError ? 404 : error instanceof ValidationError ? 400 : 409;
      page(res, status, 'Sign-in not possible', `<p>${escapeHtml(error.message)}</p>`);
      return;
    }
    const status =
      typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : 500;
    if (status === 413 || status === 400) {
      if (connection)
        sso.recordRejection(connection, status === 413 ? 'saml_too_large' : 'malformed_request');
      page(res, status, 'Sign-in failed', '<p>The identity provider’s answer could not be read.</p>');
      return;
    }
    logger.error({ err: error, path: req.path }, 'SSO request failed');
    page(
      res,
      500,
      'Something went wrong',
      '<p>Please try again. If it keeps happening, tell your administrator.</p>',
    );
  });

  return router;
}
