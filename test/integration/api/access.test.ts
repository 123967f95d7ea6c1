// Access to the console through the admin API: emailed one-time sign-in links (no account
// enumeration, single use, 15 minutes) and the transfer of primary ownership, confirmed by the new
// owner through a mailed link.
import assert from '../../helpers/assert.js';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import request from 'supertest';
import { API_PATH } from '../../../api/router.js';
import { OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld, sessionCookie } from '../../helpers/api.js';
import { createExample } from '../../helpers/fixtures.js';
import {
  auditOf,
  databaseDigest,
  lastMailTo,
  outbox,
  seatedMember,
  tokenIn,
  tokensOfEachRole,
} from '../../helpers/people.js';
import { inspect } from '../../helpers/inspect.js';

const NOW = '2026-03-01T09:00:00.000Z';

const askForLink = (w: ApiWorld, body: unknown) =>
  request(w.app)
    .post(`${API_PATH}/sign-in-links`)
    .send(body as object);
const redeem = (w: ApiWorld, token: unknown) =>
  request(w.app).post(`${API_PATH}/sign-in-links/redeem`).send({ token });
const confirm = (w: ApiWorld, token: unknown) =>
  request(w.app).post(`${API_PATH}/ownership-transfers/confirm`).send({ token });

describe('admin API: sign-in links', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
  });
  afterEach(() => w.cleanup());

  test('When a seated member asks for a link, then 202, a 15-minute link is mailed, and it signs them in once', async () => {
    const res = await askForLink(w, { organisation: 'acme', email: 'USER@acme.example' });
    assert.equal(res.status, 202);
    const mail = await lastMailTo(w, 'user@acme.example', 'sign_in_link');
    assert.equal(mail.subject, 'Your sign-in link for Acme GmbH');
    assert.match(mail.text, /expires in 15 minutes/);
    assert.match(mail.text, /http:\/\/127\.0\.0\.1\/console\/sign-in#token=sklink_[\w-]{43}\n/);
    const token = tokenIn(mail.text);

    const signed = await redeem(w, token);
    assert.equal(signed.status, 200);
    assert.equal(signed.body.member.id, w.as.user.memberId);
    assert.equal(signed.body.organisation.slug, 'acme');
    const who = await request(w.app).get(`${API_PATH}/profile`).set('cookie', sessionCookie(signed));
    assert.equal(who.status, 200);
    assert.equal(who.body.member.email, 'user@acme.example');
    const row = (await auditOf(w)).at(-1)!;
    assert.equal(row.action, 'member.signed_in');
    assert.deepEqual(row.after, { outcome: 'signed_in', method: 'email_link' });

    const before = await databaseDigest(w);
    const again = await redeem(w, token);
    assert.equal(again.status, 410);
    assert.equal(problem(again).code, 'sign_in_link_used');
    assert.equal(await databaseDigest(w), before);
  });

  test('When nobody with a seat has that address there, then the same 202 and nothing is written or mailed', async () => {
    const invited = await w.as.admin.post('/invitations', { email: 'invitee@acme.example', role: 'user' });
    assert.equal(invited.status, 201);
    const unassigned = await seatedMember(w, 'user', 'benched');
    await w.c.seats.unassign(w.organisationId, unassigned.id, OPERATOR);
    await createExample(w, { slug: 'globex' });
    const reference = await askForLink(w, { organisation: 'acme', email: 'user@acme.example' });
    const before = await databaseDigest(w);
    const mails = (await outbox(w)).length;
    for (const body of [
      { organisation: 'acme', email: 'nobody@acme.example' },
      { organisation: 'acme', email: 'invitee@acme.example' },
      { organisation: 'acme', email: 'benched@acme.example' },
      { organisation: 'nosuch', email: 'user@acme.example' },
      { organisation: 'globex', email: 'user@acme.example' },
      { organisation: 'acme', email: 'not an address' },
    ]) {
      const res = await askForLink(w, body);
      assert.equal(res.status, 202, JSON.stringify(body));
      assert.deepEqual(res.body, reference.body, 'the answer says nothing about the address');
    }
    assert.equal((await outbox(w)).length, mails);
    assert.equal(await databaseDigest(w), before);
  });

  test('When links are asked for again and again, then at most 3 per quarter hour are mailed, each answered 202', async () => {
    for (let i = 0; i < 5; i++) {
      assert.equal((await askForLink(w, { organisation: 'acme', email: 'user@acme.example' })).status, 202);
    }
    assert.equal((await outbox(w)).filter((m) => m.kind === 'sign_in_link').length, 3);
    w.clock.advance({ minutes: 16 });
    await askForLink(w, { organisation: 'acme', email: 'user@acme.example' });
    assert.equal((await outbox(w)).filter((m) => m.kind === 'sign_in_link').length, 4);
  });

  test('When 15 minutes pass, then the link is refused as expired', async () => {
    await askForLink(w, { organisation: 'acme', email: 'admin@acme.example' });
    const token = tokenIn((await lastMailTo(w, 'admin@acme.example')).text);
    w.clock.advance({ minutes: 15 });
    const res = await redeem(w, token);
    assert.equal(res.status, 410);
    assert.equal(problem(res).code, 'sign_in_link_expired');
  });

  test('When the member loses their seat after the link was mailed, then the link cannot sign them in', async () => {
    await askForLink(w, { organisation: 'acme', email: 'admin@acme.example' });
    const token = tokenIn((await lastMailTo(w, 'admin@acme.example')).text);
    await w.c.seats.unassign(w.organisationId, w.as.admin.memberId, OPERATOR);
    const before = await databaseDigest(w);
    const res = await redeem(w, token);
    assert.equal(res.status, 403);
    assert.equal(problem(res).code, 'not_seated');
    assert.equal(res.headers['set-cookie'], undefined);
    assert.equal(await databaseDigest(w), before);
  });

  test('When the token or body is bad, then 400 and nothing is written', async () => {
    const before = await databaseDigest(w);
    const unknown = await redeem(w, 'sklink_unknown');
    assert.equal(unknown.status, 400);
    assert.equal(problem(unknown).code, 'sign_in_link_invalid');
    assert.equal((await redeem(w, 42)).status, 400);
    const form = await request(w.app).post(`${API_PATH}/sign-in-links/redeem`).type('form').send('token=x');
    assert.equal(form.status, 415, 'a cross-site form cannot post a link (login CSRF)');
    const extra = await askForLink(w, { organisation: 'acme', email: 'user@acme.example', remember: true });
    assert.equal(extra.status, 400);
    assert.deepEqual(problem(extra).errors, [{ in: 'body', pointer: '/remember', detail: 'Unknown field.' }]);
    assert.equal((await askForLink(w, { organisation: 'acme' })).status, 400);
    assert.equal((await askForLink(w, { organisation: 'acme', email: 'x'.repeat(70_000) })).status, 413);
    assert.equal(await databaseDigest(w), before);
  });
});

describe('admin API: transferring primary ownership', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
  });
  afterEach(() => w.cleanup());

  test('When the primary owner names a member and they confirm, then they are primary owner and the old one an owner, audited', async () => {
    const started = await w.as.primary_owner.post(`/members/${w.as.user.memberId}/ownership-transfer`);
    assert.equal(started.status, 201);
    assert.deepEqual(started.body.to, {
      id: w.as.user.memberId,
      email: 'user@acme.example',
      displayName: 'User Person',
    });
    assert.equal(started.body.from.id, w.as.primary_owner.memberId);
    assert.equal(started.body.status, 'pending');
    assert.equal(started.body.expiresAt, '2026-03-04T09:00:00.000Z', '72 hours');
    const shown = await w.as.owner.get('/ownership-transfer');
    assert.deepEqual(shown.body.transfer, started.body);

    const mail = await lastMailTo(w, 'user@acme.example', 'ownership_transfer');
    assert.equal(mail.subject, 'Olga Owner wants to make you the primary owner of Acme GmbH');
    assert.match(mail.text, /http:\/\/127\.0\.0\.1\/console\/confirm-transfer#token=skxfer_/);
    const token = tokenIn(mail.text);
    assert.equal(
      (await inspect(w.c.store).member(w.organisationId, w.as.user.memberId))!.role,
      'user',
      'nothing changes before the confirmation',
    );

    const res = await confirm(w, token);
    assert.equal(res.status, 200);
    assert.equal(res.body.primaryOwner.id, w.as.user.memberId);
    assert.equal(res.body.primaryOwner.role, 'primary_owner');
    assert.equal(res.body.previousPrimaryOwner.id, w.as.primary_owner.memberId);
    assert.equal(res.body.previousPrimaryOwner.role, 'owner');
    const tail = (await auditOf(w)).slice(-3);
    assert.deepEqual(
      tail.map((e) => [
        e.action,
        e.subjectId,
        (e.before as { role?: string }).role,
        (e.after as { role?: string }).role,
      ]),
      [
        ['member.role_changed', String(w.as.primary_owner.memberId), 'primary_owner', 'owner'],
        ['member.role_changed', String(w.as.user.memberId), 'user', 'primary_owner'],
        ['ownership_transfer.confirmed', String(started.body.id), undefined, undefined],
      ],
    );
    assert.ok(tail.every((e) => e.actorType === 'member' && e.actorId === String(w.as.user.memberId)));

    assert.equal((await w.as.user.get('/session')).body.role, 'primary_owner');
    const formerly = await w.as.primary_owner.post(`/members/${w.as.admin.memberId}/ownership-transfer`);
    assert.equal(formerly.status, 403);
    assert.equal(problem(formerly).requiredRole, 'primary_owner');
    const twice = await confirm(w, token);
    assert.equal(twice.status, 410);
    assert.equal(problem(twice).code, 'transfer_used');
    assert.equal((await w.as.owner.get('/ownership-transfer')).body.transfer, null);
  });

  test('When a new transfer replaces a pending one, then the old link is dead; a cancelled one too', async () => {
    await w.as.primary_owner.post(`/members/${w.as.user.memberId}/ownership-transfer`);
    const first = tokenIn((await lastMailTo(w, 'user@acme.example', 'ownership_transfer')).text);
    const second = await w.as.primary_owner.post(`/members/${w.as.admin.memberId}/ownership-transfer`);
    assert.equal(second.status, 201);
    const replaced = await confirm(w, first);
    assert.equal(replaced.status, 410);
    assert.equal(problem(replaced).code, 'transfer_cancelled');

    const token = tokenIn((await lastMailTo(w, 'admin@acme.example', 'ownership_transfer')).text);
    assert.equal((await w.as.primary_owner.delete('/ownership-transfer')).status, 204);
    const cancelled = await confirm(w, token);
    assert.equal(cancelled.status, 410);
    assert.equal(problem(cancelled).code, 'transfer_cancelled');
    assert.equal((await w.as.primary_owner.delete('/ownership-transfer')).status, 404);
    const actions = (await auditOf(w))
      .map((e) => e.action)
      .filter((a) => a.startsWith('ownership_transfer.'));
    assert.deepEqual(actions, [
      'ownership_transfer.requested',
      'ownership_transfer.cancelled',
      'ownership_transfer.requested',
      'ownership_transfer.cancelled',
    ]);
    assert.equal(
      (await w.c.store.read((q) => q.members.primaryOwner(w.organisationId)))!.id,
      w.as.primary_owner.memberId,
    );
  });

  test('When 72 hours pass, then the transfer is refused as expired and no longer shown', async () => {
    await w.as.primary_owner.post(`/members/${w.as.owner.memberId}/ownership-transfer`);
    const token = tokenIn((await lastMailTo(w, 'co-owner@acme.example', 'ownership_transfer')).text);
    w.clock.advance({ hours: 72 });
    const before = await databaseDigest(w);
    const res = await confirm(w, token);
    assert.equal(res.status, 410);
    assert.equal(problem(res).code, 'transfer_expired');
    assert.equal(await databaseDigest(w), before);
    assert.equal(
      (await (await w.signedIn(w.as.owner.memberId)).get('/ownership-transfer')).body.transfer,
      null,
    );
  });

  test('When the named member loses their seat before confirming, then 409 and nothing changes', async () => {
    await w.as.primary_owner.post(`/members/${w.as.admin.memberId}/ownership-transfer`);
    const token = tokenIn((await lastMailTo(w, 'admin@acme.example', 'ownership_transfer')).text);
    await w.c.seats.unassign(w.organisationId, w.as.admin.memberId, OPERATOR);
    const before = await databaseDigest(w);
    const res = await confirm(w, token);
    assert.equal(res.status, 409);
    assert.equal(problem(res).code, 'target_not_seated');
    assert.equal(await databaseDigest(w), before);
  });

  test('When the target is the primary owner, seatless or unknown, or the caller is not the primary owner in person, then refused and nothing is written', async () => {
    const { owner } = await tokensOfEachRole(w);
    const benched = await seatedMember(w, 'user', 'benched');
    await w.c.seats.unassign(w.organisationId, benched.id, OPERATOR);
    const before = await databaseDigest(w);
    const self = await w.as.primary_owner.post(`/members/${w.as.primary_owner.memberId}/ownership-transfer`);
    assert.equal(self.status, 400);
    assert.equal(problem(self).code, 'transfer_to_self');
    const seatless = await w.as.primary_owner.post(`/members/${benched.id}/ownership-transfer`);
    assert.equal(seatless.status, 409);
    assert.equal(problem(seatless).code, 'target_not_seated');
    assert.equal((await w.as.primary_owner.post('/members/999999/ownership-transfer')).status, 404);
    for (const refused of [
      await w.as.owner.post(`/members/${w.as.user.memberId}/ownership-transfer`),
      await w.withToken(owner).post(`/members/${w.as.user.memberId}/ownership-transfer`),
    ]) {
      assert.equal(refused.status, 403);
      assert.equal(problem(refused).requiredRole, 'primary_owner');
    }
    assert.equal(await databaseDigest(w), before);
    const unknown = await confirm(w, 'skxfer_nothing');
    assert.equal(unknown.status, 400);
    assert.equal(problem(unknown).code, 'transfer_invalid');
    assert.equal((await confirm(w, null)).status, 400);
  });
});

describe('admin API: tokens answer to the member who made them', () => {
  test('When the owner who made a token is demoted or removed, then the token loses that power at once, and cannot promote its maker back', async () => {
    const t = perTest();
    const w = await apiWorld();
    t.after(() => w.cleanup());
    const made = await w.as.owner.post('/api-tokens', { name: 'owner script', role: 'owner' });
    assert.equal(made.status, 201);
    const script = w.withToken(made.body.token as string);
    assert.equal((await script.get('/billing')).status, 200);

    const demoted = await w.as.primary_owner.patch(`/members/${w.as.owner.memberId}/role`, { role: 'user' });
    assert.equal(demoted.status, 200, demoted.text);
    const billing = await script.get('/billing');
    assert.equal(billing.status, 403, 'an owner token of a member who is now a user');
    assert.equal(problem(billing).requiredRole, 'owner');
    const selfPromotion = await script.patch(`/members/${w.as.owner.memberId}/role`, { role: 'owner' });
    assert.equal(selfPromotion.status, 403);

    // A token made by a token answers to the same member.
    const ownerAgain = await w.as.primary_owner.patch(`/members/${w.as.owner.memberId}/role`, {
      role: 'owner',
    });
    assert.equal(ownerAgain.status, 200);
    const child = await script.post('/api-tokens', { name: 'made by a script', role: 'owner' });
    assert.equal(child.status, 201, child.text);
    assert.equal(child.body.createdByMemberId, w.as.owner.memberId);
    assert.equal((await w.as.primary_owner.delete(`/members/${w.as.owner.memberId}`)).status, 204);
    assert.equal((await script.get('/billing')).status, 403, 'the removed member’s token stops');
    assert.equal((await w.withToken(child.body.token as string).get('/billing')).status, 403);
  });
});
