// One invitation link used by many requests at once (a double-clicked button, a mail scanner and the
// invitee, two tabs), against the real app: on PostgreSQL each request's unit of work runs on a
// pooled connection of its own, so Promise.all is true concurrency. Exactly one acceptance takes
// effect (one member seated on the seat the invitation held, one audit row, one session); every
// other request is refused as the product documents for a used link (410 `invitation_used`,
// docs/rules.md, "Invitations"), never a 5xx. A revoke racing the acceptance ends one way or the
// other, never both: accepted (the revoke refused as not pending) or revoked (the link refused as
// revoked).
import assert from '../../helpers/assert.js';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import request from 'supertest';
import { API_PATH } from '../../../api/router.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { auditOf, lastMailTo, pool, tokenIn } from '../../helpers/people.js';
import { inspect } from '../../helpers/inspect.js';

const NOW = '2026-03-01T09:00:00.000Z';
const N = 10;

/** Accepts with `token` as a browser without a session would. */
const accept = (w: ApiWorld, token: string) =>
  request(w.app).post(`${API_PATH}/invitations/accept`).send({ token });

/** The invitation shown by the admin API's listing (pending and recently ended). */
async function invitationShown(w: ApiWorld, id: number) {
  const res = await w.as.admin.get('/invitations');
  assert.equal(res.status, 200, res.text);
  return (res.body.invitations as { id: number; status: string }[]).find((i) => i.id === id);
}

describe('admin API: one invitation link used by racing requests', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
  });
  afterEach(() => w.cleanup());

  test(`When ${N} acceptances of one link arrive at once, then exactly one seats and signs in the invitee, the rest are 410 invitation_used, and one acceptance is audited`, async () => {
    const made = await w.as.admin.post('/invitations', { email: 'rush@acme.example', role: 'user' });
    assert.equal(made.status, 201, made.text);
    const token = tokenIn((await lastMailTo(w, 'rush@acme.example')).text);
    const held = await pool(w);

    const responses = await Promise.all(Array.from({ length: N }, () => accept(w, token)));
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(' ')}`);
    assert.equal(statuses.filter((s) => s === 410).length, N - 1, `statuses: ${statuses.join(' ')}`);
    for (const refused of responses.filter((r) => r.status === 410)) {
      assert.equal(problem(refused).code, 'invitation_used');
      assert.equal(refused.headers['set-cookie'], undefined, 'a refusal starts no session');
    }
    const accepted = responses.find((r) => r.status === 200)!;
    assert.equal(accepted.body.member.id, made.body.memberId);
    assert.equal(accepted.body.member.seatState, 'seated');
    assert.match(String(accepted.headers['set-cookie']), /seatkeeper_session=/);

    const member = await inspect(w.c.store).member(w.organisationId, made.body.memberId);
    assert.equal(member?.seatState, 'seated');
    assert.deepEqual(await pool(w), held, 'the held seat became theirs; no second seat');
    const rows = (await auditOf(w)).filter(
      (e) => e.action === 'invitation.accepted' && e.actorId === String(made.body.memberId),
    );
    assert.equal(rows.length, 1, 'one acceptance audited');
    assert.equal((await invitationShown(w, made.body.id))?.status, 'accepted');
    const sessions = await request(w.app)
      .get(`${API_PATH}/session`)
      .set('cookie', String(accepted.headers['set-cookie']).split(';')[0]!);
    assert.equal(sessions.status, 200);
    assert.equal(sessions.body.member.email, 'rush@acme.example');
  });

  test('When an acceptance and a revoke of one invitation arrive at once, then exactly one of them takes effect and the pool agrees with it', async () => {
    const outcomes: string[] = [];
    // Several rounds, each sent in the other order, so that either may come first.
    for (let round = 0; round < 6; round++) {
      const email = `torn${round}@acme.example`;
      const made = await w.as.admin.post('/invitations', { email, role: 'user' });
      assert.equal(made.status, 201, made.text);
      const token = tokenIn((await lastMailTo(w, email)).text);
      const held = await pool(w);
      const audited = (await auditOf(w)).length;

      const acceptance = () => accept(w, token);
      const revoke = () => w.as.admin.delete(`/invitations/${made.body.id}`);
      const [accepted, revoked] =
        round % 2 === 0
          ? await Promise.all([acceptance(), revoke()])
          : await Promise.all([revoke(), acceptance()]).then(([r, a]) => [a, r] as const);
      const outcome = `accept ${accepted.status} ${accepted.text} / revoke ${revoked.status} ${revoked.text}`;
      assert.ok(accepted.status < 500 && revoked.status < 500, outcome);
      const member = await inspect(w.c.store).member(w.organisationId, made.body.memberId);
      const actions = (await auditOf(w))
        .slice(audited)
        .filter((e) => e.action === 'invitation.accepted' || e.action === 'invitation.revoked')
        .map((e) => e.action);
      if (accepted.status === 200) {
        // The acceptance came first: the revoke is refused, the invitee keeps the seat.
        outcomes.push('accepted');
        assert.equal(revoked.status, 409, outcome);
        assert.equal(problem(revoked).code, 'invitation_not_pending');
        assert.equal(problem(revoked).invitationStatus, 'accepted');
        assert.equal(member?.seatState, 'seated');
        assert.deepEqual(await pool(w), held);
        assert.deepEqual(actions, ['invitation.accepted']);
        assert.equal((await invitationShown(w, made.body.id))?.status, 'accepted');
      } else {
        // The revoke came first: the link is dead and the seat is back in the pool.
        outcomes.push('revoked');
        assert.equal(revoked.status, 204, outcome);
        assert.equal(accepted.status, 410, outcome);
        assert.equal(problem(accepted).code, 'invitation_revoked');
        assert.notEqual(member?.seatState, 'seated');
        assert.equal((await pool(w)).standard!.held, held.standard!.held - 1);
        assert.deepEqual(actions, ['invitation.revoked']);
        assert.equal((await invitationShown(w, made.body.id))?.status, 'revoked');
      }
    }
    assert.equal(outcomes.length, 6);
  });
});
