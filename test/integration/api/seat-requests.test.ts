// Seat requests through the admin API: a member asks (the owners are mailed), administrators grant
// (the tier change made in the same transaction, refused while no seat is free) or decline (with a
// reason), the person is mailed the outcome; one open request per person and tier; roles and bad
// input answered as problems. Mail goes through a real SMTP server.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { auditOf, databaseDigest, seatedMember, tokensOfEachRole } from '../../helpers/people.js';
import { startSmtp, type TestSmtpServer } from '../../helpers/smtp.js';

const NOW = '2026-03-01T09:00:00.000Z';

describe('When a member asks for a premium seat', () => {
  let smtp: TestSmtpServer;
  let w: ApiWorld;
  beforeAll(async () => {
    smtp = await startSmtp();
    w = await apiWorld(NOW, { mail: { smtpUrl: smtp.url, from: 'Seatkeeper <no-reply@seats.example>' } });
    // The primary owner's invitation, mailed when the organisation was made.
    await w.c.mail.runOnce();
    await smtp.waitFor(1);
  });
  afterAll(async () => {
    await w.cleanup();
    await smtp.close();
  });

  let requestId = 0;

  test('then the request is open and every owner is mailed, with the note', async () => {
    const res = await w.as.user.post('/seat-requests', { tier: 'premium', note: 'I need the coding tool.' });
    assert.equal(res.status, 201, res.text);
    requestId = res.body.id as number;
    assert.equal(res.body.status, 'open');
    assert.equal(res.body.origin, 'member');
    assert.equal(res.body.email, 'user@acme.example');
    await w.c.mail.runOnce();
    const mails = (await smtp.waitFor(3)).slice(1);
    const to = mails.flatMap((m) => m.envelopeTo).sort();
    assert.deepEqual(to, ['co-owner@acme.example', 'owner@acme.example']);
    assert.match(mails[0]!.subject, /User Person \(user@acme\.example\) asks for a Premium seat/);
    assert.match(mails[0]!.text, /I need the coding tool\./);
    assert.equal((await auditOf(w)).at(-1)!.action, 'seat_request.created');
  });

  test('then asking again for the same tier is refused while it is open', async () => {
    const again = await w.as.user.post('/seat-requests', { tier: 'premium' });
    assert.equal(again.status, 409);
    assert.equal(problem(again).code, 'seat_request_open');
    assert.equal(problem(again).requestId, requestId);
  });

  test('then the member sees it among their own, and only administrators see the list', async () => {
    const mine = await w.as.user.get('/seat-requests/mine');
    assert.deepEqual(
      (mine.body as { requests: { id: number }[] }).requests.map((r) => r.id),
      [requestId],
    );
    assert.equal(problem(await w.as.user.get('/seat-requests')).requiredRole, 'admin');
    const listed = await w.as.admin.get('/seat-requests?status=open');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.requests[0].note, 'I need the coding tool.');
  });

  test('then granting with no premium seat free is refused, naming the purchase, and changes nothing', async () => {
    const digest = await databaseDigest(w);
    const res = await w.as.admin.post(`/seat-requests/${requestId}/grant`);
    assert.equal(res.status, 409);
    assert.equal(problem(res).code, 'seats_exhausted');
    assert.deepEqual(problem(res).purchase, { add: { premium: 1 } });
    assert.equal(await databaseDigest(w), digest);
  });

  test('then granting once a seat is bought moves the member and mails them', async () => {
    const quote = await w.c.billing.quote(w.organisationId, { add: { premium: 1 } }, OPERATOR);
    await w.c.billing.confirm(w.organisationId, quote.id, OPERATOR);
    const before = smtp.messages.length;
    const res = await w.as.admin.post(`/seat-requests/${requestId}/grant`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'granted');
    const member = await w.as.admin.get(`/members/${w.as.user.memberId}`);
    assert.equal(member.body.tier, 'premium');
    await w.c.mail.runOnce();
    const mails = (await smtp.waitFor(before + 1)).slice(before);
    // The owners also hear that premium is now fully used (the seat usage notice).
    const mail = mails.find((m) => m.envelopeTo.includes('user@acme.example'));
    assert.ok(mail, 'the requester is mailed');
    assert.match(mail.subject, /your request for a Premium seat was granted/);
    const actions = (await auditOf(w)).map((a) => a.action);
    assert.ok(actions.includes('seat_request.granted'));
    const decided = await w.as.admin.post(`/seat-requests/${requestId}/grant`);
    assert.equal(problem(decided).code, 'seat_request_decided');
  });

  test('then a declined request mails the reason, and cannot be decided twice', async () => {
    const other = await seatedMember(w, 'user', 'dora');
    const dora = await w.signedIn(other.id);
    const asked = await dora.post('/seat-requests', { tier: 'premium' });
    assert.equal(asked.status, 201);
    const before = smtp.messages.length;
    const res = await w.as.admin.post(`/seat-requests/${asked.body.id}/decline`, {
      reason: 'Budget is spent.',
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'declined');
    assert.equal(res.body.reason, 'Budget is spent.');
    await w.c.mail.runOnce();
    const mails = (await smtp.waitFor(before + 3)).slice(before);
    const toDora = mails.find((m) => m.envelopeTo.includes('dora@acme.example'))!;
    assert.match(toDora.subject, /was declined/);
    assert.match(toDora.text, /Budget is spent\./);
    assert.equal(
      problem(await w.as.admin.post(`/seat-requests/${asked.body.id}/decline`, {})).code,
      'seat_request_decided',
    );
    // Declined, the person may ask again.
    assert.equal((await dora.post('/seat-requests', { tier: 'premium' })).status, 201);
  });

  test('then bad input and callers who may not are problems', async () => {
    const tokens = await tokensOfEachRole(w);
    assert.equal((await w.withToken(tokens.owner).post('/seat-requests', { tier: 'premium' })).status, 403);
    assert.equal(problem(await w.as.admin.post('/seat-requests', { tier: 'gold' })).code, 'unknown_tier');
    assert.equal(problem(await w.as.admin.post('/seat-requests', { tier: '' })).code, 'validation_failed');
    assert.equal(
      problem(await w.as.admin.post('/seat-requests', { tier: 'premium', note: 'x'.repeat(501) })).code,
      'validation_failed',
    );
    assert.equal(
      problem(await w.as.admin.post('/seat-requests', { tier: 'premium', extra: 1 })).code,
      'validation_failed',
    );
    assert.equal(problem(await w.as.user.post('/seat-requests', { tier: 'premium' })).code, 'seat_held');
    assert.equal(problem(await w.as.admin.post('/seat-requests/abc/grant')).code, 'validation_failed');
    assert.equal((await w.as.admin.post('/seat-requests/999/grant')).status, 404);
    assert.equal(problem(await w.as.user.post('/seat-requests/1/decline', {})).requiredRole, 'admin');
    assert.equal(
      problem(await w.as.admin.post('/seat-requests/1/decline', { reason: 'x'.repeat(501) })).code,
      'validation_failed',
    );
  });
});
