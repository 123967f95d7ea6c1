// The layer rules (eslint.layers.js) say what README.md's Architecture section says: each is run on
// a one-line module placed in a folder, importing across a boundary it must not cross, and beside
// an import it may make.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, test } from '@jest/globals';
import { Linter } from 'eslint';
import assert from '../../helpers/assert.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

let configs: Linter.Config[];
const linter = new Linter({ cwd: ROOT });

beforeAll(async () => {
  // Loaded by URL: the rules are plain JavaScript beside eslint.config.js, outside the type check.
  const { layers } = (await import(pathToFileURL(join(ROOT, 'eslint.layers.js')).href)) as {
    layers: Linter.Config[];
  };
  configs = [{ files: ['**/*.ts'] }, ...layers];
});

/** The messages of the layer rule for `file` containing only `import '<source>'`. */
function restricted(file: string, source: string): string[] {
  return linter
    .verify(`import '${source}';\n`, configs, { filename: join(ROOT, file) })
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('layer rules', () => {
  test('When the engine imports a query module or the SQLite store, then lint refuses and names the port', () => {
    for (const [file, source] of [
      ['provisioning/probe.ts', '../db/queries/members.js'],
      ['provisioning/directory/probe.ts', '../../db/sqlite/store.js'],
      ['seats/probe.ts', '../db/queries/index.js'],
      ['billing/probe.ts', '../db/sqlite/connection.js'],
      ['scim/probe.ts', '../db/sqlite/directory-reader.js'],
      ['mail/probe.ts', '../db/queries/outbox.js'],
      ['seats/probe.ts', '../db/sqlite/sql.js'],
      ['cli/commands.ts', '../db/sqlite/store.js'],
    ]) {
      const messages = restricted(file!, source!);
      assert.equal(messages.length, 1, `${file} → ${source}`);
      assert.match(messages[0]!, /db\/port\.ts/);
    }
  });

  test('When code above db/ imports the port, then lint allows it', () => {
    assert.deepEqual(restricted('seats/probe.ts', '../db/port.js'), []);
    assert.deepEqual(restricted('provisioning/directory/probe.ts', '../../db/port.js'), []);
    assert.deepEqual(restricted('api/probe.ts', '../db/port.js'), []);
  });

  test('When a composition root builds storage, then lint allows it', () => {
    assert.deepEqual(restricted('server/probe.ts', '../db/sqlite/store.js'), []);
    assert.deepEqual(restricted('cli/main.ts', '../db/sqlite/connection.js'), []);
    assert.deepEqual(restricted('test/unit/db/probe.ts', '../../../db/queries/members.js'), []);
  });

  test('When a layer imports one above it, then lint refuses', () => {
    for (const [file, source] of [
      ['seats/probe.ts', '../billing/billing.js'],
      ['seats/probe.ts', '../provisioning/members.js'],
      ['billing/probe.ts', '../provisioning/members.js'],
      ['provisioning/probe.ts', '../scim/router.js'],
      ['provisioning/probe.ts', '../api/members.js'],
      ['mail/probe.ts', '../seats/seat-pool.js'],
      ['webhooks/probe.ts', '../provisioning/members.js'],
      ['scim/probe.ts', '../server/app.js'],
      ['api/probe.ts', '../server/container.js'],
      ['db/queries/probe.ts', '../../seats/seat-pool.js'],
      ['db/probe.ts', '../net/outbound.js'],
      ['mail/probe.ts', '../server/logger.js'],
      ['seats/probe.ts', '../http/problem.js'],
      ['provisioning/probe.ts', '../http/cookies.js'],
      ['http/probe.ts', '../api/router.js'],
      ['runtime/probe.ts', '../db/port.js'],
    ]) {
      assert.equal(restricted(file!, source!).length, 1, `${file} → ${source}`);
    }
  });

  test('When a layer imports one below it, then lint allows it', () => {
    for (const [file, source] of [
      ['scim/probe.ts', '../provisioning/members.js'],
      ['provisioning/probe.ts', '../billing/billing.js'],
      ['billing/probe.ts', '../seats/seat-pool.js'],
      ['seats/probe.ts', '../mail/outbox.js'],
      ['seats/probe.ts', '../audit/record.js'],
      ['sso/probe.ts', '../net/outbound.js'],
      ['db/probe.ts', '../domain/errors.js'],
      ['mail/probe.ts', '../runtime/logger.js'],
      ['db/probe.ts', '../runtime/worker-thread.js'],
      ['api/probe.ts', '../http/problem.js'],
      ['sso/probe.ts', '../http/cookies.js'],
      ['http/probe.ts', '../provisioning/sessions.js'],
    ]) {
      assert.deepEqual(restricted(file!, source!), [], `${file} → ${source}`);
    }
  });

  test('When domain/ imports anything else of the project, then lint refuses; net/ may import only domain/', () => {
    assert.equal(restricted('domain/probe.ts', '../db/port.js').length, 1);
    assert.equal(restricted('domain/probe.ts', '../i18n/index.js').length, 1);
    assert.deepEqual(restricted('domain/probe.ts', './errors.js'), []);
    assert.equal(restricted('net/probe.ts', '../db/port.js').length, 1);
    assert.deepEqual(restricted('net/probe.ts', '../domain/errors.js'), []);
  });
});
