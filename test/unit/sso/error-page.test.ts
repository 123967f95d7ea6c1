// The one mapper of single sign-on errors: every error a page with the status its kind calls for,
// and a rejected answer audited once.
import { describe, test } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import assert from '../../helpers/assert.js';
import {
  AuthError,
  ConflictError,
  NotFoundError,
  SignInRefusedError,
  ValidationError,
} from '../../../domain/errors.js';
import type { SsoConnection } from '../../../provisioning/sso.js';
import { createLogger } from '../../../runtime/logger.js';
import { createSsoErrorHandler, rejectionRecorded, ssoErrorStatus } from '../../../sso/error-page.js';
import { SSO_ERRORS, SsoError, type SsoErrorCode } from '../../../sso/errors.js';

const connection = { id: 7, publicId: 'c7', organisationId: 3 } as SsoConnection;

/** An app whose one route fails with `error`, behind the SSO error handler; the rejections it audits. */
function failingWith(error: unknown, options: { recorded?: boolean } = {}) {
  const rejections: string[] = [];
  const app = express();
  app.get('/', (_req, res) => {
    res.locals.connection = connection;
    if (options.recorded) rejectionRecorded(res);
    throw error;
  });
  app.use(
    createSsoErrorHandler({
      speak: async () => ({ language: 'en', organisationName: null }),
      logger: createLogger('silent'),
      recordRejection: async (c, code) => void rejections.push(`${c.id}:${code}`),
    }),
  );
  return { app, rejections };
}

describe('the SSO error mapper', () => {
  test('When an SSO rule breaks, then its status says what kind: unreadable 400, unproven 401, too large 413, provider 502, busy 503', () => {
    const expected: Partial<Record<SsoErrorCode, number>> = {
      saml_malformed: 400,
      login_state_unknown: 400,
      saml_signature_invalid: 401,
      saml_replayed: 401,
      oidc_state_mismatch: 401,
      saml_too_large: 413,
      oidc_provider_error: 502,
      oidc_provider_refused: 502,
      sso_busy: 503,
      sso_unavailable: 503,
    };
    for (const [code, status] of Object.entries(expected))
      assert.equal(ssoErrorStatus(new SsoError(code as SsoErrorCode)), status, code);
    for (const code of Object.keys(SSO_ERRORS) as SsoErrorCode[])
      assert.ok([400, 401, 413, 502, 503].includes(ssoErrorStatus(new SsoError(code))), code);
  });

  test('When the error is of the domain or of the request, then refused 403, not signed in 401, unknown 404, invalid 400, else 409; a body the parser refused keeps its 400 or 413; anything else 500', () => {
    assert.equal(ssoErrorStatus(new SignInRefusedError('no_seats', 'No seats.')), 403);
    assert.equal(ssoErrorStatus(new AuthError('Sign in.')), 401);
    assert.equal(ssoErrorStatus(new NotFoundError('No such connection.')), 404);
    assert.equal(ssoErrorStatus(new ValidationError('Say which organisation.')), 400);
    assert.equal(ssoErrorStatus(new ConflictError('Busy.')), 409);
    assert.equal(ssoErrorStatus(Object.assign(new Error('too large'), { status: 413 })), 413);
    assert.equal(ssoErrorStatus(Object.assign(new Error('bad body'), { status: 400 })), 400);
    assert.equal(ssoErrorStatus(new Error('bug')), 500);
  });

  test('When an answer is rejected, then the page has the status, the message and the code, and the rejection is audited once', async () => {
    const { app, rejections } = failingWith(new SsoError('saml_signature_invalid'));
    const res = await request(app).get('/');
    assert.equal(res.status, 401);
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assert.match(res.text, /not signed by your identity provider/);
    assert.match(res.text, /<code>saml_signature_invalid<\/code>/);
    assert.match(res.text, /href="\/console\/sign-in"/);
    assert.deepEqual(rejections, ['7:saml_signature_invalid']);

    const already = failingWith(new SsoError('saml_replayed'), { recorded: true });
    assert.equal((await request(already.app).get('/')).status, 401);
    assert.deepEqual(already.rejections, [], 'the sign-in command recorded it');
  });

  test('When sign-in is too busy, then 503 with Retry-After and nothing audited', async () => {
    const { app, rejections } = failingWith(new SsoError('sso_busy'));
    const res = await request(app).get('/');
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '1');
    assert.deepEqual(rejections, []);
  });

  test('When a sign-in is refused for want of a seat, then 403 with a way to ask for one', async () => {
    const refused = new SignInRefusedError('no_seats', 'Your organisation has no available seats.', {
      organisation: 'acme',
      seatRequestTicket: 'tk_1',
    });
    const res = await request(failingWith(refused).app).get('/');
    assert.equal(res.status, 403);
    assert.match(res.text, /no available seats/);
    assert.match(res.text, /href="\/console\/ask-for-seat#token=tk_1"/);
    assert.match(res.text, /href="\/console\/sign-in\?org=acme"/);
  });

  test('When the failure is ours, then 500 says only to try again', async () => {
    const res = await request(failingWith(new Error('secret detail')).app).get('/');
    assert.equal(res.status, 500);
    assert.doesNotMatch(res.text, /secret detail/);
  });
});
