// Configuration is parsed once, reports every problem at once, and is frozen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_KEYS, ConfigError, parseConfig } from '../../server/config.js';

test('When nothing is configured, then the embedded defaults apply: 127.0.0.1:3000 and ./data/seatkeeper.db', () => {
  const config = parseConfig({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 3000);
  assert.equal(config.databasePath, resolve('data/seatkeeper.db'));
  assert.equal(config.publicBaseUrl, 'http://127.0.0.1:3000');
  assert.equal(config.logLevel, 'info');
});

test('When several keys are wrong, then one ConfigError names every one of them', () => {
  try {
    parseConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', QUOTE_TTL_SECONDS: '0', PUBLIC_BASE_URL: 'ftp://x' });
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    const keys = error.problems.map((p) => p.split('=')[0]).sort();
    assert.deepEqual(keys, ['LOG_LEVEL', 'PORT', 'PUBLIC_BASE_URL', 'QUOTE_TTL_SECONDS']);
    assert.match(error.message, /PORT="eighty": must be a whole number/);
  }
});

test('When the configuration is parsed, then it cannot be changed afterwards', () => {
  const config = parseConfig({
    PORT: '8080',
    DATABASE_PATH: '/tmp/x.db',
    PUBLIC_BASE_URL: 'https://seats.example.com/',
  });
  assert.ok(Object.isFrozen(config));
  assert.throws(() => {
    (config as { port: number }).port = 1;
  }, TypeError);
  assert.equal(config.databasePath, '/tmp/x.db');
  assert.equal(config.publicBaseUrl, 'https://seats.example.com', 'no trailing slash');
});

test('When .env.example is read, then it lists every configuration key with its default', () => {
  const example = readFileSync('.env.example', 'utf8');
  for (const [key, { default: value }] of Object.entries(CONFIG_KEYS)) {
    assert.match(example, new RegExp(`^${key}=${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'), key);
  }
});
