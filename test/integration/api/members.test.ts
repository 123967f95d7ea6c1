// The members page through the admin API: listing with filters, search and paging; one member in
// full; and what administrators and owners may change on a member (role, tier, unassign, remove),
// each audited with before and after, and each refusal writing nothing.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import type { Response } from 'supertest';
import { OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld, buy } from '../../helpers/api.js';
import { createExample } from '../../helpers/fixtures.js';
import { auditOf, databaseDigest, pool, seatedMember } from '../../helpers/people.js';
import { inspect } from '../../helpers/inspect.js';

/** The emails of a members page, in order. */
const emails = (res: Response): string[] =>
  (res.body as { members: { email: string }[] }).members.map((m) => m.email);

describe('admin API: listing members', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
    await w.c.members.admit(
      w.organisationId,
      { email: 'Zoe@acme.example', displayName: 'Zoë Ångström', role: 'user' },
      'manual',
      { lowest: true },
      OPERATOR,
    );
    const gone = await seatedMember(w, 'user', 'gone');
    await w.c.seats.release(w.organisationId, gone.id, OPERATOR, 'removed');
  });
  afterAll(() => w.cleanup());

  test('When an admin lists members, then the current ones come ordered by email with a total, removed ones left out', async () => {
    const res = await w.as.admin.get('/members');
    assert.equal(res.status, 200);
    assert.deepEqual(emails(res), [
      'admin@acme.example',
      'co-owner@acme.example',
      'owner@acme.example',
      'user@acme.example',
      'Zoe@acme.example',
    ]);
    assert.equal(res.body.total, 5);
    assert.equal(res.body.page, 1);
    assert.equal(res.body.perPage, 50);
    const admin = res.body.members[0];
    assert.deepEqual(Object.keys(admin).sort(), [
      'createdAt',
      'displayName',
      'email',
      'id',
      'lastActiveAt',
      'role',
      'seatState',
      'source',
      'tier',
      'updatedAt',
    ]);
    assert.equal(admin.role, 'admin');
    assert.equal(admin.seatState, 'seated');
    assert.equal(admin.tier, 'standard');
  });

  test('When the list is filtered by role, tier, seat state and source, then only matching members come', async () => {
    const admins = await w.as.admin.get('/members?role=admin');
    assert.deepEqual(emails(admins), ['admin@acme.example']);
    assert.equal((await w.as.admin.get('/members?tier=premium')).body.total, 0);
    assert.equal(
      (await w.as.admin.get('/members?tier=standard&source=manual&seatState=seated')).body.total,
      5,
    );
    const removed = await w.as.admin.get('/members?seatState=removed');
    assert.deepEqual(emails(removed), ['gone@acme.example']);
    assert.equal((await w.as.admin.get('/members?source=scim')).body.total, 0);
  });

  test('When searching, then email and display name match case-insensitively through the one fold, and wildcards are literal', async () => {
    const byName = await w.as.admin.get(`/members?q=${encodeURIComponent('ÅNGSTRÖM')}`);
    assert.deepEqual(emails(byName), ['Zoe@acme.example']);
    assert.equal((await w.as.admin.get('/members?q=ZOE%40ACME')).body.total, 1);
    assert.equal((await w.as.admin.get('/members?q=OWNER')).body.total, 2);
    assert.equal((await w.as.admin.get('/members?q=%25')).body.total, 0, '% is a character, not a wildcard');
    assert.equal((await w.as.admin.get('/members?q=_')).body.total, 0, '_ is a character, not a wildcard');
    assert.equal((await w.as.admin.get('/members?q=person&role=user')).body.total, 1);
  });

  test('When paging, then pages do not overlap, cover everyone once, and carry the total', async () => {
    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const res = await w.as.admin.get(`/members?perPage=2&page=${page}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 5);
      seen.push(...emails(res));
    }
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
    assert.deepEqual((await w.as.admin.get('/members?perPage=2&page=9')).body.members, []);
  });

  test('When the query is bad, then 400 points at the parameter', async () => {
    const tooMany = await w.as.admin.get('/members?perPage=500');
    assert.equal(tooMany.status, 400);
    assert.equal((problem(tooMany).errors as { pointer: string }[])[0]!.pointer, '/perPage');
    const unknown = await w.as.admin.get('/members?order=email');
    assert.equal(unknown.status, 400);
    assert.deepEqual(problem(unknown).errors, [{ in: 'query', pointer: '/order', detail: 'Unknown field.' }]);
    const state = await w.as.admin.get('/members?seatState=sleeping');
    assert.equal(state.status, 400);
    const tier = await w.as.admin.get('/members?tier=gold');
    assert.equal(tier.status, 400);
    assert.equal(problem(tier).code, 'unknown_tier');
    const long = await w.as.admin.get(`/members?q=${'x'.repeat(201)}`);
    assert.equal(long.status, 400);
  });
});

describe('admin API: one member', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an admin opens an invited member, then the pending invitation is shown', async () => {
    const made = await w.as.admin.post('/invitations', { email: 'new@acme.example', role: 'user' });
    assert.equal(made.status, 201);
    const res = await w.as.admin.get(`/members/${made.body.memberId}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.seatState, 'invited');
    assert.equal(res.body.invitation.id, made.body.id);
    assert.equal(res.body.invitation.status, 'pending');
    assert.equal(res.body.invitation.expiresAt, made.body.expiresAt);
    assert.deepEqual(res.body.identities, []);
  });

  test('When a member has signed in through SSO, then their linked identity is shown', async () => {
    const connection = await w.c.sso.createConnection(
      w.organisationId,
      {
        protocol: 'oidc',
        name: 'Acme IdP',
        issuer: 'https://idp.acme.example',
        clientId: 'seatkeeper',
        clientSecret: 'secret',
      },
      OPERATOR,
    );
    await w.c.store.write((q) =>
      q.sso.link(connection.id, 'sub-123', w.as.user.memberId, '2026-03-01T09:00:00.000Z'),
    );
    const res = await w.as.admin.get(`/members/${w.as.user.memberId}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.invitation, null);
    assert.deepEqual(res.body.identities, [
      {
        connectionId: connection.id,
        connectionName: 'Acme IdP',
        protocol: 'oidc',
        subject: 'sub-123',
        createdAt: '2026-03-01T09:00:00.000Z',
        lastSignInAt: null,
      },
    ]);
  });

  test('When a member of another organisation is asked for, then 404: tenants never see each other', async () => {
    const other = await createExample(w, { slug: 'globex' });
    const res = await w.as.admin.get(`/members/${other.primaryOwner.id}`);
    assert.equal(res.status, 404);
    assert.equal(problem(res).code, 'not_found');
    assert.equal((await w.as.owner.delete(`/members/${other.primaryOwner.id}`)).status, 404);
    assert.equal(
      (await inspect(w.c.store).member(other.organisation.id, other.primaryOwner.id))?.seatState,
      'invited',
    );
  });
});

describe('admin API: changing roles', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an owner makes a user an admin, then the role changes and the audit row has before and after', async () => {
    const target = await seatedMember(w);
    const res = await w.as.owner.patch(`/members/${target.id}/role`, { role: 'admin' });
    assert.equal(res.status, 200);
    assert.equal(res.body.role, 'admin');
    const row = (await auditOf(w)).at(-1)!;
    assert.equal(row.action, 'member.role_changed');
    assert.equal(row.actorType, 'member');
    assert.equal(row.actorId, String(w.as.owner.memberId));
    assert.equal((row.before as { role: string }).role, 'user');
    assert.equal((row.after as { role: string }).role, 'admin');
  });

  test('When an owner promotes someone to owner and another owner demotes them, then both succeed', async () => {
    const target = await seatedMember(w);
    assert.equal(
      (await w.as.owner.patch(`/members/${target.id}/role`, { role: 'owner' })).body.role,
      'owner',
    );
    const res = await w.as.primary_owner.patch(`/members/${target.id}/role`, { role: 'user' });
    assert.equal(res.status, 200);
    assert.equal(res.body.role, 'user');
  });

  test('When anyone asks to make someone primary owner, then 400: that is a transfer', async () => {
    const target = await seatedMember(w);
    const before = await databaseDigest(w);
    const res = await w.as.primary_owner.patch(`/members/${target.id}/role`, { role: 'primary_owner' });
    assert.equal(res.status, 400);
    assert.equal((problem(res).errors as { pointer: string }[])[0]!.pointer, '/role');
    const extra = await w.as.owner.patch(`/members/${target.id}/role`, { role: 'admin', tier: 'premium' });
    assert.deepEqual(problem(extra).errors, [{ in: 'body', pointer: '/tier', detail: 'Unknown field.' }]);
    assert.equal((await w.as.owner.patch(`/members/${target.id}/role`, { role: ['admin'] })).status, 400);
    assert.equal(
      (await w.as.owner.patch(`/members/${target.id}/role`, { role: 'x'.repeat(70_000) })).status,
      413,
    );
    assert.equal((await w.as.owner.patch(`/members/${target.id}/role`, [])).status, 400);
    assert.equal((await w.as.owner.patch('/members/0/role', { role: 'admin' })).status, 400);
    assert.equal(await databaseDigest(w), before);
  });

  test("When an owner changes the primary owner's role, then 403 primary_owner_protected and nothing is written", async () => {
    const before = await databaseDigest(w);
    const res = await w.as.owner.patch(`/members/${w.as.primary_owner.memberId}/role`, { role: 'admin' });
    assert.equal(res.status, 403);
    assert.equal(problem(res).code, 'primary_owner_protected');
    assert.match(problem(res).detail!, /transfer primary ownership/);
    assert.equal(await databaseDigest(w), before);
  });

  test('When an owner changes their own role, then 403 self_action and nothing is written', async () => {
    const before = await databaseDigest(w);
    const res = await w.as.owner.patch(`/members/${w.as.owner.memberId}/role`, { role: 'user' });
    assert.equal(res.status, 403);
    assert.equal(problem(res).code, 'self_action');
    assert.equal(await databaseDigest(w), before);
  });

  test('When the member was removed, then 409 and the advice to invite them again', async () => {
    const target = await seatedMember(w);
    assert.equal((await w.as.admin.delete(`/members/${target.id}`)).status, 204);
    const res = await w.as.owner.patch(`/members/${target.id}/role`, { role: 'admin' });
    assert.equal(res.status, 409);
    assert.equal(problem(res).code, 'invalid_seat_state');
  });

  test('When the member does not exist, then 404', async () => {
    assert.equal((await w.as.owner.patch('/members/999999/role', { role: 'admin' })).status, 404);
  });
});

describe('admin API: changing seat tiers', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When no premium seat is free, then 409 names the purchase needed and nothing is written', async () => {
    const target = await seatedMember(w, 'user', 'mover');
    const before = await databaseDigest(w);
    const res = await w.as.admin.patch(`/members/${target.id}/tier`, { tier: 'premium' });
    assert.equal(res.status, 409);
    const body = problem(res);
    assert.equal(body.code, 'seats_exhausted');
    assert.match(body.detail!, /add 1 premium seat/);
    assert.match(body.detail!, /upgrade 1 standard seat to premium/);
    assert.deepEqual(body.purchase, { add: { premium: 1 } });
    assert.deepEqual(body.alternative, {
      upgrades: [{ from: 'standard', to: 'premium', quantity: 1, moveMemberIds: [target.id] }],
    });
    assert.equal(await databaseDigest(w), before);
  });

  test('When a premium seat is free, then an admin moves a member into it and the standard seat is freed', async () => {
    const target = await seatedMember(w);
    await buy(w, { premium: 1 });
    const held = await pool(w);
    const res = await w.as.admin.patch(`/members/${target.id}/tier`, { tier: 'premium' });
    assert.equal(res.status, 200);
    assert.equal(res.body.tier, 'premium');
    assert.equal(res.body.seatState, 'seated');
    assert.deepEqual(await pool(w), {
      standard: { allocation: held.standard!.allocation, held: held.standard!.held - 1 },
      premium: { allocation: 1, held: 1 },
    });
    const row = (await auditOf(w)).at(-1)!;
    assert.equal(row.action, 'seat.tier_changed');
    assert.equal((row.before as { tierId: string }).tierId, 'standard');
    assert.equal((row.after as { tierId: string }).tierId, 'premium');
  });

  test("When an admin changes an owner's tier, then 403 requires an owner; an owner may", async () => {
    const before = await databaseDigest(w);
    const refused = await w.as.admin.patch(`/members/${w.as.owner.memberId}/tier`, { tier: 'standard' });
    assert.equal(refused.status, 403);
    assert.equal(problem(refused).requiredRole, 'owner');
    assert.equal(await databaseDigest(w), before);
    const res = await w.as.owner.patch(`/members/${w.as.primary_owner.memberId}/tier`, { tier: 'standard' });
    assert.equal(res.status, 200, 'a tier change takes nothing from the primary owner');
  });

  test('When an unassigned member is given a tier, then they are seated in it: two members swap tiers', async () => {
    const standard = await seatedMember(w, 'user', 'stan');
    await buy(w, { premium: 1 });
    const premium = await w.c.members.admit(
      w.organisationId,
      { email: 'prem@acme.example', role: 'user' },
      'manual',
      { tier: 'premium' },
      OPERATOR,
    );
    assert.equal(premium.tierId, 'premium');
    const held = await pool(w);
    assert.equal((await w.as.admin.post(`/members/${premium.id}/unassign`)).status, 200);
    assert.equal(
      (await w.as.admin.patch(`/members/${standard.id}/tier`, { tier: 'premium' })).body.tier,
      'premium',
    );
    const back = await w.as.admin.patch(`/members/${premium.id}/tier`, { tier: 'standard' });
    assert.equal(back.status, 200);
    assert.equal(back.body.seatState, 'seated');
    assert.equal(back.body.tier, 'standard');
    assert.deepEqual(await pool(w), held, 'the same seats, swapped');
    assert.equal((await auditOf(w)).at(-1)!.action, 'seat.claimed');
  });

  test('When the tier does not exist, or the member holds no seat, then 400 / 409', async () => {
    const target = await seatedMember(w);
    const unknown = await w.as.admin.patch(`/members/${target.id}/tier`, { tier: 'gold' });
    assert.equal(unknown.status, 400);
    assert.equal(problem(unknown).code, 'unknown_tier');
    await w.c.seats.release(w.organisationId, target.id, OPERATOR, 'deactivated');
    const seatless = await w.as.admin.patch(`/members/${target.id}/tier`, { tier: 'standard' });
    assert.equal(seatless.status, 409);
    assert.equal(problem(seatless).code, 'invalid_seat_state');
    const badBody = await w.as.admin.patch(`/members/${target.id}/tier`, { tier: 7 });
    assert.equal(badBody.status, 400);
  });
});

describe('admin API: unassigning and removing', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an admin unassigns a member, then the seat is free at once and their session ends', async () => {
    const target = await seatedMember(w);
    const session = await w.signedIn(target.id);
    assert.equal((await session.get('/profile')).status, 200);
    const held = (await pool(w)).standard!.held;
    const res = await w.as.admin.post(`/members/${target.id}/unassign`);
    assert.equal(res.status, 200);
    assert.equal(res.body.seatState, 'unassigned');
    assert.equal(res.body.tier, null);
    assert.equal((await pool(w)).standard!.held, held - 1);
    assert.equal((await session.get('/profile')).status, 401);
    const again = await w.as.admin.post(`/members/${target.id}/unassign`);
    assert.equal(again.status, 409);
    assert.equal(problem(again).code, 'invalid_seat_state');
  });

  test('When an admin removes an owner, then 403 requires an owner and nothing is written; an owner may', async () => {
    const target = await seatedMember(w, 'owner');
    const before = await databaseDigest(w);
    const refused = await w.as.admin.delete(`/members/${target.id}`);
    assert.equal(refused.status, 403);
    assert.equal(problem(refused).requiredRole, 'owner');
    assert.equal(await databaseDigest(w), before);
    assert.equal((await w.as.owner.delete(`/members/${target.id}`)).status, 204);
  });

  test('When anyone removes or unassigns the primary owner, then 403 primary_owner_protected', async () => {
    const before = await databaseDigest(w);
    for (const res of [
      await w.as.owner.delete(`/members/${w.as.primary_owner.memberId}`),
      await w.as.owner.post(`/members/${w.as.primary_owner.memberId}/unassign`),
      await w.as.admin.delete(`/members/${w.as.primary_owner.memberId}`),
    ]) {
      assert.equal(res.status, 403);
      assert.equal(problem(res).code, 'primary_owner_protected');
    }
    assert.equal(await databaseDigest(w), before);
  });

  test('When a member removes or unassigns themselves, then 403 self_action', async () => {
    const before = await databaseDigest(w);
    const removed = await w.as.admin.delete(`/members/${w.as.admin.memberId}`);
    assert.equal(removed.status, 403);
    assert.equal(problem(removed).code, 'self_action');
    const unassigned = await w.as.owner.post(`/members/${w.as.owner.memberId}/unassign`);
    assert.equal(problem(unassigned).code, 'self_action');
    assert.equal(await databaseDigest(w), before);
  });

  test('When an invited member is removed, then the invitation is revoked and its seat released', async () => {
    const made = await w.as.admin.post('/invitations', { email: 'pending@acme.example', role: 'user' });
    const held = (await pool(w)).standard!.held;
    assert.equal((await w.as.admin.delete(`/members/${made.body.memberId}`)).status, 204);
    assert.equal((await pool(w)).standard!.held, held - 1);
    const listed = await w.as.admin.get('/invitations?status=revoked');
    const revoked = (listed.body as { invitations: { id: number }[] }).invitations;
    assert.ok(revoked.some((i) => i.id === made.body.id));
  });

  test('When a removed member is invited again, then it is the same member, with the history kept', async () => {
    const target = await seatedMember(w, 'user', 'returning');
    const held = (await pool(w)).standard!.held;
    assert.equal((await w.as.admin.delete(`/members/${target.id}`)).status, 204);
    assert.equal((await pool(w)).standard!.held, held - 1, 'the seat is released at once');
    const before = await databaseDigest(w);
    assert.equal((await w.as.admin.delete(`/members/${target.id}`)).status, 204, 'removing twice is fine');
    assert.equal(await databaseDigest(w), before, '…and writes nothing');

    const back = await w.as.admin.post('/invitations', { email: 'RETURNING@acme.example', role: 'user' });
    assert.equal(back.status, 201);
    assert.equal(back.body.memberId, target.id);
    const history = (await auditOf(w))
      .filter((e) => e.subjectType === 'member' && e.subjectId === String(target.id))
      .map((e) => e.action);
    assert.deepEqual(history, [
      'member.created',
      'seat.claimed',
      'seat.released',
      'member.readded',
      'invitation.seat_held',
    ]);
  });
});

describe('admin API: the profile', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When a user-role member opens their profile, then they see their own record and organisation', async () => {
    const res = await w.as.user.get('/profile');
    assert.equal(res.status, 200);
    assert.equal(res.body.member.id, w.as.user.memberId);
    assert.equal(res.body.member.email, 'user@acme.example');
    assert.equal(res.body.member.role, 'user');
    assert.deepEqual(res.body.organisation, { id: w.organisationId, slug: 'acme', name: 'Acme GmbH' });
  });

  test('When a user-role member asks for the members list, then 403 names admin', async () => {
    const res = await w.as.user.get('/members');
    assert.equal(res.status, 403);
    assert.equal(problem(res).requiredRole, 'admin');
  });
});

describe('admin API: losing a seat ends the sessions', () => {
  test('When a member is unassigned or removed, then their sessions end, and re-seating them does not bring an old session back', async () => {
    const t = perTest();
    const w = await apiWorld();
    t.after(() => w.cleanup());
    const dana = await seatedMember(w, 'user', 'dana');
    const laptop = await w.signedIn(dana.id);
    assert.equal((await laptop.get('/profile')).status, 200);

    assert.equal((await w.as.admin.post(`/members/${dana.id}/unassign`)).status, 200);
    assert.equal((await laptop.get('/profile')).status, 401);
    const reseated = await w.as.admin.patch(`/members/${dana.id}/tier`, { tier: 'standard' });
    assert.equal(reseated.status, 200, reseated.text);
    assert.equal((await laptop.get('/profile')).status, 401, 'the old session stays ended');

    const phone = await w.signedIn(dana.id);
    assert.equal((await phone.get('/profile')).status, 200, 'a new sign-in works');
    assert.equal((await w.as.admin.delete(`/members/${dana.id}`)).status, 204);
    const back = await w.as.admin.post('/invitations', { email: dana.email, role: 'user' });
    assert.equal(back.status, 201, back.text);
    await w.c.seats.acceptInvitation(w.organisationId, dana.id, OPERATOR);
    assert.equal((await phone.get('/profile')).status, 401, 'removal ended it for good');
  });
});
