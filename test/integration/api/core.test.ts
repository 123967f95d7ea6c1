// The admin API's shared rules: who may call, forgery protection, strict input, problem bodies, the
// OpenAPI document, and API tokens from creation to revocation.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import request from 'supertest';
import { SESSION_COOKIE } from '../../../api/auth.js';
import { API_PATH } from '../../../api/router.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { inspect } from '../../helpers/inspect.js';

describe('admin API: authentication and forgery protection', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When nobody is signed in, then every route answers 401 with a problem body', async () => {
    const res = await request(w.app).get(`${API_PATH}/session`);
    assert.equal(res.status, 401);
    assert.equal(problem(res).code, 'unauthenticated');
  });

  test('When a member is signed in, then GET /session names them and gives a CSRF token', async () => {
    const res = await w.as.admin.get('/session');
    assert.equal(res.status, 200);
    assert.equal(res.body.member.email, 'admin@acme.example');
    assert.equal(res.body.role, 'admin');
    assert.equal(res.body.organisation.slug, 'acme');
    assert.match(res.body.csrfToken, /^[\w-]{43}$/);
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('When a session cookie is forged, then 401 and nothing is revealed', async () => {
    const res = await request(w.app)
      .get(`${API_PATH}/session`)
      .set('cookie', `${SESSION_COOKIE}=not-a-session`);
    assert.equal(res.status, 401);
    assert.equal(problem(res).code, 'session_expired');
  });

  test('When a cookie-authenticated POST lacks the CSRF token, then 403 and nothing is created', async () => {
    const { secret } = await w.c.sessions.start(w.organisationId, w.as.owner.memberId);
    const res = await request(w.app)
      .post(`${API_PATH}/api-tokens`)
      .set('cookie', `${SESSION_COOKIE}=${secret}`)
      .send({ name: 'forged', role: 'admin' });
    assert.equal(res.status, 403);
    assert.equal(problem(res).code, 'csrf_token_invalid');
    assert.equal((await w.as.owner.get('/api-tokens')).body.tokens.length, 0);
  });

  test('When another site posts with the right token but its own Origin, then 403', async () => {
    const res = await w.as.owner
      .post('/api-tokens', { name: 'x', role: 'admin' })
      .set('origin', 'https://evil.example');
    assert.equal(res.status, 403);
    assert.equal(problem(res).code, 'cross_site_request');
  });

  test('When the member signs out, then the session stops working', async () => {
    const session = await w.signedIn(w.as.user.memberId);
    assert.equal((await session.delete('/session')).status, 204);
    assert.equal((await session.get('/session')).status, 401);
  });

  test('When a member loses their seat, then their session stops working at once, for good', async () => {
    const session = await w.signedIn(w.as.user.memberId);
    await w.c.seats.unassign(w.organisationId, w.as.user.memberId, { type: 'operator' });
    assert.equal((await session.get('/session')).status, 401);
    await w.c.seats.claim(w.organisationId, w.as.user.memberId, { highest: true }, { type: 'operator' });
    assert.equal((await session.get('/session')).status, 401, 'seated again, the old session stays ended');
    assert.equal(
      (await (await w.signedIn(w.as.user.memberId)).get('/session')).status,
      200,
      'a new one works',
    );
  });
});

describe('admin API: input is strict and errors are problems', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When a body has an unknown field, then 400 points at that field and nothing is written', async () => {
    const res = await w.as.owner.post('/api-tokens', { name: 'ci', role: 'admin', admin: true });
    assert.equal(res.status, 400);
    const body = problem(res);
    assert.deepEqual(body.errors, [{ in: 'body', pointer: '/admin', detail: 'Unknown field.' }]);
    assert.equal((await w.as.owner.get('/api-tokens')).body.tokens.length, 0);
  });

  test('When a field has the wrong type, then 400 points at it', async () => {
    const res = await w.as.owner.post('/api-tokens', { name: 7, role: 'superuser' });
    assert.equal(res.status, 400);
    const pointers = (problem(res).errors as { pointer: string }[]).map((e) => e.pointer).sort();
    assert.deepEqual(pointers, ['/name', '/role']);
  });

  test('When the body is not JSON, then 415; when it is malformed JSON, then 400', async () => {
    const notJson = await w.as.owner.post('/api-tokens').set('content-type', 'text/plain').send('name=x');
    assert.equal(notJson.status, 415);
    assert.equal(problem(notJson).code, 'unsupported_media_type');
    const malformed = await w.as.owner
      .post('/api-tokens')
      .set('content-type', 'application/json')
      .send('{"name":');
    assert.equal(malformed.status, 400);
    assert.equal(problem(malformed).code, 'malformed_request');
  });

  test('When the body is larger than 64 KiB, then 413 and nothing is written', async () => {
    const res = await w.as.owner.post('/api-tokens', { name: 'x'.repeat(70_000), role: 'admin' });
    assert.equal(res.status, 413);
    assert.equal(problem(res).code, 'body_too_large');
    assert.equal((await w.as.owner.get('/api-tokens')).body.tokens.length, 0);
  });

  test('When a path id is not a number, then 400 names the path parameter', async () => {
    const res = await w.as.owner.delete('/api-tokens/abc');
    assert.equal(res.status, 400);
    assert.deepEqual((problem(res).errors as { in: string; pointer: string }[])[0], {
      in: 'path',
      pointer: '/tokenId',
      detail: (problem(res).errors as { detail: string }[])[0]!.detail,
    });
  });

  test('When an unknown API route is asked for, then 404 problem', async () => {
    const res = await w.as.owner.get('/no-such-thing');
    assert.equal(res.status, 404);
    assert.equal(problem(res).code, 'not_found');
  });
});

describe('admin API: tokens', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an owner creates a token, then it is shown once, listed without its secret, and works until revoked', async () => {
    const made = await w.as.owner.post('/api-tokens', { name: 'provisioning script', role: 'admin' });
    assert.equal(made.status, 201);
    assert.match(made.body.token, /^skapi_[\w-]{43}$/);
    assert.equal(made.headers.location, `/api/v1/api-tokens/${made.body.id}`);

    const listed = await w.as.owner.get('/api-tokens');
    assert.equal(listed.body.tokens.length, 1);
    assert.equal(listed.body.tokens[0].tokenHash, undefined);
    assert.ok(!JSON.stringify(listed.body).includes(made.body.token));

    const script = w.withToken(made.body.token);
    const who = await script.get('/session');
    assert.equal(who.status, 200);
    assert.equal(who.body.via, 'token');
    assert.equal(who.body.role, 'admin');
    assert.equal(who.body.csrfToken, null);

    assert.equal((await w.as.owner.delete(`/api-tokens/${made.body.id}`)).status, 204);
    assert.equal((await script.get('/session')).status, 401);
    assert.equal((await w.as.owner.delete(`/api-tokens/${made.body.id}`)).status, 404);

    const audit = (await inspect(w.c.store).audit(w.organisationId)).map((e) => e.action);
    assert.ok(audit.includes('api_token.created') && audit.includes('api_token.revoked'));
  });

  test('When a token acts, then the audit log names the token as the actor', async () => {
    const admin = (await w.as.owner.post('/api-tokens', { name: 'owner script', role: 'owner' })).body;
    const script = w.withToken(admin.token);
    const made = await script.post('/api-tokens', { name: 'child', role: 'user' });
    assert.equal(made.status, 201);
    const entry = (await inspect(w.c.store).audit(w.organisationId)).find(
      (e) => e.action === 'api_token.created' && (e.after as { name: string }).name === 'child',
    );
    assert.equal(entry?.actorType, 'api_token');
    assert.equal(entry?.actorId, String(admin.id));
  });

  test('When an admin asks for tokens, then 403 names the role needed; a user-role token is refused too', async () => {
    const res = await w.as.admin.get('/api-tokens');
    assert.equal(res.status, 403);
    assert.equal(problem(res).requiredRole, 'owner');
    const userToken = (await w.as.owner.post('/api-tokens', { name: 'reader', role: 'user' })).body.token;
    const refused = await w.withToken(userToken).get('/api-tokens');
    assert.equal(refused.status, 403);
    assert.equal(problem(refused).requiredRole, 'owner');
  });

  test('When a bearer header is malformed or unknown, then 401', async () => {
    assert.equal((await w.withToken('skapi_nope').get('/session')).status, 401);
    const res = await request(w.app).get(`${API_PATH}/session`).set('authorization', 'Basic abc');
    assert.equal(res.status, 401);
  });
});

describe('admin API: OpenAPI document', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When the document is fetched, then every route is in it with its role, schemas and statuses', async () => {
    const res = await request(w.app).get(`${API_PATH}/openapi.json`);
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    interface Operation {
      'x-required-role': string;
      requestBody: {
        content: { 'application/json': { schema: { required: string[]; additionalProperties: boolean } } };
      };
      responses: Record<string, unknown>;
      parameters: { name: string; in: string }[];
    }
    const paths = res.body.paths as Record<string, Record<string, Operation>>;
    const create = paths['/api-tokens']!.post!;
    assert.equal(create['x-required-role'], 'owner');
    const schema = create.requestBody.content['application/json'].schema;
    assert.deepEqual([...schema.required].sort(), ['name', 'role']);
    assert.equal(schema.additionalProperties, false);
    assert.ok(create.responses['201'] && create.responses['403'] && create.responses['400']);
    const revoke = paths['/api-tokens/{tokenId}']!.delete!;
    assert.deepEqual(
      revoke.parameters.map((p) => `${p.in}:${p.name}`),
      ['path:tokenId'],
    );
  });
});
