// The roles table for the people routes, exhaustively: every route × every caller (a signed-in
// member of each role, and an API token of each role a token can have). Allowed callers succeed;
// refused ones get 403 naming the role needed, and the database is exactly as before.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import type { Test } from 'supertest';
import { hasRole, OPERATOR, type Role } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld, type Caller } from '../../helpers/api.js';
import { databaseDigest, seatedMember, tokensOfEachRole } from '../../helpers/people.js';

type Send = Omit<Caller, 'memberId' | 'email'>;

interface Case {
  readonly route: string;
  /** The lowest role allowed (the route's declaration and the service agree). */
  readonly role: Role;
  readonly sessionOnly?: boolean;
  readonly success: number;
  /** Creates what the call acts on (before the database is fingerprinted), and returns the call. */
  prepare(w: ApiWorld): Promise<(as: Send) => Test> | ((as: Send) => Test);
}

let n = 0;
const fresh = () => `person${++n}@acme.example`;

async function pendingInvitation(w: ApiWorld): Promise<number> {
  const res = await w.as.primary_owner.post('/invitations', { email: fresh(), role: 'user' });
  assert.equal(res.status, 201, res.text);
  return res.body.id as number;
}

const CASES: readonly Case[] = [
  {
    route: 'GET /profile',
    role: 'user',
    sessionOnly: true,
    success: 200,
    prepare: () => (as) => as.get('/profile'),
  },
  { route: 'GET /members', role: 'admin', success: 200, prepare: () => (as) => as.get('/members?q=acme') },
  {
    route: 'GET /members/:memberId',
    role: 'admin',
    success: 200,
    prepare: (w) => (as) => as.get(`/members/${w.as.user.memberId}`),
  },
  {
    route: 'PATCH /members/:memberId/role',
    role: 'owner',
    success: 200,
    prepare: async (w) => {
      const target = await seatedMember(w);
      return (as) => as.patch(`/members/${target.id}/role`, { role: 'admin' });
    },
  },
  {
    route: 'PATCH /members/:memberId/tier',
    role: 'admin',
    success: 200,
    prepare: async (w) => {
      const target = await seatedMember(w); // the highest tier with a seat: premium
      return (as) => as.patch(`/members/${target.id}/tier`, { tier: 'standard' });
    },
  },
  {
    route: 'POST /members/:memberId/unassign',
    role: 'admin',
    success: 200,
    prepare: async (w) => {
      const target = await seatedMember(w);
      return (as) => as.post(`/members/${target.id}/unassign`);
    },
  },
  {
    route: 'DELETE /members/:memberId',
    role: 'admin',
    success: 204,
    prepare: async (w) => {
      const target = await seatedMember(w);
      return (as) => as.delete(`/members/${target.id}`);
    },
  },
  {
    route: 'POST /members/:memberId/ownership-transfer',
    role: 'primary_owner',
    sessionOnly: true,
    success: 201,
    prepare: (w) => (as) => as.post(`/members/${w.as.user.memberId}/ownership-transfer`),
  },
  {
    route: 'GET /ownership-transfer',
    role: 'owner',
    success: 200,
    prepare: () => (as) => as.get('/ownership-transfer'),
  },
  {
    route: 'DELETE /ownership-transfer',
    role: 'primary_owner',
    sessionOnly: true,
    success: 204,
    prepare: async (w) => {
      assert.equal(
        (await w.as.primary_owner.post(`/members/${w.as.admin.memberId}/ownership-transfer`)).status,
        201,
      );
      return (as) => as.delete('/ownership-transfer');
    },
  },
  { route: 'GET /invitations', role: 'admin', success: 200, prepare: () => (as) => as.get('/invitations') },
  {
    route: 'POST /invitations',
    role: 'admin',
    success: 201,
    prepare: () => {
      const email = fresh();
      return (as) => as.post('/invitations', { email, role: 'user' });
    },
  },
  {
    route: 'POST /invitations/:invitationId/resend',
    role: 'admin',
    success: 200,
    prepare: async (w) => {
      const id = await pendingInvitation(w);
      return (as) => as.post(`/invitations/${id}/resend`);
    },
  },
  {
    route: 'DELETE /invitations/:invitationId',
    role: 'admin',
    success: 204,
    prepare: async (w) => {
      const id = await pendingInvitation(w);
      return (as) => as.delete(`/invitations/${id}`);
    },
  },
];

type CallerName = Role | 'owner token' | 'admin token' | 'user token';
const CALLERS: readonly { name: CallerName; role: Role; via: 'session' | 'token' }[] = [
  { name: 'primary_owner', role: 'primary_owner', via: 'session' },
  { name: 'owner', role: 'owner', via: 'session' },
  { name: 'admin', role: 'admin', via: 'session' },
  { name: 'user', role: 'user', via: 'session' },
  { name: 'owner token', role: 'owner', via: 'token' },
  { name: 'admin token', role: 'admin', via: 'token' },
  { name: 'user token', role: 'user', via: 'token' },
];

describe('admin API: who may call the people routes', () => {
  let w: ApiWorld;
  let callers: Record<CallerName, Send>;
  beforeAll(async () => {
    w = await apiWorld();
    const quote = await w.c.billing.quote(w.organisationId, { add: { premium: 50 } }, OPERATOR);
    await w.c.billing.confirm(w.organisationId, quote.id, OPERATOR);
    const tokens = await tokensOfEachRole(w);
    callers = {
      ...w.as,
      'owner token': w.withToken(tokens.owner),
      'admin token': w.withToken(tokens.admin),
      'user token': w.withToken(tokens.user),
    };
  });
  afterAll(() => w.cleanup());

  for (const c of CASES) {
    describe(`${c.route} (${c.role}${c.sessionOnly ? ', session only' : ''})`, () => {
      for (const who of CALLERS) {
        const allowed = hasRole(who.role, c.role) && !(c.sessionOnly && who.via === 'token');
        test(`When ${who.name} calls it, then ${allowed ? `${c.success}` : '403 and nothing is written'}`, async () => {
          const call = await c.prepare(w);
          const before = await databaseDigest(w);
          const res = await call(callers[who.name]);
          if (allowed) {
            assert.equal(res.status, c.success, res.text);
          } else {
            assert.equal(res.status, 403, res.text);
            assert.equal(problem(res).requiredRole, c.role);
            assert.equal(await databaseDigest(w), before);
          }
        });
      }
    });
  }
});
