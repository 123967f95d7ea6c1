// Bulk actions on members (change tier, unassign, remove): one audited change per member, each in
// its own transaction, by the single-member routes' role rules, with per-member results; and the
// members list's last activity (sign-in, SCIM), its sort and its "inactive for N days" filter.
import assert from '../../helpers/assert.js';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import request from 'supertest';
import { API_PATH } from '../../../api/router.js';
import { OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { heldMatchesMembers, scimToken } from '../../helpers/fixtures.js';
import { auditOf, lastMailTo, pool, tokenIn } from '../../helpers/people.js';
import { recordAudit } from '../../../audit/record.js';
import { inspect } from '../../helpers/inspect.js';

const NOW = '2026-03-01T09:00:00.000Z';

/** One member's result as the bulk route answers it. */
interface BulkResult {
  memberId: number;
  ok: boolean;
  member?: { seatState: string; tier: string | null };
  problem?: { status: number; code: string };
}

let counter = 0;

/** A new member seated in a standard seat by the operator. */
async function seatedMember(w: ApiWorld, role: 'user' = 'user', name?: string) {
  counter += 1;
  return await w.c.members.admit(
    w.organisationId,
    { email: `${name ?? `bulk${counter}`}@acme.example`, displayName: null, role },
    'manual',
    { tier: 'standard' },
    OPERATOR,
  );
}

describe('admin API: bulk actions on members', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
    const quote = await w.c.billing.quote(w.organisationId, { add: { premium: 2 } }, OPERATOR);
    await w.c.billing.confirm(w.organisationId, quote.id, OPERATOR);
  });
  afterEach(() => w.cleanup());

  test('When an admin moves three members to premium with two premium seats free, then two move, the third is refused with the purchase it needs, and each move is audited once', async () => {
    const people = [await seatedMember(w), await seatedMember(w), await seatedMember(w)];
    const auditBefore = (await auditOf(w)).length;
    const res = await w.as.admin.post('/members/bulk', {
      action: 'change_tier',
      tier: 'premium',
      memberIds: people.map((m) => m.id),
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.action, 'change_tier');
    assert.equal(res.body.tier, 'premium');
    assert.equal(res.body.changed, 2);
    assert.equal(res.body.refused, 1);
    const [a, b, c] = res.body.results;
    assert.deepEqual([a.memberId, a.ok, a.member.tier], [people[0]!.id, true, 'premium']);
    assert.deepEqual([b.memberId, b.ok, b.member.tier], [people[1]!.id, true, 'premium']);
    assert.deepEqual(
      [c.memberId, c.ok, c.problem.status, c.problem.code],
      [people[2]!.id, false, 409, 'seats_exhausted'],
    );
    assert.deepEqual(c.problem.purchase, { add: { premium: 1 } });
    assert.equal((await pool(w)).premium!.held, 2);
    const moves = (await auditOf(w)).slice(auditBefore).filter((e) => e.action === 'seat.tier_changed');
    assert.deepEqual(
      moves.map((e) => [e.subjectId, e.actorType]),
      [
        [String(people[0]!.id), 'member'],
        [String(people[1]!.id), 'member'],
      ],
    );
    assert.ok(await heldMatchesMembers(w, w.organisationId));
  });

  test('When an admin unassigns members including an owner, themselves and one already unassigned, then only the users lose their seats and each refusal says why', async () => {
    const [u1, u2] = [await seatedMember(w), await seatedMember(w)];
    await w.c.seats.unassign(w.organisationId, u2.id, OPERATOR);
    const heldBefore = (await pool(w)).standard!.held;
    const res = await w.as.admin.post('/members/bulk', {
      action: 'unassign',
      memberIds: [u1.id, w.as.owner.memberId, w.as.admin.memberId, u2.id],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      (res.body.results as BulkResult[]).map((r) => (r.ok ? r.member!.seatState : r.problem!.code)),
      ['unassigned', 'forbidden', 'self_action', 'invalid_seat_state'],
    );
    assert.equal(res.body.results[1].problem.requiredRole, 'owner');
    assert.equal((await pool(w)).standard!.held, heldBefore - 1, 'one seat freed');
  });

  test('When an owner removes members, then their seats are free at once, the primary owner is refused, and a removed member is reported as it is', async () => {
    const [u1, u2] = [await seatedMember(w), await seatedMember(w)];
    const heldBefore = (await pool(w)).standard!.held;
    const res = await w.as.owner.post('/members/bulk', {
      action: 'remove',
      memberIds: [u1.id, u2.id, w.as.primary_owner.memberId],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      (res.body.results as BulkResult[]).map((r) => (r.ok ? r.member!.seatState : r.problem!.code)),
      ['removed', 'removed', 'primary_owner_protected'],
    );
    assert.equal((await pool(w)).standard!.held, heldBefore - 2);
    const again = await w.as.owner.post('/members/bulk', { action: 'remove', memberIds: [u1.id] });
    assert.deepEqual([again.body.changed, again.body.results[0].member.seatState], [1, 'removed']);
  });

  test('When a member of another organisation or an unknown id is named, then that member is reported not found and the others change', async () => {
    const u1 = await seatedMember(w);
    const res = await w.as.admin.post('/members/bulk', { action: 'unassign', memberIds: [999_999, u1.id] });
    assert.equal(res.status, 200);
    assert.deepEqual(
      (res.body.results as BulkResult[]).map((r) => (r.ok ? 'ok' : r.problem!.status)),
      [404, 'ok'],
    );
  });

  test('When a user calls the bulk route, then 403 naming admins, and nothing changes', async () => {
    const u1 = await seatedMember(w);
    const res = await w.as.user.post('/members/bulk', { action: 'remove', memberIds: [u1.id] });
    assert.equal(res.status, 403);
    assert.equal(problem(res).requiredRole, 'admin');
    assert.equal((await inspect(w.c.store).member(w.organisationId, u1.id))!.seatState, 'seated');
  });

  test('When the body is wrong, then 400 problem JSON with pointers, and nothing changes', async () => {
    const u1 = await seatedMember(w);
    const cases: [unknown, string][] = [
      [{ action: 'change_tier', memberIds: [u1.id] }, '/tier'],
      [{ action: 'unassign', memberIds: [] }, '/memberIds'],
      [{ action: 'unassign', memberIds: [u1.id, u1.id] }, '/memberIds'],
      [{ action: 'unassign', memberIds: ['x'] }, '/memberIds/0'],
      [{ action: 'unassign', memberIds: [u1.id], tier: 'premium' }, '/tier'],
      [{ action: 'explode', memberIds: [u1.id] }, '/action'],
      [{ action: 'unassign', memberIds: Array.from({ length: 201 }, (_, i) => i + 1) }, '/memberIds'],
    ];
    for (const [body, pointer] of cases) {
      const res = await w.as.admin.post('/members/bulk', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const p = problem(res);
      assert.equal(p.code, 'validation_failed');
      assert.ok(
        (p.errors as { pointer: string }[]).some((e) => e.pointer === pointer),
        `${JSON.stringify(body)}: ${JSON.stringify(p.errors)}`,
      );
    }
    const unknown = await w.as.admin.post('/members/bulk', {
      action: 'change_tier',
      tier: 'gold',
      memberIds: [u1.id],
    });
    assert.equal(unknown.status, 400);
    assert.equal(problem(unknown).code, 'unknown_tier');
    assert.equal((await inspect(w.c.store).member(w.organisationId, u1.id))!.seatState, 'seated');
  });
});

describe('admin API: last activity of members', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
  });
  afterEach(() => w.cleanup());

  const lastActive = async (w: ApiWorld, email: string) => {
    // A session started now: the clock moves on by days, past the world's sessions.
    const res = await (await w.signedIn(w.as.admin.memberId)).get(`/members?q=${encodeURIComponent(email)}`);
    return (res.body.members as { email: string; lastActiveAt: string | null }[]).find(
      (m) => m.email === email,
    )!.lastActiveAt;
  };

  test('When a member signs in with a mailed link, then their last activity is that instant', async () => {
    assert.equal(await lastActive(w, 'user@acme.example'), null, 'never active yet');
    w.clock.set('2026-03-02T07:30:00Z');
    await request(w.app)
      .post(`${API_PATH}/sign-in-links`)
      .send({ organisation: 'acme', email: 'user@acme.example' });
    const token = tokenIn((await lastMailTo(w, 'user@acme.example', 'sign_in_link')).text);
    w.clock.set('2026-03-02T07:31:00Z');
    const signed = await request(w.app).post(`${API_PATH}/sign-in-links/redeem`).send({ token });
    assert.equal(signed.status, 200);
    assert.equal(await lastActive(w, 'user@acme.example'), '2026-03-02T07:31:00.000Z');
    const updated = (await inspect(w.c.store).member(w.organisationId, w.as.user.memberId))!;
    assert.equal(updated.updatedAt, '2026-03-01T09:00:00.000Z', 'activity is not a change of the member');
  });

  test('When the directory creates and then changes a user over SCIM, then the last activity follows each change', async () => {
    const token = await scimToken(w, w.organisationId);
    const scim = (method: 'post' | 'patch', path: string, body: object) =>
      (method === 'post' ? request(w.app).post(`/scim/v2${path}`) : request(w.app).patch(`/scim/v2${path}`))
        .set('authorization', `Bearer ${token}`)
        .set('content-type', 'application/scim+json')
        .send(JSON.stringify(body));
    w.clock.set('2026-03-03T10:00:00Z');
    const created = await scim('post', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'sam@acme.example',
      name: { givenName: 'Sam', familyName: 'Sync' },
      emails: [{ value: 'sam@acme.example', primary: true }],
      active: true,
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(await lastActive(w, 'sam@acme.example'), '2026-03-03T10:00:00.000Z');
    w.clock.set('2026-03-04T10:00:00Z');
    const patched = await scim('patch', `/Users/${created.body.id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Sam S.' }],
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(await lastActive(w, 'sam@acme.example'), '2026-03-04T10:00:00.000Z');
  });

  test('When members are sorted by last activity and filtered by inactivity, then the idle ones (never active first) come out', async () => {
    const idle = await seatedMember(w, 'user', 'idle');
    const busy = await seatedMember(w, 'user', 'busy');
    const store = w.c.store;
    // Sign-ins as the audit log records them: 40 days ago, and yesterday.
    for (const [id, at] of [
      [idle.id, '2026-01-20T09:00:00.000Z'],
      [busy.id, '2026-02-28T09:00:00.000Z'],
    ] as const) {
      await store.write((q) =>
        recordAudit(q, {
          organisationId: w.organisationId,
          at,
          actor: { type: 'member', memberId: id },
          action: 'member.signed_in',
          subjectType: 'member',
          subjectId: id,
          after: { outcome: 'signed_in' },
        }),
      );
    }
    const inactive = await w.as.admin.get('/members?inactiveDays=30&sort=-lastActive');
    assert.equal(inactive.status, 200);
    const emails = (inactive.body.members as { email: string; lastActiveAt: string | null }[]).map((m) => [
      m.email,
      m.lastActiveAt,
    ]);
    assert.deepEqual(emails.at(0), ['idle@acme.example', '2026-01-20T09:00:00.000Z'], 'most recent first');
    assert.ok(!emails.some(([e]) => e === 'busy@acme.example'), 'active yesterday: not idle');
    assert.ok(
      emails.slice(1).every(([, at]) => at === null),
      'then the never active',
    );

    const ascending = await w.as.admin.get('/members?sort=lastActive');
    const order = (ascending.body.members as { email: string }[]).map((m) => m.email);
    // The primary owner accepted their invitation (a sign-in) at the world's start, 1 March.
    assert.deepEqual(
      order.slice(-3),
      ['idle@acme.example', 'busy@acme.example', 'owner@acme.example'],
      'oldest activity first, never active before',
    );

    for (const bad of ['inactiveDays=0', 'inactiveDays=abc', 'sort=name']) {
      const res = await w.as.admin.get(`/members?${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(problem(res).code, 'validation_failed');
    }
  });
});
