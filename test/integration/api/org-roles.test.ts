// Who may call the organisation routes (billing, usage, identity and access, webhooks, audit): every role in
// a console session and an API token of each role, against every route. A refusal is 403 naming
// the role needed and writes nothing; an allowed call is never refused for its role.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import request from 'supertest';
import { API_PATH } from '../../../api/router.js';
import { hasRole, type Role } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld, type Caller } from '../../helpers/api.js';
import { storedState } from '../../helpers/org-state.js';

type Verb = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Call {
  readonly method: Verb;
  readonly path: string;
  /** The path as declared, for the OpenAPI document. */
  readonly declared?: string;
  readonly role: 'owner' | 'admin';
  readonly body?: unknown;
}

const CALLS: readonly Call[] = [
  { method: 'get', path: '/billing', role: 'owner' },
  { method: 'post', path: '/billing/quotes', role: 'owner', body: { add: { standard: 1 } } },
  {
    method: 'post',
    path: '/billing/quotes/q_none/confirm',
    declared: '/billing/quotes/{quoteId}/confirm',
    role: 'owner',
  },
  { method: 'get', path: '/billing/renewal-preview', role: 'owner' },
  { method: 'get', path: '/invoices', role: 'owner' },
  { method: 'get', path: '/invoices/ACME-0001', declared: '/invoices/{number}', role: 'owner' },
  { method: 'get', path: '/usage', role: 'admin' },
  { method: 'put', path: '/usage/thresholds', role: 'owner', body: { thresholds: [80, 90, 100] } },
  { method: 'post', path: '/usage/sync-now', role: 'admin' },
  { method: 'get', path: '/identity', role: 'owner' },
  { method: 'patch', path: '/identity', role: 'owner', body: { seatExhaustion: 'reject' } },
  { method: 'get', path: '/sso-connections', role: 'owner' },
  {
    method: 'post',
    path: '/sso-connections',
    role: 'owner',
    body: {
      protocol: 'oidc',
      name: 'Entra',
      issuer: 'https://login.example/v2.0',
      clientId: 'c',
      clientSecret: 's',
    },
  },
  {
    method: 'patch',
    path: '/sso-connections/999999',
    declared: '/sso-connections/{connectionId}',
    role: 'owner',
    body: { name: 'x' },
  },
  {
    method: 'delete',
    path: '/sso-connections/999999',
    declared: '/sso-connections/{connectionId}',
    role: 'owner',
  },
  { method: 'get', path: '/scim-tokens', role: 'owner' },
  { method: 'post', path: '/scim-tokens', role: 'owner', body: { name: 'Okta' } },
  { method: 'delete', path: '/scim-tokens/999999', declared: '/scim-tokens/{tokenId}', role: 'owner' },
  { method: 'get', path: '/group-mappings', role: 'owner' },
  { method: 'put', path: '/group-mappings', role: 'owner', body: { enabled: false, mappings: [] } },
  { method: 'get', path: '/webhooks', role: 'owner' },
  {
    method: 'post',
    path: '/webhooks',
    role: 'owner',
    body: { url: 'https://hooks.example/seatkeeper', events: ['member.created'] },
  },
  { method: 'get', path: '/webhooks/999999', declared: '/webhooks/{endpointId}', role: 'owner' },
  {
    method: 'patch',
    path: '/webhooks/999999',
    declared: '/webhooks/{endpointId}',
    role: 'owner',
    body: { enabled: false },
  },
  { method: 'delete', path: '/webhooks/999999', declared: '/webhooks/{endpointId}', role: 'owner' },
  {
    method: 'post',
    path: '/webhooks/999999/rotate-secret',
    declared: '/webhooks/{endpointId}/rotate-secret',
    role: 'owner',
  },
  {
    method: 'get',
    path: '/webhooks/999999/deliveries',
    declared: '/webhooks/{endpointId}/deliveries',
    role: 'owner',
  },
  {
    method: 'post',
    path: '/webhooks/999999/deliveries/1/redeliver',
    declared: '/webhooks/{endpointId}/deliveries/{deliveryId}/redeliver',
    role: 'owner',
  },
  { method: 'get', path: '/audit', role: 'admin' },
  { method: 'get', path: '/audit.csv', role: 'admin' },
];

describe('admin API: who may call the organisation routes', () => {
  let w: ApiWorld;
  const callers: { name: string; role: Role; caller: Pick<Caller, Verb> }[] = [];
  beforeAll(async () => {
    w = await apiWorld();
    for (const role of ['primary_owner', 'owner', 'admin', 'user'] as const) {
      callers.push({ name: `${role} (session)`, role, caller: w.as[role] });
    }
    for (const role of ['owner', 'admin', 'user'] as const) {
      const made = await w.as.owner.post('/api-tokens', { name: `${role} script`, role });
      assert.equal(made.status, 201);
      callers.push({ name: `${role} (API token)`, role, caller: w.withToken(made.body.token as string) });
    }
  });
  afterAll(() => w.cleanup());

  test('When each role calls each route, then only those at or above its role get through', async () => {
    for (const { name, role, caller } of callers) {
      for (const call of CALLS) {
        const label = `${name}: ${call.method.toUpperCase()} ${call.path}`;
        const allowed = hasRole(role, call.role);
        const stateBefore = allowed ? undefined : await storedState(w);
        const send = caller[call.method];
        const res = await (call.body === undefined ? send(call.path) : send(call.path, call.body));
        if (allowed) {
          assert.ok(
            res.status !== 401 && res.status !== 403 && res.status < 500,
            `${label}: ${res.status} ${res.text}`,
          );
        } else {
          assert.equal(res.status, 403, label);
          assert.equal(problem(res).requiredRole, call.role, label);
          assert.deepEqual(await storedState(w), stateBefore, `${label} wrote something`);
        }
      }
    }
  });

  test('When nobody is signed in, then every route answers 401', async () => {
    for (const call of CALLS) {
      const res = await request(w.app)[call.method](`${API_PATH}${call.path}`);
      assert.equal(res.status, 401, `${call.method} ${call.path}`);
    }
  });

  test('When the OpenAPI document is read, then each route is in it with its role', async () => {
    const doc = (await request(w.app).get(`${API_PATH}/openapi.json`)).body as {
      paths: Record<string, Record<string, { 'x-required-role': string }>>;
    };
    for (const call of CALLS) {
      const operation = doc.paths[call.declared ?? call.path]?.[call.method];
      assert.ok(operation, `${call.method} ${call.declared ?? call.path} is documented`);
      assert.equal(operation['x-required-role'], call.role);
    }
  });
});
