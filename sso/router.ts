// Single sign-on over HTTP: where a sign-in starts, where the identity provider sends the person
// back (SAML ACS, OIDC callback), the SP metadata, and sign-out. The routes only translate: load the
// connection, let the protocol adapter verify the answer (network and CPU, before any write), then
// hand it to one sign-in command (provisioning/sign-in.ts, complete), which takes the server-side
// state, uses up the one-time ids, signs the person in and starts the session in one write. Errors
// become pages in one place (error-page.ts).
//
// State lives on the server, looked up by RelayState / state: the session cookie is SameSite=Lax,
// and a Lax cookie is not sent on the identity provider's cross-site POST to the ACS.
//
// A SAML response is verified (signatures, addressing, times) in a pool of worker threads: that is
// nearly all of a sign-in's CPU, and it needs no state. Everything that changes state stays on this
// thread, in the one transaction.
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Response, type Router } from 'express';
import type { DateTime } from 'luxon';
import type { Clock } from '../domain/clock.js';
import { AuthError, NotFoundError, ValidationError } from '../domain/errors.js';
import { refuseNul } from '../domain/nul.js';
import { chooseLanguage, escapeHtml, t, tHtml, tOr } from '../i18n/index.js';
import type { LanguageService } from '../provisioning/languages.js';
import type { Sessions } from '../provisioning/sessions.js';
import type { CheckedAnswer, SignIn, SignInOutcome } from '../provisioning/sign-in.js';
import { LOGIN_STATE_TTL_MINUTES, type SsoConnection, type SsoService } from '../provisioning/sso.js';
import type { Logger } from '../runtime/logger.js';
import {
  clearSessionCookie,
  cookieValue,
  createSessionCookieReader,
  sessionSecret,
  setSessionCookie,
} from '../http/cookies.js';
import { OIDC_CALLBACK_PATH, SSO_PATH, ssoEndpoints } from './endpoints.js';
import { SsoError } from './errors.js';
import { createSsoErrorHandler, rejectionRecorded, type Speak } from './error-page.js';
import { completeOidcLogin, startOidcLogin, type OidcConnectionConfig, type OidcDeps } from './oidc.js';
import { page, signInAgain } from './pages.js';
import { DEFAULT_RETURN_PATH, returnPath } from './return-path.js';
import {
  acceptSamlResponse,
  inThreadSamlVerifier,
  readSamlResponse,
  startSamlLogin,
  type SamlConnectionConfig,
  type SamlVerifier,
} from './saml.js';
import { serviceProviderMetadata } from './saml-metadata.js';
import {
  createSamlVerifierPool,
  type SamlVerifierPool,
  type SamlVerifierPoolOptions,
} from './saml-verifier-pool.js';

export { SSO_PATH } from './endpoints.js';
/**
 * Binds an OpenID Connect sign-in to the browser that started it: a hash of its `state`, sent only
 * to the callback. Without it, a callback URL an attacker obtained for their own sign-in would sign
 * a victim who opens it in as the attacker (login CSRF; RFC 6749 §10.12, OIDC Core §3.1.2.1). The
 * IdP's redirect back is a top-level GET, so a SameSite=Lax cookie comes along.
 */
export const OIDC_BROWSER_COOKIE = 'seatkeeper_oidc_';

/**
 * The cookie that binds a sign-in to its browser: its value is the state's hash, and its name is
 * made from the hash too, one cookie per sign-in in flight, so sign-ins started in two tabs do not
 * overwrite each other's. The name gives nothing away: the state is in the URL anyway, and what
 * protects is that no other site can set a cookie for this one.
 */
function browserBinding(state: string): { readonly name: string; readonly value: string } {
  const value = createHash('sha256').update(state).digest('base64url');
  return { name: `${OIDC_BROWSER_COOKIE}${value.slice(0, 16)}`, value };
}

/** True when the cookie holds the expected value: compared in constant time. */
function sameValue(cookie: string | undefined, expected: string): boolean {
  if (cookie === undefined) return false;
  const want = Buffer.from(expected);
  const given = Buffer.from(cookie);
  return given.length === want.length && timingSafeEqual(given, want);
}

export interface SsoDeps {
  readonly sso: SsoService;
  /** Console sessions: a sign-in starts one; /me and sign-out read the browser's. */
  readonly sessions: Sessions;
  /** The language of each page (docs/console.md, "Languages"); without it, Accept-Language alone. */
  readonly languages?: Pick<LanguageService, 'forPage'>;
  readonly signIn: SignIn;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly publicBaseUrl: string;
  /**
   * Worker threads that verify SAML responses; default one per core. 0 verifies them on the event
   * loop (one core, and every other request waits while a response is verified).
   */
  readonly samlVerifyThreads?: number;
  /** The verifier pool's limits (queue, time, memory); its defaults otherwise. */
  readonly samlVerifierLimits?: Omit<SamlVerifierPoolOptions, 'size'>;
  /** How requests to OpenID Providers are sent: the outbound guard's fetch (net/outbound.ts). */
  readonly outboundFetch?: OidcDeps['fetch'];
}

export function createSsoRouter(deps: SsoDeps): Router {
  const { sso, signIn, clock, logger } = deps;
  const sessionCookies = createSessionCookieReader(deps.sessions);
  /** A page's language and the organisation's name, from whatever the request tells of the reader. */
  const speak: Speak = async (req, about = {}) => {
    const acceptLanguage = req.get('accept-language');
    return (
      (await deps.languages?.forPage({ ...about, acceptLanguage })) ?? {
        language: chooseLanguage({ acceptLanguage }),
        organisationName: null,
      }
    );
  };
  const base = deps.publicBaseUrl;
  const endpoints = ssoEndpoints(base);
  const oidcDeps: OidcDeps = { clock, ...(deps.outboundFetch ? { fetch: deps.outboundFetch } : {}) };
  // Secure when the public URL is https, or this request came over https (directly, or through a
  // proxy that TRUST_PROXY believes: req.secure).
  const secure = base.startsWith('https:');
  const router = express.Router();
  // U+0000 in a query (an organisation, an address, a state): the same 400 page on either backend.
  router.use((req, _res, next) => {
    refuseNul(req.query, 'query');
    next();
  });
  // Workers start with the first SAML sign-in, stop when idle, and never keep the process alive.
  const samlPool: SamlVerifierPool | undefined =
    deps.samlVerifyThreads === 0
      ? undefined
      : createSamlVerifierPool({
          ...deps.samlVerifierLimits,
          ...(deps.samlVerifyThreads === undefined ? {} : { size: deps.samlVerifyThreads }),
        });
  const samlVerifier: SamlVerifier = samlPool ?? inThreadSamlVerifier;

  /**
   * A SAML connection as the adapter needs it. `keys` adds the SP private keys: the ones that may
   * decrypt (to verify a response) or the one that signs (to start a sign-in); never logged.
   */
  const samlConfig = async (
    c: SsoConnection,
    keys: 'none' | 'decrypt' | 'sign' = 'none',
  ): Promise<SamlConnectionConfig> => {
    const cfg = c.config as Omit<SamlConnectionConfig, 'connectionId' | 'spEntityId' | 'acsUrl'>;
    return {
      ...cfg,
      connectionId: c.id,
      spEntityId: endpoints.samlEntityId(c.publicId),
      acsUrl: endpoints.samlAcsUrl(c.publicId),
      ...(keys === 'decrypt' ? { decryptionKeys: await sso.decryptionKeys(c.id) } : {}),
      ...(keys === 'sign' && cfg.signAuthnRequests ? { signingKey: await sso.signingKey(c.id) } : {}),
    };
  };
  const oidcConfig = async (c: SsoConnection): Promise<OidcConnectionConfig> => {
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
      clientSecret: (await sso.secret(c.id)) ?? '',
      redirectUri: endpoints.oidcRedirectUri,
      scopes: cfg.scopes,
      claimMap: cfg.claimMap,
      // Plain http only to a provider on this machine (development and tests); otherwise https.
      allowInsecureHttp:
        issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname),
    };
  };

  /**
   * The answer to a completed sign-in: on to where it was started for with a fresh session cookie
   * (a new one at every sign-in), or back to the start, or the page of what refused it.
   */
  function answer(res: Response, outcome: SignInOutcome, connection: SsoConnection): void {
    if ('rejected' in outcome) {
      rejectionRecorded(res);
      throw outcome.rejected;
    }
    if ('refused' in outcome) throw outcome.refused;
    if ('restart' in outcome) {
      res.redirect(303, `${SSO_PATH}/start?connection=${connection.publicId}`);
      return;
    }
    const { signed, session, returnTo } = outcome;
    setSessionCookie(res, session, secure);
    logger.info(
      { organisation: signed.organisation.slug, memberId: signed.member.id, outcome: signed.outcome },
      'signed in',
    );
    // For the request's log line (server/operations.ts).
    res.locals.organisationId = signed.organisation.id;
    res.locals.actor = { type: 'member', memberId: signed.member.id };
    res.redirect(303, returnTo);
  }

  /** The return path a login state carries (checked when it was saved), or the signed-in page. */
  const savedReturnPath = (data: Readonly<Record<string, unknown>> | undefined): string =>
    typeof data?.returnTo === 'string' ? data.returnTo : DEFAULT_RETURN_PATH;

  router.get('/start', async (req, res) => {
    const slug = typeof req.query.org === 'string' ? req.query.org : undefined;
    const email = typeof req.query.email === 'string' ? req.query.email : undefined;
    const named = typeof req.query.connection === 'string' ? req.query.connection : undefined;
    // Checked here and kept in the login state: the callback never takes it from the provider.
    const asked = req.query.return_to;
    const returnTo =
      asked === undefined ? undefined : returnPath(typeof asked === 'string' ? asked : '', base);
    const returning = returnTo === undefined ? {} : { returnTo };
    if (!slug && !email && !named) {
      throw new ValidationError(
        'Say which organisation to sign in to: ?org=<slug> or ?email=<your address>.',
      );
    }
    const connection = named
      ? await sso.connection(named)
      : await sso.connectionFor({ ...(slug ? { slug } : {}), ...(email ? { email } : {}) });
    if (connection.protocol === 'saml') {
      // The response follows within seconds: have the verifying workers ready for it.
      samlPool?.warm();
      // The login state and the AuthnRequest id are written together, once the request is built.
      const relayState = sso.newLoginStateKey();
      const issued: { requestId: string; at: DateTime }[] = [];
      // A connection made before SP keys existed gets its key now, if it signs its requests.
      if ((connection.config as { signAuthnRequests?: boolean }).signAuthnRequests)
        await sso.ensureServiceProviderKey(connection.id);
      const { redirectUrl } = await startSamlLogin(await samlConfig(connection, 'sign'), relayState, {
        clock,
        requests: { save: (_connectionId, requestId, at) => void issued.push({ requestId, at }) },
      });
      // The state names the request, so a RelayState only ever completes the sign-in it began.
      const requestId = issued[0]?.requestId ?? null;
      await sso.saveLoginState(
        connection.id,
        { protocol: 'saml', requestId, ...returning },
        relayState,
        issued,
      );
      res.redirect(303, redirectUrl);
    } else {
      const started = await startOidcLogin(await oidcConfig(connection), oidcDeps);
      await sso.saveLoginState(
        connection.id,
        { protocol: 'oidc', nonce: started.nonce, codeVerifier: started.codeVerifier, ...returning },
        started.state,
      );
      const binding = browserBinding(started.state);
      res.cookie(binding.name, binding.value, {
        httpOnly: true,
        sameSite: 'lax',
        secure: secure || req.secure,
        path: OIDC_CALLBACK_PATH,
        maxAge: LOGIN_STATE_TTL_MINUTES * 60_000,
      });
      res.redirect(303, started.redirectUrl);
    }
  });

  router.get('/saml/:connection', async (req, res) => {
    const connection = await sso.connection(req.params.connection);
    if (connection.protocol !== 'saml') throw new NotFoundError('There is no such SAML connection.');
    // Connections made before SP keys existed (or by the command line) get theirs when first asked.
    await sso.ensureServiceProviderKey(connection.id);
    const config = await samlConfig(connection);
    res.type('application/samlmetadata+xml').send(
      serviceProviderMetadata({
        spEntityId: config.spEntityId,
        acsUrl: config.acsUrl,
        nameIdFormat: config.nameIdFormat,
        signAuthnRequests: config.signAuthnRequests === true,
        // The current key, and a next one during a rotation; a previous key only decrypts.
        certificates: (await sso.spKeys(connection.id))
          .filter((k) => k.status !== 'previous')
          .map((k) => k.certificate),
        now: clock.now(),
      }),
    );
  });
  router.get('/saml/:connection/metadata', (req, res) =>
    res.redirect(301, `${SSO_PATH}/saml/${req.params.connection}`),
  );

  // The identity provider's POST: its body is small, and bigger ones are refused before parsing.
  router.post(
    '/saml/:connection/acs',
    express.urlencoded({ extended: false, limit: '512kb' }),
    (req, _res, next) => {
      refuseNul(req.body, 'body');
      next();
    },
    async (req, res) => {
      const connection = await sso.connection(req.params.connection);
      res.locals.connection = connection;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const relayState = typeof body.RelayState === 'string' ? body.RelayState : undefined;
      const config = await samlConfig(connection, 'decrypt');

      // 1. Signatures, addressing and times, off the event loop. Nothing is used up yet: a response
      //    that fails here leaves the sign-in it claims to answer as it was.
      // A verifier that crashed or hung has judged nothing: the person is asked to try again.
      const verified = await samlVerifier
        .verify(config, readSamlResponse(config, body), clock.now())
        .catch((error: unknown) => {
          throw error instanceof SsoError ? error : new SsoError('sso_unavailable', { cause: error });
        });

      // 2. One write: the login state, the request id (InResponseTo), the assertion id, the
      //    account and the session, all or nothing. A rejection commits what it used up.
      const outcome = await signIn.complete({
        connectionId: connection.id,
        loginState: relayState,
        previousSession: sessionSecret(req),
        check: async (ids, saved): Promise<CheckedAnswer> => {
          let identity;
          try {
            identity = await acceptSamlResponse(config, verified, {
              clock,
              requests: { take: (...args) => ids.takeRequest(...args) },
              consumedAssertions: { consume: (...args) => ids.consumeAssertion(...args) },
            });
          } catch (error) {
            if (error instanceof SsoError) return { rejected: error };
            throw error;
          }
          // Unsolicited (IdP-initiated) responses, where the connection allows them, are checked
          // once (replay cache) and then sent through an SP-initiated sign-in, which restores the
          // protection against login CSRF that an unsolicited response lacks: whatever RelayState
          // came with it, since anyone can obtain one from /sso/start.
          if (verified.inResponseTo === null) return { restart: true };
          // A solicited response signs in only with the login state of the very request it answers.
          if (
            saved !== undefined &&
            saved.connectionId === connection.id &&
            saved.data.requestId === verified.inResponseTo
          ) {
            return { identity, returnTo: savedReturnPath(saved.data) };
          }
          // No sign-in of ours is waiting for it. It was checked anyway, so a replay or a forgery is
          // refused for what it is (and audited so); an IdP that dropped the RelayState starts over.
          return saved === undefined && config.idpInitiated
            ? { restart: true }
            : { rejected: new SsoError('login_state_unknown') };
        },
      });
      answer(res, outcome, connection);
    },
  );

  router.get('/oidc/callback', async (req, res) => {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const binding = browserBinding(state);
    const bound = sameValue(cookieValue(req, binding.name), binding.value);
    res.clearCookie(binding.name, {
      httpOnly: true,
      sameSite: 'lax',
      secure: secure || req.secure,
      path: OIDC_CALLBACK_PATH,
    });
    if (!bound) throw new SsoError('oidc_state_mismatch');
    // 1. The code exchange needs the state's nonce and PKCE verifier, and goes over the network, so
    //    it runs before any write, on the state as read; a failed exchange uses the state up.
    const pending = await sso.loginState(state);
    if (!pending || pending.data.protocol !== 'oidc') throw new SsoError('oidc_state_mismatch');
    const connection = await sso.connectionById(pending.connectionId);
    res.locals.connection = connection;
    const identity = await completeOidcLogin(
      await oidcConfig(connection),
      new URL(req.originalUrl, base),
      { state, nonce: String(pending.data.nonce), codeVerifier: String(pending.data.codeVerifier) },
      oidcDeps,
    ).catch(async (error: unknown) => {
      await sso.takeLoginState(state);
      throw error;
    });
    // 2. One write takes the state, signs in and starts the session. A second callback with the same
    //    state that got this far (two tabs, a replay racing the first) finds it taken and is refused.
    const outcome = await signIn.complete({
      connectionId: connection.id,
      loginState: state,
      previousSession: sessionSecret(req),
      check: (_ids, saved) =>
        Promise.resolve(
          saved !== undefined && saved.connectionId === connection.id && saved.data.protocol === 'oidc'
            ? { identity, returnTo: savedReturnPath(saved.data) }
            : { rejected: new SsoError('oidc_state_mismatch') },
        ),
    });
    answer(res, outcome, connection);
  });

  /** The signed-in person, as a page (the console takes this over). */
  router.get('/me', async (req, res) => {
    // The session reader answers for a cookie that signs nobody in (401, as the API does).
    const who = await sessionCookies.read(req);
    if (!who) throw new AuthError('Sign in through your organisation.');
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
    const { language: lang } = await speak(req, { organisationId: organisation.id, memberId: member.id });
    const strong = (inside: string) => `<strong>${inside}</strong>`;
    page(
      res,
      200,
      t(lang, 'sso.page.signedInTo', { organisation: organisation.name }),
      `<p>${tHtml(lang, 'sso.page.signedInAs', { email: member.email, role: t(lang, `role.${member.role}`) }, { strong })}</p>` +
        `<p>${tHtml(
          lang,
          'sso.page.yourSeat',
          {
            tier: member.tierId
              ? tOr(lang, `tier.${member.tierId}`, member.tierId)
              : t(lang, 'sso.page.noSeat'),
          },
          { seat: (inside) => `<strong data-testid="tier">${inside}</strong>` },
        )}</p>` +
        `<p><a href="/console" data-testid="open-console">${escapeHtml(t(lang, 'sso.page.openConsole'))}</a></p>` +
        `<form method="post" action="${SSO_PATH}/sign-out"><button type="submit">${escapeHtml(t(lang, 'sso.page.signOut'))}</button></form>`,
      lang,
    );
  });

  router.post('/sign-out', async (req, res) => {
    const secret = sessionSecret(req);
    if (secret) await deps.sessions.end(secret);
    clearSessionCookie(res, secure);
    const { language: lang } = await speak(req);
    page(
      res,
      200,
      t(lang, 'sso.page.signedOut'),
      `<p>${escapeHtml(t(lang, 'sso.page.youAreSignedOut'))}</p>${signInAgain(lang)}`,
      lang,
    );
  });

  // Every failure becomes a page in one place: a clear message, the right status, an audit event.
  router.use(
    createSsoErrorHandler({
      speak,
      logger,
      recordRejection: (connection, code) => sso.recordRejection(connection, code),
    }),
  );

  return router;
}
