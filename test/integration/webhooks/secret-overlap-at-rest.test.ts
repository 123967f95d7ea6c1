// A rotated-out webhook secret is a stored secret like the current one: sealed at rest, resealed
// by `seatkeeper secrets rotate`, so retiring the old storage key during a rotation's overlap
// leaves deliveries signed by both secrets.
import assert from '../../helpers/assert.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { FixedClock } from '../../../domain/clock.js';
import { HIGHEST, OPERATOR } from '../../../domain/model.js';
import { newSecretKey } from '../../../db/secret-box.js';
import { buildContainer, type Container } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';
import { exampleOrganisation, tempDir, TEST_OUTBOUND } from '../../helpers/fixtures.js';
import {
  startWebhookReceiver,
  verifyDelivery,
  type WebhookReceiver,
} from '../../helpers/webhook-receiver.js';

const NOW = '2026-03-01T09:00:00Z';

describe('Webhook secret overlap at rest', () => {
  let receiver: WebhookReceiver;
  const dir = tempDir('seatkeeper-overlap-');
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (keys: ReturnType<typeof newSecretKey>[]): Promise<Container> =>
    buildContainer({
      config: {
        databasePath: join(dir, 'seatkeeper.db'),
        dbBusyTimeoutMs: 5000,
        quoteTtlSeconds: 900,
        webhooks: { allowHttp: true, pollIntervalSeconds: 0 },
        outbound: TEST_OUTBOUND,
        secrets: { keys, keyFile: null },
      },
      clock: new FixedClock(NOW),
      logger: createLogger('silent'),
    });

  test('When the storage key is replaced during an overlap, then the previous secret is resealed too and still signs', async () => {
    const [oldKey, newKey] = [newSecretKey(), newSecretKey()];
    let c = await open([oldKey]);
    const { organisation, primaryOwner } = await c.organisations.create(exampleOrganisation(), OPERATOR);
    await c.seats.acceptInvitation(organisation.id, primaryOwner.id, OPERATOR);
    const made = await c.webhooks.create(organisation.id, { url: receiver.url, events: ['*'] }, OPERATOR);
    const rotated = await c.webhooks.rotateSecret(organisation.id, made.endpoint.id, OPERATOR);
    await c.close();

    c = await open([newKey, oldKey]);
    assert.equal((await c.storedSecrets.rotate()).resealed, 2, 'the current and the previous secret');
    await c.close();

    // The old key is gone: a secret still sealed under it would stop the start or the signing.
    c = await open([newKey]);
    try {
      receiver.received.length = 0;
      await c.members.admit(
        organisation.id,
        { email: 'erin@acme.example', displayName: 'Erin', role: 'user' },
        'manual',
        HIGHEST,
        OPERATOR,
      );
      await c.webhookWorker.runOnce();
      const now = Math.floor(Date.parse(NOW) / 1000);
      assert.ok(receiver.received.length > 0);
      for (const r of receiver.received) {
        assert.ok(verifyDelivery(rotated.secret, r, now));
        assert.ok(verifyDelivery(made.secret, r, now));
      }
    } finally {
      await c.close();
    }
  });
});
