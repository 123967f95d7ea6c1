// The console's static files over HTTP, from wherever the project is installed.
import { afterAll, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { CONSOLE_PATH, VENDOR_FILES, createConsoleRouter } from '../../console/server.js';
import { tempDir } from '../helpers/fixtures.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function consoleApp(vendorFiles?: Readonly<Record<string, string>>): express.Express {
  const app = express();
  app.use(CONSOLE_PATH, createConsoleRouter(vendorFiles ? { vendorFiles } : {}));
  return app;
}

describe('The console serves its files', () => {
  test('When the console asks for its message-format library, then the installed module is served as JavaScript', async () => {
    const res = await request(consoleApp()).get('/console/assets/vendor/intl-messageformat.js');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/javascript/);
    assert.equal(res.text, readFileSync(VENDOR_FILES['intl-messageformat.js']!, 'utf8'));
  });

  test('When the project is installed below a hidden directory (~/.cache/…), then its vendor library is still served', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const hidden = join(dir, '.cache', 'seatkeeper', 'node_modules', 'lib');
    mkdirSync(hidden, { recursive: true });
    const file = join(hidden, 'lib.esm.js');
    writeFileSync(file, 'export const answer = 42;\n');
    const res = await request(consoleApp({ 'lib.js': file })).get('/console/assets/vendor/lib.js');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'export const answer = 42;\n');
  });

  test('When a vendor name is not one the console ships (an inherited property, a path), then the answer is 404', async () => {
    const app = consoleApp();
    for (const name of [
      'constructor',
      '__proto__',
      'toString',
      '..%2Fserver.ts',
      'intl-messageformat.esm.js',
    ]) {
      const res = await request(app).get(`/console/assets/vendor/${name}`);
      assert.equal(res.status, 404, name);
    }
  });
});
