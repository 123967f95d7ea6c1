// Webhook delivery to a real receiving server on 127.0.0.1: every change an owner subscribed to
// arrives signed in the Standard Webhooks format (checked with the specification's reference
// verifier), in order per member; a receiver that is away for a while gets everything later,
// nothing lost, and anything received twice carries the same event id.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import assert from '../../helpers/assert.js';
import { randomBytes } from 'node:crypto';
import { WebhookVerificationError } from 'standardwebhooks';
import { HIGHEST, OPERATOR } from '../../../domain/model.js';
import type { Queries } from '../../../db/port.js';
import {
  newWebhookSecret,
  sign,
  standardSecret,
  verifyLegacySignature,
} from '../../../webhooks/signature.js';
import { apiWorld, type ApiWorld } from '../../helpers/api.js';
import { sample } from '../../helpers/operations.js';
import {
  addWebhookEndpoint,
  startWebhookReceiver,
  verifyDelivery,
  type Received,
  type WebhookReceiver,
} from '../../helpers/webhook-receiver.js';

interface Event {
  id: string;
  type: string;
  createdAt: string;
  organisation: { id: number; slug: string };
  data: { member?: { id: number; email: string; seatState: string; tierId: string | null } };
}

const parse = (r: Received) => JSON.parse(r.body) as Event;
const seconds = (w: ApiWorld) => Math.floor(w.clock.now().toMillis() / 1000);

async function world(): Promise<ApiWorld> {
  return await apiWorld('2026-03-01T09:00:00Z', { webhooks: { allowHttp: true, pollIntervalSeconds: 0 } });
}

/** A new seated member: in a write of its own, or in the caller's when given its q. */
async function admit(w: ApiWorld, local: string, within?: Queries) {
  const input = { email: `${local}@acme.example`, displayName: local, role: 'user' } as const;
  return within
    ? await w.c.members.admitIn(within, w.organisationId, input, 'scim', HIGHEST, OPERATOR)
    : await w.c.members.admit(w.organisationId, input, 'scim', HIGHEST, OPERATOR);
}

/** The webhook events the server recorded, oldest first (read through its own queries). */
async function readEvents(
  w: ApiWorld,
): Promise<{ id: number; public_id: string; type: string; member_id: number | null }[]> {
  const byId = new Map<number, { id: number; public_id: string; type: string; member_id: number | null }>();
  await w.c.store.read(async (q) => {
    for (const endpoint of await q.webhooks.endpoints(w.organisationId)) {
      for (const d of await q.webhooks.deliveries(endpoint.id, Number.MAX_SAFE_INTEGER, 10_000)) {
        byId.set(d.eventId, {
          id: d.eventId,
          public_id: d.eventPublicId,
          type: d.eventType,
          member_id: d.memberId,
        });
      }
    }
  });
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

describe('Webhook delivery', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());

  test('When members arrive, are invited and lose their seat, then a stock Standard Webhooks verifier accepts each event with the secret shown, and refuses any other body, secret or time', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    receiver.answer(200);
    const { secret } = await addWebhookEndpoint(w, receiver.url);

    const invited = await w.as.admin.post('/invitations', { email: 'nina@acme.example', role: 'user' });
    assert.equal(invited.status, 201, invited.text);
    const sam = await admit(w, 'sam');
    await w.c.seats.release(w.organisationId, sam.id, OPERATOR, 'deactivated');

    const run = await w.c.webhookWorker.runOnce();
    assert.equal(run.failed + run.retried, 0);
    const events = receiver.received.map(parse);
    assert.equal(run.delivered, events.length);

    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'whsec_ and the base64 of 32 bytes');
    for (const r of receiver.received) {
      assert.deepEqual(verifyDelivery(secret, r, seconds(w)), parse(r), 'signed with the endpoint secret');
      const tampered = { ...r, body: r.body.replace('acme', 'acne') };
      assert.throws(() => verifyDelivery(secret, tampered, seconds(w)), WebhookVerificationError);
      const otherId = { ...r, headers: { ...r.headers, 'webhook-id': 'evt_other' } };
      assert.throws(() => verifyDelivery(secret, otherId, seconds(w)), WebhookVerificationError);
      assert.throws(() => verifyDelivery(newWebhookSecret(), r, seconds(w)), /No matching signature/);
      assert.throws(() => verifyDelivery(secret, r, seconds(w) + 301), /too old/);
      assert.throws(() => verifyDelivery(secret, r, seconds(w) - 301), /too new/);
      assert.equal(r.headers['webhook-id'], parse(r).id, 'the event id: what receivers deduplicate by');
      assert.equal(r.headers['webhook-timestamp'], String(seconds(w)));
      assert.match(String(r.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]{43}=$/);
      assert.equal(r.headers['seatkeeper-event-type'], parse(r).type);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['seatkeeper-signature'], undefined, 'no earlier header for a new endpoint');
      assert.equal(r.headers['seatkeeper-event-id'], undefined);
    }
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'every event has its own id');
    assert.ok(events.every((e) => /^evt_[0-9a-f-]{36}$/.test(e.id)));
    assert.ok(events.every((e) => e.organisation.slug === 'acme'));

    const ofSam = events.filter((e) => e.data.member?.id === sam.id).map((e) => e.type);
    assert.deepEqual(ofSam, ['member.created', 'seat.claimed', 'seat.released', 'member.deactivated']);
    const ofNina = events.filter((e) => e.data.member?.email === 'nina@acme.example').map((e) => e.type);
    assert.deepEqual(ofNina, ['member.created', 'invitation.created']);
    const released = events.find((e) => e.type === 'seat.released')!;
    assert.equal(released.data.member?.seatState, 'deactivated');
    // Order is promised per member (above), not across members.
    assert.deepEqual(
      (await readEvents(w)).map((e) => e.public_id).sort(),
      events.map((e) => e.id).sort(),
      'exactly the stored events',
    );
  });

  test('When an endpoint still has a secret of the earlier form, then its deliveries carry the earlier header as before and the Standard headers under the same key, until the secret is rotated', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    receiver.answer(200);
    const { id } = await addWebhookEndpoint(w, receiver.url, ['member.created']);
    // What endpoints were given before the Standard Webhooks format: whsec_ and 43 base64url characters.
    const earlier = `whsec_${randomBytes(32).toString('base64url')}`;
    await w.c.store.write(async (q) =>
      q.webhooks.updateEndpoint(
        (await q.webhooks.endpoint(w.organisationId, id))!,
        { secret: earlier },
        w.clock.now().toISO()!,
      ),
    );
    const shown = await w.as.owner.get(`/webhooks/${id}`);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.legacySignatureHeader, true, 'owners can see which endpoints still get it');

    await admit(w, 'lea');
    assert.equal((await w.c.webhookWorker.runOnce()).delivered, 1);
    const [old] = receiver.received;
    assert.ok(old);
    const header = old.headers['seatkeeper-signature'] as string;
    assert.ok(
      verifyLegacySignature(earlier, header, old.body, seconds(w)),
      'an unchanged receiver still works',
    );
    assert.equal(old.headers['seatkeeper-event-id'], parse(old).id);
    // A receiver moving over needs nothing new from the owner: whsec_ and the base64 of its secret.
    const derived = `whsec_${Buffer.from(earlier, 'utf8').toString('base64')}`;
    assert.equal(standardSecret(earlier), derived);
    assert.deepEqual(verifyDelivery(derived, old, seconds(w)), parse(old));
    assert.throws(
      () => verifyDelivery(earlier, old, seconds(w)),
      'the earlier text itself is not a whsec_ key',
    );

    const rotated = await w.as.owner.post(`/webhooks/${id}/rotate-secret`);
    assert.equal(rotated.status, 200, rotated.text);
    const fresh = rotated.body.secret as string;
    assert.equal(rotated.body.legacySignatureHeader, false);
    await admit(w, 'max');
    assert.equal((await w.c.webhookWorker.runOnce()).delivered, 1);
    const next = receiver.received[1]!;
    assert.equal(next.headers['seatkeeper-signature'], undefined, 'rotating ends the earlier header');
    assert.deepEqual(verifyDelivery(fresh, next, seconds(w)), parse(next));
    // The overlap: the earlier key still signs webhook-signature, so a receiver can switch later.
    assert.deepEqual(verifyDelivery(derived, next, seconds(w)), parse(next));

    w.clock.advance({ hours: 24 });
    await admit(w, 'after');
    assert.equal((await w.c.webhookWorker.runOnce()).delivered, 1);
    const last = receiver.received[2]!;
    assert.deepEqual(verifyDelivery(fresh, last, seconds(w)), parse(last));
    assert.throws(() => verifyDelivery(derived, last, seconds(w)), /No matching signature/);
  });

  test('When a delivery is signed with two secrets, then a stock verifier accepts it with either, and no other', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const now = 1_772_355_600;
    const body = JSON.stringify({ id: 'evt_1', type: 'member.created' });
    const headers = {
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(now),
      'webhook-signature': sign([a, b], 'evt_1', now, body),
    };
    assert.match(headers['webhook-signature'], /^v1,\S+ v1,\S+$/, 'space-separated');
    const delivery: Received = { headers, body, status: 200 };
    assert.deepEqual(verifyDelivery(a, delivery, now), JSON.parse(body));
    assert.deepEqual(verifyDelivery(b, delivery, now), JSON.parse(body));
    assert.throws(() => verifyDelivery(newWebhookSecret(), delivery, now), /No matching signature/);
  });

  test('When the receiver fails and then is down for hours, then every event is delivered once it is back, in order per member, none lost, repeats only with the same event id', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    const endpoint = await addWebhookEndpoint(w, receiver.url);

    receiver.answer(503);
    const ann = await admit(w, 'ann');
    const bob = await admit(w, 'bob');
    await w.c.seats.unassign(w.organisationId, ann.id, OPERATOR);
    await w.c.seats.claim(w.organisationId, ann.id, HIGHEST, OPERATOR);
    await w.c.seats.release(w.organisationId, ann.id, OPERATOR, 'removed');
    const first = await w.c.webhookWorker.runOnce();
    assert.equal(first.delivered, 0);
    assert.equal(first.retried, 2, 'only the head of each member is tried: the rest wait their turn');
    assert.equal(receiver.received.length, 2);

    await receiver.down();
    for (let hour = 0; hour < 3; hour++) {
      w.clock.advance({ hours: 1 });
      const run = await w.c.webhookWorker.runOnce();
      assert.equal(run.delivered, 0);
      assert.ok(run.retried > 0, 'refused connections are retried');
    }
    assert.equal(receiver.received.length, 2, 'nothing arrives while the receiver is down');
    const waiting = await w.c.metrics.registry.metrics();
    assert.equal(sample(waiting, 'seatkeeper_webhook_outbox_pending'), (await readEvents(w)).length);
    assert.equal(sample(waiting, 'seatkeeper_webhook_outbox_retrying'), 2, 'the two heads have failed');
    assert.ok((sample(waiting, 'seatkeeper_webhook_outbox_oldest_pending_seconds') ?? 0) >= 3 * 3600);

    await receiver.up();
    receiver.answer(200);
    for (let round = 0; round < 20; round++) {
      w.clock.advance({ hours: 1, minutes: 1 }); // past the longest backoff (an hour)
      await w.c.webhookWorker.runOnce();
      if ((await w.c.store.read((q) => q.webhooks.counts())).pending === 0) break;
    }
    assert.deepEqual(await w.c.store.read((q) => q.webhooks.counts()), { pending: 0, failed: 0 });

    const stored = await readEvents(w);
    const delivered = receiver.received.filter((r) => r.status === 200).map(parse);
    assert.deepEqual(
      delivered.map((e) => e.id).sort(),
      stored.map((e) => e.public_id).sort(),
      'every stored event was answered 200 exactly once: none lost, none delivered twice after success',
    );
    // A repeat (answered 503 first, then 200) is the same event: same id, same body.
    const bodies = new Map<string, string>();
    for (const r of receiver.received) {
      const id = parse(r).id;
      if (bodies.has(id)) assert.equal(bodies.get(id), r.body, 'a repeat carries the same event');
      bodies.set(id, r.body);
    }
    assert.ok(receiver.received.length > delivered.length, 'some events were received more than once');

    for (const member of [ann, bob]) {
      const expected = stored.filter((e) => e.member_id === member.id).map((e) => e.public_id);
      const got = delivered.filter((e) => e.data.member?.id === member.id).map((e) => e.id);
      assert.deepEqual(got, expected, `member ${member.id}: delivered in the order the changes happened`);
      // Nothing of this member is even attempted before the event before it was delivered.
      let done = 0;
      for (const r of receiver.received.filter((x) => parse(x).data.member?.id === member.id)) {
        assert.equal(expected.indexOf(parse(r).id), done, 'no event overtakes an undelivered earlier one');
        if (r.status === 200) done += 1;
      }
    }
    const annTypes = delivered.filter((e) => e.data.member?.id === ann.id).map((e) => e.type);
    assert.deepEqual(annTypes, [
      'member.created',
      'seat.claimed',
      'seat.released',
      'seat.claimed',
      'seat.released',
      'member.removed',
    ]);

    const log = await w.as.owner.get(`/webhooks/${endpoint.id}/deliveries?limit=100`);
    assert.equal(log.status, 200, log.text);
    const annFirst = (
      log.body as {
        deliveries: {
          eventPublicId: string;
          attemptLog: { status: number | null; error: string | null }[];
        }[];
      }
    ).deliveries.find((d) => d.eventPublicId === stored.find((e) => e.member_id === ann.id)!.public_id);
    assert.ok(annFirst);
    assert.deepEqual(
      annFirst.attemptLog.map((a) => a.status),
      [503, null, null, null, 200],
      'the log shows each attempt: the 503, three refusals while down, then the delivery',
    );
    assert.match(annFirst.attemptLog[1]!.error ?? '', /ECONNREFUSED|fetch failed/);

    const metrics = await w.c.metrics.registry.metrics();
    assert.equal(
      sample(metrics, 'seatkeeper_webhook_deliveries_total', { outcome: 'delivered' }),
      stored.length,
    );
    assert.ok((sample(metrics, 'seatkeeper_webhook_deliveries_total', { outcome: 'retried' }) ?? 0) >= 5);
    assert.equal(sample(metrics, 'seatkeeper_webhook_outbox_pending'), 0);
  });

  test('When a worker dies holding a delivery, then another sends it once the lease runs out, with the same event id', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    receiver.answer(200);
    await addWebhookEndpoint(w, receiver.url, ['member.created']);
    await admit(w, 'cara');
    const now = w.clock.now().toISO()!;
    const [id] = await w.c.store.read((q) => q.webhooks.due(now, 10));
    assert.ok(id !== undefined);
    // A worker leases it and dies before recording anything.
    const leased = await w.c.store.write((q) =>
      q.webhooks.lease(id, now, w.clock.now().plus({ seconds: 25 }).toISO()!),
    );
    assert.ok(leased);
    assert.equal((await w.c.webhookWorker.runOnce()).delivered, 0, 'the lease keeps others off');
    w.clock.advance({ seconds: 26 });
    assert.equal((await w.c.webhookWorker.runOnce()).delivered, 1);
    assert.equal(receiver.received.length, 1);
    assert.equal(parse(receiver.received[0]!).id, leased.eventPublicId);
    assert.equal((await w.c.store.read((q) => q.webhooks.delivery(id)))!.attempts, 2);
  });

  test('When seats are bought and the last one of a tier is taken, then invoice.issued and seats.exhausted arrive, once', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    receiver.received.length = 0;
    receiver.answer(200);
    await addWebhookEndpoint(w, receiver.url, ['invoice.issued', 'seats.exhausted']);

    const quote = await w.as.owner.post('/billing/quotes', { add: { premium: 1 } });
    assert.equal(quote.status, 200, quote.text);
    const confirmed = await w.as.owner.post(`/billing/quotes/${quote.body.id as string}/confirm`);
    assert.equal(confirmed.status, 201, confirmed.text);
    const premiumTaker = await admit(w, 'pia'); // the highest available tier: the one premium seat
    assert.equal(premiumTaker.tierId, 'premium');
    await admit(w, 'stan'); // standard: premium is full, standard is not
    await w.c.webhookWorker.runOnce();

    const events = receiver.received.map(parse) as (Event & {
      data: {
        invoice?: { number: string; totalMinor: number };
        tier?: string;
        allocation?: number;
        held?: number;
      };
    })[];
    assert.deepEqual(
      events.map((e) => e.type),
      ['invoice.issued', 'seats.exhausted'],
    );
    assert.equal(events[0]!.data.invoice?.number, confirmed.body.number);
    assert.equal(events[0]!.data.invoice?.totalMinor, confirmed.body.totalMinor);
    assert.deepEqual(
      { tier: events[1]!.data.tier, allocation: events[1]!.data.allocation, held: events[1]!.data.held },
      { tier: 'premium', allocation: 1, held: 1 },
    );
    assert.equal(events[1]!.data.member?.id, premiumTaker.id, 'names the claim that took the last seat');
  });

  test('When a change rolls back, then no event is recorded for it', async () => {
    const t = perTest();
    const w = await world();
    t.after(() => w.cleanup());
    await addWebhookEndpoint(w, receiver.url);
    await assert.rejects(() =>
      w.c.store.write(async (q) => {
        await admit(w, 'dora', q);
        throw new Error('the request failed after the member was written');
      }),
    );
    assert.deepEqual(await readEvents(w), []);
    assert.deepEqual(await w.c.store.read((q) => q.webhooks.counts()), { pending: 0, failed: 0 });
  });
});
