// "Require single sign-on" through the admin API: an owner's setting, refused without an enabled
// connection, audited; while it is on, people on the verified domains get no mailed sign-in link,
// cannot use one mailed before, and accept invitations only by signing in through the identity
// provider; the primary owner keeps a mailed link as the way back in.
import assert from '../../helpers/assert.js';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import request from 'supertest';
import { API_PATH } from '../../../api/router.js';
import { OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { auditOf, databaseDigest, lastMailTo, outbox, tokenIn } from '../../helpers/people.js';

const NOW = '2026-03-01T09:00:00.000Z';

const askForLink = (w: ApiWorld, email: string) =>
  request(w.app).post(`${API_PATH}/sign-in-links`).send({ organisation: 'acme', email });
const redeem = (w: ApiWorld, token: string) =>
  request(w.app).post(`${API_PATH}/sign-in-links/redeem`).send({ token });
const accept = (w: ApiWorld, token: string) =>
  request(w.app).post(`${API_PATH}/invitations/accept`).send({ token });

async function addConnection(w: ApiWorld) {
  return await w.c.sso.createConnection(
    w.organisationId,
    {
      protocol: 'oidc',
      name: 'Acme IdP',
      issuer: 'https://idp.acme.example',
      clientId: 'seatkeeper',
      clientSecret: 'client-secret-for-tests',
    },
    OPERATOR,
  );
}

describe('admin API: require single sign-on', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
  });
  afterEach(() => w.cleanup());

  test('When an owner requires SSO without an enabled connection, then 409 sso_not_configured and nothing changes', async () => {
    const before = await databaseDigest(w);
    const res = await w.as.owner.patch('/identity', { requireSso: true, provisioningMode: 'jit' });
    assert.equal(res.status, 409);
    assert.equal(problem(res).code, 'sso_not_configured');
    assert.equal(await databaseDigest(w), before, 'neither setting changed');

    const connection = await addConnection(w);
    await w.c.sso.updateConnection(w.organisationId, connection.id, { enabled: false }, OPERATOR);
    const disabled = await w.as.owner.patch('/identity', { requireSso: true });
    assert.equal(problem(disabled).code, 'sso_not_configured', 'a disabled connection does not count');
  });

  test('When an owner requires SSO, then the identity settings show it and the change is audited; an admin may not', async () => {
    await addConnection(w);
    assert.equal((await w.as.owner.get('/identity')).body.requireSso, false);
    const denied = await w.as.admin.patch('/identity', { requireSso: true });
    assert.equal(denied.status, 403);

    const res = await w.as.owner.patch('/identity', { requireSso: true });
    assert.equal(res.status, 200);
    assert.equal(res.body.requireSso, true);
    assert.equal((await w.as.primary_owner.get('/identity')).body.requireSso, true);
    const row = (await auditOf(w)).at(-1)!;
    assert.equal(row.action, 'organisation.require_sso_changed');
    assert.equal(row.actorId, String(w.as.owner.memberId));
    assert.deepEqual([row.before, row.after], [{ requireSso: false }, { requireSso: true }]);

    const again = (await auditOf(w)).length;
    assert.equal((await w.as.owner.patch('/identity', { requireSso: true })).status, 200);
    assert.equal((await auditOf(w)).length, again, 'no change, no audit row');
  });

  test('When SSO is required, then a member gets no mailed link and cannot use one mailed before; the primary owner still can', async () => {
    await addConnection(w);
    assert.equal((await askForLink(w, 'user@acme.example')).status, 202);
    const earlier = tokenIn((await lastMailTo(w, 'user@acme.example', 'sign_in_link')).text);
    assert.equal((await w.as.owner.patch('/identity', { requireSso: true })).status, 200);

    const mails = (await outbox(w)).length;
    const asked = await askForLink(w, 'user@acme.example');
    assert.equal(asked.status, 202, 'the same answer: nothing revealed');
    assert.equal((await outbox(w)).length, mails, 'no link mailed');

    const refused = await redeem(w, earlier);
    assert.equal(refused.status, 403);
    const body = problem(refused);
    assert.equal(body.code, 'sso_required');
    assert.equal(body.organisation, 'acme');
    assert.match(body.detail ?? '', /requires single sign-on/);

    // The documented way back in when the identity provider itself fails.
    assert.equal((await askForLink(w, 'owner@acme.example')).status, 202);
    const owners = tokenIn((await lastMailTo(w, 'owner@acme.example', 'sign_in_link')).text);
    const signed = await redeem(w, owners);
    assert.equal(signed.status, 200);
    assert.equal(signed.body.member.id, w.as.primary_owner.memberId);

    // Off again: links work again.
    assert.equal((await w.as.primary_owner.patch('/identity', { requireSso: false })).status, 200);
    assert.equal((await askForLink(w, 'user@acme.example')).status, 202);
    const later = tokenIn((await lastMailTo(w, 'user@acme.example', 'sign_in_link')).text);
    assert.notEqual(later, earlier);
    assert.equal((await redeem(w, later)).status, 200);
  });

  test('When SSO is required, then an invitation is not accepted by its link: it stays pending, its seat held', async () => {
    await addConnection(w);
    const invited = await w.as.admin.post('/invitations', { email: 'newcomer@acme.example', role: 'user' });
    assert.equal(invited.status, 201);
    const token = tokenIn((await lastMailTo(w, 'newcomer@acme.example', 'invitation')).text);
    assert.equal((await w.as.owner.patch('/identity', { requireSso: true })).status, 200);

    const before = await databaseDigest(w);
    const refused = await accept(w, token);
    assert.equal(refused.status, 403);
    assert.equal(problem(refused).code, 'sso_required');
    assert.equal(problem(refused).organisation, 'acme');
    assert.equal(await databaseDigest(w), before, 'nothing written');
    const listed = await w.as.admin.get('/invitations');
    const row = (listed.body.invitations as { email: string; status: string; tier: string | null }[]).find(
      (i) => i.email === 'newcomer@acme.example',
    )!;
    assert.equal(row.status, 'pending');
    assert.ok(row.tier, 'the seat is still held');

    // A link that is not an invitation still says so first.
    assert.equal(problem(await accept(w, 'skinv_not-a-real-token')).code, 'invitation_invalid');
  });

  test('When SSO is required, then its last enabled connection cannot be turned off or deleted', async () => {
    const connection = await addConnection(w);
    assert.equal((await w.as.owner.patch('/identity', { requireSso: true })).status, 200);
    const off = await w.as.owner.patch(`/sso-connections/${connection.id}`, { enabled: false });
    assert.equal(off.status, 409, off.text);
    assert.equal(problem(off).code, 'sso_required_in_use');
    const gone = await w.as.owner.delete(`/sso-connections/${connection.id}`);
    assert.equal(problem(gone).code, 'sso_required_in_use');

    assert.equal((await w.as.owner.patch('/identity', { requireSso: false })).status, 200);
    assert.equal(
      (await w.as.owner.patch(`/sso-connections/${connection.id}`, { enabled: false })).status,
      200,
    );
  });
});
