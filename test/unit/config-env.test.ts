// The .env file under the environment: read once by the entry points, the environment winning.
import { test } from '@jest/globals';
import assert from '../helpers/assert.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../server/config.js';
import { withEnvFile } from '../../server/env-file.js';

function envFile(text: string): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'seatkeeper-env-'));
  const path = join(dir, '.env');
  writeFileSync(path, text);
  return { path, dir };
}

test('When a .env file sets keys, then they configure the server: comments, quotes and export are understood', () => {
  const { path, dir } = envFile(
    [
      '# Seatkeeper',
      'export PORT=3100',
      'HOST="0.0.0.0" # every interface',
      "MAIL_FROM='Seats <seats@acme.example>'",
      'LOG_LEVEL=debug',
      '',
    ].join('\n'),
  );
  try {
    const config = parseConfig(withEnvFile({}, path));
    assert.equal(config.port, 3100);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.mail.from, 'Seats <seats@acme.example>');
    assert.equal(config.logLevel, 'debug');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('When the environment sets a key the .env file sets too, then the environment wins, even with an empty value', () => {
  const { path, dir } = envFile('PORT=3100\nLOG_LEVEL=debug\nHOST=0.0.0.0\n');
  try {
    const config = parseConfig(withEnvFile({ PORT: '4000', LOG_LEVEL: '', HOST: undefined }, path));
    assert.equal(config.port, 4000);
    assert.equal(config.logLevel, 'info', 'set empty in the environment: the default, not the file');
    assert.equal(config.host, '0.0.0.0', 'unset in the environment: the file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('When there is no .env file, then the environment alone configures; one that cannot be read is a ConfigError naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seatkeeper-env-'));
  try {
    assert.deepEqual(withEnvFile({ PORT: '4000' }, join(dir, '.env')), { PORT: '4000' });
    // A directory where the file should be cannot be read as one.
    assert.throws(
      () => withEnvFile({}, dir),
      (error: unknown) =>
        error instanceof ConfigError && error.message.includes(`${dir}: cannot be read (EISDIR)`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
