// Configuration is parsed once, reports every problem at once, and is frozen.
import { test } from '@jest/globals';
import assert from '../helpers/assert.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_KEYS, ConfigError, databaseLabel, parseConfig } from '../../server/config.js';

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

test('When the README and .env.example are read, then each names exactly the keys server/config.ts reads', () => {
  const keys = Object.keys(CONFIG_KEYS).sort();
  const readme = readFileSync('README.md', 'utf8');
  // The table of the "Configuration" section: its rows up to the next heading.
  const section = /^## Configuration\n([\s\S]*?)^#{2,3} /m.exec(readme)?.[1] ?? '';
  const documented = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` +\|/gm)].map((m) => m[1]!);
  assert.deepEqual([...documented].sort(), keys, 'README configuration table');
  assert.equal(new Set(documented).size, documented.length, 'each key once in the README');
  const example = readFileSync('.env.example', 'utf8');
  const listed = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  assert.deepEqual([...listed].sort(), keys, '.env.example');
  assert.equal(new Set(listed).size, listed.length, 'each key once in .env.example');
});

test('When mail is not configured, then mail goes to files under DATA_DIR/mail from Seatkeeper <no-reply@localhost>', () => {
  const config = parseConfig({ DATA_DIR: '/srv/seatkeeper' });
  assert.deepEqual(config.mail, {
    smtpUrl: null,
    from: 'Seatkeeper <no-reply@localhost>',
    dir: '/srv/seatkeeper/mail',
    pollIntervalSeconds: 5,
    maxAttempts: 20,
  });
  assert.equal(
    parseConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465' }).mail.smtpUrl,
    'smtps://u:p@mail.example.com:465',
  );
});

test('When SMTP_URL or MAIL_FROM is wrong, then the error names the key, and never shows the SMTP URL, which may hold a password', () => {
  try {
    parseConfig({ SMTP_URL: 'http://user:hunter2@mail.example.com', MAIL_FROM: 'not an address' });
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems.map((p) => p.split('=')[0]).sort(), ['MAIL_FROM', 'SMTP_URL']);
    assert.doesNotMatch(error.message, /hunter2/);
    assert.match(error.message, /SMTP_URL=\(hidden\): must be an smtp:\/\/ or smtps:\/\/ URL/);
  }
});

test('When DATABASE_URL names a PostgreSQL database, then the server uses it, with its libpq parameters, and logs it without credentials', () => {
  for (const url of [
    'postgres://seatkeeper:s3cret@db.internal:5432/seatkeeper',
    'postgresql://seatkeeper@db.internal/seatkeeper?sslmode=verify-full',
  ]) {
    const config = parseConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '25' });
    assert.equal(config.databaseUrl, url);
    assert.equal(config.databasePoolSize, 25);
    assert.doesNotMatch(databaseLabel(config), /s3cret|seatkeeper@/);
    assert.match(databaseLabel(config), /^postgres(ql)?:\/\/db\.internal(:5432)?\/seatkeeper/);
  }
  const sqlite = parseConfig({});
  assert.equal(sqlite.databaseUrl, null);
  assert.equal(databaseLabel(sqlite), resolve('data/seatkeeper.db'));
});

test('When DATABASE_URL is not a usable PostgreSQL URL, then start-up is refused saying why, without echoing the URL', () => {
  const cases: readonly (readonly [string, RegExp])[] = [
    ['mysql://u:p@db/seatkeeper', /must be a postgres:\/\/ or postgresql:\/\/ URL/],
    ['postgres://u:p@db.internal:5432', /must name the database/],
    ['postgres://u:p@db.internal/seatkeeper?sslmode=sometimes', /sslmode must be one of/],
    ['not a url at all', /must be a postgres:\/\/ or postgresql:\/\/ URL/],
  ];
  for (const [url, message] of cases) {
    try {
      parseConfig({ DATABASE_URL: url });
      assert.fail(`expected a ConfigError for ${url}`);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, message);
      assert.match(error.message, /DATABASE_URL=\(hidden\)/);
      assert.doesNotMatch(error.message, /u:p@/);
    }
  }
});

test('When both DATABASE_PATH and DATABASE_URL are set, then start-up is refused: the server does not guess which database holds the members', () => {
  assert.throws(
    () =>
      parseConfig({ DATABASE_PATH: '/srv/seatkeeper.db', DATABASE_URL: 'postgres://db.internal/seatkeeper' }),
    (error: unknown) => error instanceof ConfigError && /not both/.test(error.message),
  );
});
