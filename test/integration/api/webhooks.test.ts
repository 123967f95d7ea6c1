// The webhook endpoints of the admin API: owners add endpoints (the secret shown once), change,
// disable, rotate and delete them, read the delivery log and redeliver; bad input is a 400 problem
// that names the field and writes nothing.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import { HIGHEST, OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { createExample } from '../../helpers/fixtures.js';
import {
  addWebhookEndpoint,
  startWebhookReceiver,
  verifyDelivery,
  type WebhookReceiver,
} from '../../helpers/webhook-receiver.js';
import { storedState } from '../../helpers/org-state.js';

interface EndpointBody {
  id: number;
  url: string;
  events: string[];
  enabled: boolean;
  secret?: string;
}

describe('admin API: webhooks', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());

  async function world(allowHttp = true): Promise<ApiWorld> {
    return await apiWorld('2026-03-01T09:00:00Z', { webhooks: { allowHttp, pollIntervalSeconds: 0 } });
  }

  let n = 0;
  const admit = (w: ApiWorld) =>
    w.c.members.admit(
      w.organisationId,
      { email: `person${++n}@acme.example`, displayName: `Person ${n}`, role: 'user' },
      'manual',
      HIGHEST,
      OPERATOR,
    );

  test('When an owner adds an endpoint, then the secret is shown once: never in the list, the endpoint or its log', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    const made = await w.as.owner.post('/webhooks', {
      url: receiver.url,
      description: 'HR system',
      events: ['member.created', 'member.removed', 'member.created'],
    });
    assert.equal(made.status, 201, made.text);
    const body = made.body as EndpointBody;
    assert.match(body.secret ?? '', /^whsec_[A-Za-z0-9+/]{43}=$/, 'Standard Webhooks: whsec_ and base64');
    assert.equal((made.body as { legacySignatureHeader: boolean }).legacySignatureHeader, false);
    assert.deepEqual(body.events, ['member.created', 'member.removed'], 'duplicates dropped');
    assert.equal(made.headers.location, `/api/v1/webhooks/${body.id}`);

    const listed = await w.as.owner.get('/webhooks');
    assert.equal(listed.status, 200);
    assert.ok(!listed.text.includes(body.secret!), 'the list never shows the secret');
    assert.ok((listed.body.eventTypes as string[]).includes('seats.exhausted'));
    const shown = await w.as.owner.get(`/webhooks/${body.id}`);
    assert.equal(shown.status, 200);
    assert.equal('secret' in shown.body, false);
    const audit = await w.as.owner.get('/audit?action=webhook_endpoint.');
    assert.ok(!audit.text.includes(body.secret!), 'nor does the audit log');
    assert.equal((audit.body.entries as unknown[]).length, 1);
  });

  test('When the body is wrong, then 400 names the field and nothing is written', async () => {
    const t = perTest();
    const strict = await world(false);
    t.after(() => strict.cleanup());
    const cases: [unknown, string][] = [
      [{ url: 'http://hooks.example/x', events: ['*'] }, '/url'],
      [{ url: 'not a url', events: ['*'] }, '/url'],
      [{ url: 'https://user:pw@hooks.example/x', events: ['*'] }, '/url'],
      [{ url: 'ftp://hooks.example/x', events: ['*'] }, '/url'],
      [{ url: 'https://hooks.example/x', events: ['member.exploded'] }, '/events'],
      [{ url: 'https://hooks.example/x', events: [] }, '/events'],
      [{ url: 'https://hooks.example/x' }, '/events'],
      [{ url: 'https://hooks.example/x', events: ['*'], secret: 'mine' }, ''],
      [{ url: 42, events: ['*'] }, '/url'],
    ];
    for (const [body, pointer] of cases) {
      const before = await storedState(strict);
      const res = await strict.as.owner.post('/webhooks', body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      const p = problem(res);
      if (pointer !== '') {
        const pointers = ((p.errors ?? []) as { pointer: string }[]).map((e) => e.pointer);
        assert.ok(pointers.includes(pointer), `${JSON.stringify(body)} names ${pointer}: ${res.text}`);
      }
      assert.deepEqual(await storedState(strict), before, `${JSON.stringify(body)} wrote nothing`);
    }
    const empty = await strict.as.owner.post('/webhooks', { url: 'https://hooks.example/x', events: [] });
    assert.match(problem(empty).detail ?? '', /at least one event type, or "\*" for all/);
    const https = await strict.as.owner.post('/webhooks', { url: 'https://hooks.example/x', events: ['*'] });
    assert.equal(https.status, 201, 'https is always accepted');
  });

  test('When an endpoint is disabled, then its deliveries wait in order and go out when it is enabled again', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    receiver.answer(200);
    const { id } = await addWebhookEndpoint(w, receiver.url, ['member.created']);
    const queued = await admit(w);
    const off = await w.as.owner.patch(`/webhooks/${id}`, { enabled: false });
    assert.equal(off.status, 200);
    assert.equal((off.body as EndpointBody).enabled, false);
    await admit(w); // while disabled: not queued for this endpoint
    assert.equal((await w.c.webhookWorker.runOnce()).delivered, 0, 'what was queued waits');
    assert.equal(receiver.received.length, 0);
    await w.as.owner.patch(`/webhooks/${id}`, { enabled: true });
    const later = await admit(w);
    assert.equal((await w.c.webhookWorker.runOnce()).delivered, 2);
    const got = receiver.received.map((r) => JSON.parse(r.body) as { data: { member: { id: number } } });
    assert.deepEqual(
      got.map((e) => e.data.member.id),
      [queued.id, later.id],
      'the queued delivery resumes; a change made while disabled is not queued for the endpoint',
    );
  });

  test('When the secret is rotated, then for 24 hours deliveries verify with the old secret and the new one, and after only with the new one', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    const made = await addWebhookEndpoint(w, receiver.url, ['*']);
    const rotated = await w.as.owner.post(`/webhooks/${made.id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    const fresh = (rotated.body as EndpointBody).secret!;
    assert.notEqual(fresh, made.secret);
    assert.equal(rotated.body.previousSecretUntil, '2026-03-02T09:00:00.000Z');
    const shown = await w.as.owner.get(`/webhooks/${made.id}`);
    assert.equal(shown.body.previousSecretUntil, '2026-03-02T09:00:00.000Z');
    assert.ok(
      !JSON.stringify(shown.body).includes(fresh) && !JSON.stringify(shown.body).includes(made.secret),
    );

    const audit = await w.as.owner.get('/audit?action=webhook_endpoint.secret_rotated');
    assert.equal((audit.body.entries as unknown[]).length, 1);
    assert.ok(!audit.text.includes(fresh) && !audit.text.includes(made.secret), 'no secret in the log');

    // During the overlap (the last minute of it too): both secrets verify, as two v1 signatures.
    await admit(w);
    w.clock.advance({ hours: 23, minutes: 59 });
    await admit(w);
    await w.c.webhookWorker.runOnce();
    let now = Math.floor(w.clock.now().toMillis() / 1000);
    const during = receiver.received.splice(0);
    assert.ok(during.length >= 2);
    for (const r of during) {
      assert.match(String(r.headers['webhook-signature']), /^v1,\S+ v1,\S+$/);
      assert.ok(verifyDelivery(fresh, r, now));
      assert.ok(verifyDelivery(made.secret, r, now));
    }

    // After it: the new secret alone.
    w.clock.advance({ minutes: 1 });
    await admit(w);
    await w.c.webhookWorker.runOnce();
    now = Math.floor(w.clock.now().toMillis() / 1000);
    const afterwards = receiver.received.splice(0);
    assert.ok(afterwards.length > 0);
    for (const r of afterwards) {
      assert.match(String(r.headers['webhook-signature']), /^v1,\S+$/);
      assert.ok(verifyDelivery(fresh, r, now));
      assert.throws(() => verifyDelivery(made.secret, r, now), /No matching signature/);
    }
    // A day on, the console session has ended: a fresh one reads the endpoint.
    const owner = await w.signedIn(w.as.owner.memberId);
    assert.equal((await owner.get(`/webhooks/${made.id}`)).body.previousSecretUntil, null);
  });

  test('When the secret is rotated twice, then the first secret stops at once and the second signs through the overlap', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    const made = await addWebhookEndpoint(w, receiver.url, ['*']);
    const second = (await w.as.owner.post(`/webhooks/${made.id}/rotate-secret`)).body.secret as string;
    w.clock.advance({ hours: 1 });
    const third = await w.as.owner.post(`/webhooks/${made.id}/rotate-secret`);
    assert.equal(third.body.previousSecretUntil, '2026-03-02T10:00:00.000Z', 'a new overlap from now');
    await admit(w);
    await w.c.webhookWorker.runOnce();
    const now = Math.floor(w.clock.now().toMillis() / 1000);
    const received = receiver.received.splice(0);
    assert.ok(received.length > 0);
    for (const r of received) {
      assert.ok(verifyDelivery(third.body.secret as string, r, now));
      assert.ok(verifyDelivery(second, r, now));
      assert.throws(() => verifyDelivery(made.secret, r, now), /No matching signature/);
    }
  });

  test('When an admin or a user asks to rotate a secret, then 403 and the secret is unchanged', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    const made = await addWebhookEndpoint(w, receiver.url, ['*']);
    for (const who of [w.as.admin, w.as.user]) {
      const res = await who.post(`/webhooks/${made.id}/rotate-secret`);
      assert.equal(res.status, 403);
      assert.equal(problem(res).requiredRole, 'owner');
    }
    assert.equal((await w.as.owner.get(`/webhooks/${made.id}`)).body.previousSecretUntil, null);
    assert.equal((await w.as.owner.post('/webhooks/999999/rotate-secret')).status, 404);
  });

  test('When a delivery is redelivered, then the receiver gets the same event id again, and the log shows both deliveries', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    receiver.answer(200);
    const { id } = await addWebhookEndpoint(w, receiver.url, ['member.created']);
    await admit(w);
    await w.c.webhookWorker.runOnce();
    const log = await w.as.owner.get(`/webhooks/${id}/deliveries`);
    assert.equal(log.status, 200);
    const [first] = log.body.deliveries as { id: number; state: string; eventPublicId: string }[];
    assert.equal(first?.state, 'delivered');
    assert.deepEqual(
      Object.keys(first).sort(),
      [
        'attemptLog',
        'attempts',
        'createdAt',
        'deliveredAt',
        'eventPublicId',
        'eventType',
        'failedAt',
        'id',
        'lastError',
        'lastStatus',
        'nextAttemptAt',
        'state',
      ],
      'what owners see of a delivery: no lease or internal ids',
    );

    const again = await w.as.owner.post(`/webhooks/${id}/deliveries/${first.id}/redeliver`);
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body.eventPublicId, first.eventPublicId);
    await w.c.webhookWorker.runOnce();
    assert.equal(receiver.received.length, 2);
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    assert.deepEqual(ids, [first.eventPublicId, first.eventPublicId]);
    assert.notEqual(
      receiver.received[0]!.headers['seatkeeper-delivery-id'],
      receiver.received[1]!.headers['seatkeeper-delivery-id'],
    );
    const after = (await w.as.owner.get(`/webhooks/${id}/deliveries`)).body.deliveries as { state: string }[];
    assert.deepEqual(
      after.map((d) => d.state),
      ['delivered', 'delivered'],
    );
    const elsewhere = await w.as.owner.post(`/webhooks/${id}/deliveries/999999/redeliver`);
    assert.equal(elsewhere.status, 404);
    assert.equal(problem(elsewhere).code, 'not_found');
  });

  test('When an endpoint is deleted, then nothing more is sent to it, what it had not received is given up, and its id is gone', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    const { id } = await addWebhookEndpoint(w, receiver.url, ['*']);
    await admit(w);
    const gone = await w.as.owner.delete(`/webhooks/${id}`);
    assert.equal(gone.status, 204);
    await admit(w);
    assert.equal((await w.c.webhookWorker.runOnce()).delivered, 0);
    assert.equal(receiver.received.length, 0);
    assert.deepEqual((await w.c.store.read((q) => q.webhooks.counts())).pending, 0);
    assert.ok((await w.c.store.read((q) => q.webhooks.counts())).failed > 0, 'kept in the log as given up');
    assert.equal((await w.as.owner.get(`/webhooks/${id}`)).status, 404);
    assert.equal((await w.as.owner.delete(`/webhooks/${id}`)).status, 404);
  });

  test('When one organisation has an endpoint, then another organisation’s changes never reach it, nor can its owners see it', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    const { id } = await addWebhookEndpoint(w, receiver.url, ['*']);
    const other = await createExample(w, { slug: 'globex' });
    await w.c.members.admit(
      other.organisation.id,
      { email: 'x@globex.example', displayName: 'X', role: 'user' },
      'manual',
      HIGHEST,
      OPERATOR,
    );
    await w.c.webhookWorker.runOnce();
    assert.equal(receiver.received.length, 0);
    const token = await w.c.apiTokens.create(
      other.organisation.id,
      { name: 'globex', role: 'owner' },
      OPERATOR,
    );
    const foreign = w.withToken(token.token);
    assert.equal((await foreign.get(`/webhooks/${id}`)).status, 404);
    assert.deepEqual((await foreign.get('/webhooks')).body.endpoints, []);
  });
});
