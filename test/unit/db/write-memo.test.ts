// What a write remembers: within one write, an organisation's webhook subscriptions are read once
// (every audited change reads them). What the write itself changes, and what a rolled-back savepoint
// undoes, must not be remembered past it: an endpoint created in the write receives the write's
// later events, and one created in a savepoint that was rolled back receives none. On both backends.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { recordAudit } from '../../../audit/record.js';
import type { Queries } from '../../../db/port.js';
import { createSecretBox, newSecretKey } from '../../../db/secret-box.js';
import { OPERATOR } from '../../../domain/model.js';
import { storeBackends, type StoreBackend } from '../../helpers/store-backends.js';

const suite = storeBackends('write-memo', 4);
const key = newSecretKey();
const secrets = createSecretBox({ keys: () => [key] });
const AT = '2026-03-01T09:00:00.000Z';

let n = 0;

/** An organisation and one member of it, to audit changes of. */
async function organisation(q: Queries): Promise<{ organisationId: number; memberId: number }> {
  n += 1;
  const organisationId = await q.organisations.insert(`memo-${n}`, `Memo ${n}`, AT);
  const member = await q.members.insert({
    organisationId,
    email: `person${n}@memo.example`,
    displayName: null,
    role: 'user',
    source: 'manual',
    at: AT,
  });
  return { organisationId, memberId: member.id };
}

const audit = (q: Queries, organisationId: number, memberId: number) =>
  recordAudit(q, {
    organisationId,
    at: AT,
    actor: OPERATOR,
    action: 'member.created',
    subjectType: 'member',
    subjectId: memberId,
    after: { email: 'person@memo.example', seatState: 'seated' },
  });

const endpoint = (q: Queries, organisationId: number) =>
  q.webhooks.insertEndpoint({
    organisationId,
    url: 'https://hooks.example.com/in',
    description: '',
    events: ['member.created'],
    secret: 'whsec_memo',
    at: AT,
  });

const deliveries = async (q: Queries, endpointId: number) =>
  (await q.webhooks.deliveries(endpointId, Number.MAX_SAFE_INTEGER, 100)).length;

describe.each(suite.backends)('$name: subscriptions remembered within a write', (backend: StoreBackend) => {
  test('When a write audits, creates an endpoint, then audits again, then the endpoint receives the second event', async () => {
    const store = backend.open(secrets);
    const received = await store.write(async (q) => {
      const { organisationId, memberId } = await organisation(q);
      await audit(q, organisationId, memberId); // no endpoint yet: nothing to deliver, and read
      const endpointId = await endpoint(q, organisationId);
      await audit(q, organisationId, memberId);
      await audit(q, organisationId, memberId);
      return await deliveries(q, endpointId);
    });
    assert.equal(received, 2);
  });

  test('When an endpoint created in a savepoint is rolled back, then the write’s later events are not delivered to it', async () => {
    const store = backend.open(secrets);
    const { organisationId, endpointId, kept } = await store.write(async (q) => {
      const { organisationId, memberId } = await organisation(q);
      const kept = await endpoint(q, organisationId);
      let endpointId = 0;
      await assert.rejects(
        q.savepoint(async () => {
          endpointId = await endpoint(q, organisationId);
          await audit(q, organisationId, memberId); // read with the new endpoint, inside
          throw new Error('undone');
        }),
        /undone/,
      );
      await audit(q, organisationId, memberId);
      return { organisationId, endpointId, kept };
    });
    const [toKept, toUndone, live] = await store.read(async (q) => [
      await deliveries(q, kept),
      await deliveries(q, endpointId),
      (await q.webhooks.endpoints(organisationId)).map((e) => e.id),
    ]);
    assert.deepEqual(live, [kept]);
    assert.equal(toUndone, 0);
    assert.equal(toKept, 1, 'the event after the rollback reaches the endpoint that stayed');
  });
});
