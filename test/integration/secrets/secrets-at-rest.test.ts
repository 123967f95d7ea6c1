// Secrets at rest: OIDC client secrets and webhook signing secrets are sealed (AES-256-GCM) in the
// database. They open again for use, but never appear in the database file, a `seatkeeper backup`
// file, a log line or an API response; a value moved to another row does not open; values an
// earlier release stored in plain text are sealed at the next start; `seatkeeper secrets rotate`
// seals everything under a new key while the old key still opens older copies.
import { afterEach, describe, test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import assert from '../../helpers/assert.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FixedClock } from '../../../domain/clock.js';
import { OPERATOR } from '../../../domain/model.js';
import { newSecretKey, parseSecretKeys } from '../../../db/secret-box.js';
import { buildContainer, type Container } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';
import { exampleOrganisation, tempDir, TEST_OUTBOUND } from '../../helpers/fixtures.js';
import { serveApp } from '../../helpers/operations.js';

const ROOT = join(import.meta.dirname, '../../..');
const OIDC_SECRET = 'oidc-client-secret-4b1d9e07c2';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function world(
  dir = tempDir('seatkeeper-secrets-'),
  secrets?: Parameters<typeof buildContainer>[0]['config']['secrets'],
) {
  if (!dirs.includes(dir)) dirs.push(dir);
  let log = '';
  const c: Container = await buildContainer({
    config: {
      databasePath: join(dir, 'seatkeeper.db'),
      dbBusyTimeoutMs: 5000,
      quoteTtlSeconds: 900,
      webhooks: { allowHttp: true, pollIntervalSeconds: 0 },
      outbound: TEST_OUTBOUND,
      ...(secrets ? { secrets } : {}),
    },
    clock: new FixedClock('2026-03-01T09:00:00Z'),
    logger: createLogger('trace', { write: (chunk: string) => void (log += chunk) }),
  });
  return { dir, c, log: () => log };
}

async function acme(c: Container): Promise<number> {
  const { organisation, primaryOwner } = await c.organisations.create(exampleOrganisation(), OPERATOR);
  await c.seats.acceptInvitation(organisation.id, primaryOwner.id, OPERATOR);
  return organisation.id;
}

/** Every byte of the database: the file and its write-ahead log. */
function databaseBytes(dir: string): string {
  const path = join(dir, 'seatkeeper.db');
  return [path, `${path}-wal`]
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p).toString('latin1'))
    .join('');
}

function rawSecrets(dir: string): { sso: string[]; webhooks: string[] } {
  const db = new Database(join(dir, 'seatkeeper.db'), { readonly: true });
  try {
    return {
      sso: db
        .prepare<[], { secret: string }>('SELECT secret FROM sso_connections WHERE secret IS NOT NULL')
        .all()
        .map((r) => r.secret),
      webhooks: db
        .prepare<[], { secret: string }>('SELECT secret FROM webhook_endpoints')
        .all()
        .map((r) => r.secret),
    };
  } finally {
    db.close();
  }
}

function cli(dir: string, env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dir, DATABASE_PATH: '', ...env },
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('Secrets at rest', () => {
  test('When secrets are stored, then they open for use but the database file, a backup, the log and the API responses hold only ciphertext', async () => {
    const t = perTest();
    const w = await world();
    const keyFile = join(w.dir, 'secrets.key');
    assert.match(w.log(), /created a secrets key file/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the key file is its owner’s only');

    const orgId = await acme(w.c);
    const token = (await w.c.apiTokens.create(orgId, { name: 'script', role: 'owner' }, OPERATOR)).token;
    const server = await serveApp(w.c);
    t.after(() => server.close());
    const api = (path: string, body?: unknown) =>
      fetch(`${server.url}/api/v1${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    const hook = await api('/webhooks', { url: 'https://hooks.invalid/seatkeeper', events: ['*'] });
    assert.equal(hook.status, 201);
    const { id: endpointId, secret: webhookSecret } = (await hook.json()) as { id: number; secret: string };
    const oidc = await api('/sso-connections', {
      protocol: 'oidc',
      name: 'Corp',
      issuer: 'https://idp.invalid',
      clientId: 'seatkeeper',
      clientSecret: OIDC_SECRET,
    });
    assert.equal(oidc.status, 201, await oidc.clone().text());
    const { id: connectionId } = (await oidc.json()) as { id: number };

    // They open again, for signing deliveries and talking to the provider.
    assert.equal(await w.c.sso.secret(connectionId), OIDC_SECRET);
    assert.equal(
      await w.c.store.read(async (q) => (await q.webhooks.endpoint(orgId, endpointId))!.secret),
      webhookSecret,
    );

    const secrets = [OIDC_SECRET, webhookSecret, webhookSecret.slice('whsec_'.length)];
    const nowhere = (text: string, where: string) => {
      for (const secret of secrets) assert.ok(!text.includes(secret), `${where} holds a secret`);
    };
    for (const path of ['/webhooks', `/webhooks/${endpointId}`, '/sso-connections', '/audit', '/audit.csv']) {
      const res = await api(path);
      assert.equal(res.status, 200, path);
      nowhere(await res.text(), `GET ${path}`);
    }

    const stored = rawSecrets(w.dir);
    const keyId = (parseSecretKeys(readFileSync(keyFile, 'utf8')) as { id: string }[])[0]!.id;
    for (const value of [...stored.sso, ...stored.webhooks]) {
      assert.match(value, new RegExp(`^v1:${keyId}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$`));
    }
    nowhere(databaseBytes(w.dir), 'the database file');

    const backup = join(w.dir, 'backup.db');
    cli(w.dir, {}, 'backup', backup);
    nowhere(readFileSync(backup).toString('latin1'), 'the backup');
    nowhere(w.log(), 'the log');
    assert.match(w.log(), /"msg":"request"/, 'the log was captured');
  });

  test('When a sealed value is copied into another row, then it does not open there', async () => {
    const w = await world();
    const orgId = await acme(w.c);
    const input = (name: string, clientSecret: string) =>
      ({ protocol: 'oidc', name, issuer: 'https://idp.invalid', clientId: name, clientSecret }) as const;
    const a = await w.c.sso.createConnection(orgId, input('a', 'secret-of-a'), OPERATOR);
    const b = await w.c.sso.createConnection(orgId, input('b', 'secret-of-b'), OPERATOR);
    const db = new Database(join(w.dir, 'seatkeeper.db'));
    db.prepare(
      'UPDATE sso_connections SET secret = (SELECT secret FROM sso_connections WHERE id = ?) WHERE id = ?',
    ).run(a.id, b.id);
    db.close();
    assert.equal(await w.c.sso.secret(a.id), 'secret-of-a');
    await assert.rejects(() => w.c.sso.secret(b.id), /does not open: altered, or sealed for another row/);
    await w.c.close();
  });

  test('When an earlier release stored secrets in plain text, then the next start seals them and they still open', async () => {
    const first = await world();
    const orgId = await acme(first.c);
    const connection = await first.c.sso.createConnection(
      orgId,
      {
        protocol: 'oidc',
        name: 'Corp',
        issuer: 'https://idp.invalid',
        clientId: 'x',
        clientSecret: 'to-be-replaced',
      },
      OPERATOR,
    );
    const endpoint = await first.c.webhooks.create(
      orgId,
      { url: 'https://hooks.invalid/x', events: ['*'] },
      OPERATOR,
    );
    await first.c.close();
    const db = new Database(join(first.dir, 'seatkeeper.db'));
    db.prepare('UPDATE sso_connections SET secret = ?').run('plain-oidc-secret-0042');
    db.prepare('UPDATE webhook_endpoints SET secret = ?').run('whsec_plainPlainPlainPlain0042');
    db.close();

    const second = await world(first.dir);
    assert.match(second.log(), /"secrets":2,"msg":"sealed secrets stored in plain text"/);
    const stored = rawSecrets(first.dir);
    assert.ok([...stored.sso, ...stored.webhooks].every((v) => v.startsWith('v1:')));
    assert.equal(await second.c.sso.secret(connection.id), 'plain-oidc-secret-0042');
    assert.equal(
      await second.c.store.read(
        async (q) => (await q.webhooks.endpoint(orgId, endpoint.endpoint.id))!.secret,
      ),
      'whsec_plainPlainPlainPlain0042',
    );
    const bytes = databaseBytes(first.dir);
    assert.ok(
      !bytes.includes('plain-oidc-secret-0042') && !bytes.includes('PlainPlainPlain0042'),
      'no plain copy left',
    );
    await second.c.close();
  });

  test('When secrets are rotated, then every value is sealed under the new key and the old key still opens older copies', async () => {
    const w = await world();
    const orgId = await acme(w.c);
    const connection = await w.c.sso.createConnection(
      orgId,
      {
        protocol: 'oidc',
        name: 'Corp',
        issuer: 'https://idp.invalid',
        clientId: 'x',
        clientSecret: OIDC_SECRET,
      },
      OPERATOR,
    );
    await w.c.webhooks.create(orgId, { url: 'https://hooks.invalid/x', events: ['*'] }, OPERATOR);
    const keyFile = join(w.dir, 'secrets.key');
    const [oldKey] = parseSecretKeys(readFileSync(keyFile, 'utf8')) as { id: string }[];
    const backup = join(w.dir, 'before-rotation.db');
    cli(w.dir, {}, 'backup', backup);

    const rotated = JSON.parse(cli(w.dir, {}, 'secrets', 'rotate', '--json')) as {
      keyId: string;
      resealed: number;
    };
    assert.equal(rotated.resealed, 2);
    const keys = parseSecretKeys(readFileSync(keyFile, 'utf8')) as { id: string }[];
    assert.deepEqual(
      keys.map((k) => k.id),
      [rotated.keyId, oldKey!.id],
      'the new key first, the old one kept',
    );
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const stored = rawSecrets(w.dir);
    assert.ok([...stored.sso, ...stored.webhooks].every((v) => v.startsWith(`v1:${rotated.keyId}:`)));
    // The running process reads the key file again when it meets the new key.
    assert.equal(await w.c.sso.secret(connection.id), OIDC_SECRET);
    // The backup from before still opens with the kept old key.
    assert.ok(rawSecrets(w.dir).sso[0] !== undefined);
    const fromBackup = new Database(backup, { readonly: true });
    const oldValue = fromBackup.prepare<[], { secret: string }>('SELECT secret FROM sso_connections').get()!
      .secret;
    fromBackup.close();
    assert.ok(oldValue.startsWith(`v1:${oldKey!.id}:`));
    await w.c.close();

    // With SECRETS_KEY, rotation seals under its first key; a key that is not given refuses to start.
    const fresh = newSecretKey();
    const fileKeys = parseSecretKeys(readFileSync(keyFile, 'utf8')) as ReturnType<typeof newSecretKey>[];
    const byEnv = await world(w.dir, { keys: [fresh, ...fileKeys], keyFile: null });
    assert.equal((await byEnv.c.storedSecrets.rotate()).resealed, 2);
    assert.ok(rawSecrets(w.dir).sso.every((v) => v.startsWith(`v1:${fresh.id}:`)));
    assert.equal(await byEnv.c.sso.secret(connection.id), OIDC_SECRET);
    await byEnv.c.close();
    await assert.rejects(
      () => world(w.dir, { keys: [newSecretKey()], keyFile: null }),
      new RegExp(`sealed under key ${fresh.id}, which SECRETS_KEY does not hold`),
    );
  });
});
