// A SAML connection's SP private key is a stored secret like the others (db/secret-box.ts): sealed
// at rest under the secrets key, never in the database file in the clear, and sealed again under a
// new key by `seatkeeper secrets rotate` (storedSecrets.rotate), still opening afterwards.
import { afterAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { createPrivateKey } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FixedClock } from '../../../domain/clock.js';
import { OPERATOR } from '../../../domain/model.js';
import { newSecretKey, type SecretKey } from '../../../db/secret-box.js';
import { buildContainer, type Container } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';
import { exampleOrganisation, tempDir, TEST_OUTBOUND } from '../../helpers/fixtures.js';

describe('SAML SP private keys at rest', () => {
  const dir = tempDir('seatkeeper-sp-keys-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const container = (keys: SecretKey[]): Promise<Container> =>
    buildContainer({
      config: {
        databasePath: join(dir, 'seatkeeper.db'),
        dbBusyTimeoutMs: 5000,
        quoteTtlSeconds: 900,
        webhooks: { allowHttp: true, pollIntervalSeconds: 0 },
        outbound: TEST_OUTBOUND,
        secrets: { keys, keyFile: null },
      },
      clock: new FixedClock('2026-03-01T09:00:00Z'),
      logger: createLogger('silent', { write: () => undefined }),
    });
  const stored = (): string[] => {
    const db = new Database(join(dir, 'seatkeeper.db'), { readonly: true });
    try {
      return (db.prepare('SELECT private_key FROM saml_sp_keys').all() as { private_key: string }[]).map(
        (r) => r.private_key,
      );
    } finally {
      db.close();
    }
  };

  test('When a SAML connection gets its key, then the private key is stored sealed, and secrets rotation seals it again under the new key, still usable', async () => {
    const first = newSecretKey();
    let c = await container([first]);
    const { organisation } = await c.organisations.create(exampleOrganisation(), OPERATOR);
    const connection = await c.sso.createConnection(
      organisation.id,
      {
        protocol: 'saml',
        name: 'Okta',
        idpEntityId: 'https://idp.example/saml',
        idpSsoUrl: 'https://idp.example/saml/sso',
        idpCerts: ['MIIC8DCCAdigAwIBAgIQExampleCertificateBodyOnlyForTests0123456789=='],
      },
      OPERATOR,
    );
    await c.sso.ensureServiceProviderKey(connection.id);
    const pem = (await c.sso.signingKey(connection.id))!;
    assert.match(pem, /BEGIN PRIVATE KEY/);
    assert.ok(stored().every((v) => v.startsWith(`v1:${first.id}:`)));
    await c.close();
    const file = readFileSync(join(dir, 'seatkeeper.db'), 'latin1');
    assert.ok(!file.includes('PRIVATE KEY'), 'not in the database file');

    const second = newSecretKey();
    c = await container([second, first]);
    assert.ok((await c.storedSecrets.rotate()).resealed >= 1);
    assert.ok(stored().every((v) => v.startsWith(`v1:${second.id}:`)));
    assert.equal(await c.sso.signingKey(connection.id), pem, 'opens under the new key');
    createPrivateKey((await c.sso.decryptionKeys(connection.id))[0]!);
    await c.close();
  });
});
