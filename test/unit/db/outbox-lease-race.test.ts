// Two workers (on two instances, or two connections of one) reach for the same due outbox row at the
// same moment: exactly one leases it. On PostgreSQL the second worker's statement starts while the
// first's lease is still uncommitted; it must skip the row, not wait for the first to commit and then
// lease it a second time (which a plain `UPDATE … WHERE id = (SELECT …)` does under READ COMMITTED:
// the subquery is not evaluated again on the row the first worker changed). On SQLite the second
// write waits for the first and then finds the row leased. Both for mail and webhook deliveries,
// which share the lease statement (db/queries/outbox-rows.ts).
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import type { Queries, Store } from '../../../db/port.js';
import { createSecretBox, newSecretKey } from '../../../db/secret-box.js';
import { storeBackends, type StoreBackend } from '../../helpers/store-backends.js';

const suite = storeBackends('outbox-lease-race', 6);

/** Endpoints' signing secrets are sealed at rest; the test's key. */
const key = newSecretKey();
const secrets = createSecretBox({ keys: () => [key] });

const T0 = '2026-03-01T09:00:00.000Z';
const T2 = '2026-03-01T09:02:00.000Z';

let n = 0;

/** A due mail row. */
async function dueMail(store: Store): Promise<number> {
  n += 1;
  return await store.write((q) =>
    q.outbox.insert({
      organisationId: null,
      kind: 'invitation',
      recipient: `person${n}@example.com`,
      subject: 'Hello',
      text: 'Hello',
      html: null,
      messageId: `<race${n}@outbox.seatkeeper.invalid>`,
      at: T0,
    }),
  );
}

/**
 * Runs `lease` in two units at once: the first holds its transaction open (its lease written, not
 * committed) while the second runs, then commits. What each unit leased.
 */
async function race<T>(store: Store, lease: (q: Queries) => Promise<T | undefined>) {
  let leased!: () => void;
  const firstHasLeased = new Promise<void>((resolve) => (leased = resolve));
  let commit!: () => void;
  const mayCommit = new Promise<void>((resolve) => (commit = resolve));
  const first = store.write(async (q) => {
    const row = await lease(q);
    leased();
    await mayCommit;
    return row;
  });
  // (or the first unit's failure, which the test then reports)
  await Promise.race([firstHasLeased, first]);
  const second = store.write((q) => lease(q));
  // Long enough for the second statement to reach the row the first has locked (PostgreSQL), or
  // to queue behind the first write (SQLite).
  await new Promise((resolve) => setTimeout(resolve, 150));
  commit();
  return { first: await first, second: await second };
}

describe.each(suite.backends)('$name: two workers leasing one due row at once', (backend: StoreBackend) => {
  test('When two workers lease the same mail row at once, then only the first has it and the attempt is counted once', async () => {
    const store = backend.open();
    const id = await dueMail(store);
    const { first, second } = await race(store, (q) => q.outbox.lease(id, T0, T2));
    assert.equal(first?.id, id);
    assert.equal(second, undefined, 'the second worker leased a row the first holds');
    assert.equal((await store.read((q) => q.outbox.byId(id)))?.attempts, 1);
  });

  test('When two workers lease the same webhook delivery at once, then only the first has it', async () => {
    const store = backend.open(secrets);
    const id = await store.write(async (q) => {
      const organisationId = await q.organisations.insert(`race-${backend.name.toLowerCase()}`, 'Race', T0);
      const endpointId = await q.webhooks.insertEndpoint({
        organisationId,
        url: 'https://hooks.example.com/in',
        description: '',
        events: ['member.created'],
        secret: 'whsec_race',
        at: T0,
      });
      const eventId = await q.webhooks.insertEvent({
        publicId: `evt_race_${backend.name}`,
        organisationId,
        type: 'member.created',
        memberId: null,
        body: '{}',
        at: T0,
      });
      return await q.webhooks.insertDelivery(endpointId, eventId, null, T0);
    });
    const { first, second } = await race(store, (q) => q.webhooks.lease(id, T0, T2));
    assert.equal(first?.id, id);
    assert.equal(second, undefined, 'the second worker leased a delivery the first holds');
  });
});
