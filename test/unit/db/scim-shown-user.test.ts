// What SCIM shows for a member the identity provider never pushed, in its two forms: the object the
// listing returns (domain/shown-user.ts) and the SQLite expression filters read
// (db/scim-shown-user.ts). Both run over the same rows in a real SQLite database and must agree,
// JSON null in SQL standing for a key the object leaves out.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { openDatabase, type Db } from '../../../db/sqlite/connection.js';
import { scimShownUserSql } from '../../../db/scim-shown-user.js';
import { scimShownUser } from '../../../domain/shown-user.js';

/** The value without its null members, at every depth. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

const NAMES: readonly (string | null)[] = [
  null,
  '',
  '   ',
  'Erin',
  'Olga Owner',
  '  Anna Maria  Schmidt ',
  'Ann\tLee',
  'Zoë Ünal-Öz',
  'José  Ñúñez',
  '李 小龍',
  'Ada 🙂 Lovelace',
  'trailing ',
  ' x y',
];

describe('The SCIM attributes shown for a member the provider never pushed', () => {
  let db: Db;

  beforeAll(() => {
    db = openDatabase(':memory:', { busyTimeoutMs: 1000 });
    db.exec('CREATE TABLE members (id INTEGER PRIMARY KEY, email TEXT NOT NULL, display_name TEXT)');
    const insert = db.prepare('INSERT INTO members (email, display_name) VALUES (?, ?)');
    NAMES.forEach((name, i) => insert.run(`person-${i}@acme.example`, name));
  });
  afterAll(() => {
    db.close();
  });

  test('When the SQL and the listing build the document for the same rows, then they agree', () => {
    const rows = db
      .prepare(`SELECT m.email, m.display_name, ${scimShownUserSql('m')} AS doc FROM members m ORDER BY m.id`)
      .all() as { email: string; display_name: string | null; doc: string }[];
    assert.equal(rows.length, NAMES.length);
    for (const row of rows) {
      assert.deepEqual(
        withoutNulls(JSON.parse(row.doc)),
        scimShownUser(row.email, row.display_name),
        JSON.stringify(row.display_name),
      );
    }
  });

  test('When a name has several words, then the last is the familyName and the rest the givenName', () => {
    assert.deepEqual(scimShownUser('a@acme.example', '  Anna Maria  Schmidt '), {
      displayName: 'Anna Maria  Schmidt',
      name: { formatted: 'Anna Maria  Schmidt', givenName: 'Anna Maria', familyName: 'Schmidt' },
      emails: [{ value: 'a@acme.example', type: 'work', primary: true }],
    });
    assert.deepEqual(scimShownUser('e@acme.example', 'Erin').name, { formatted: 'Erin', givenName: 'Erin' });
    assert.deepEqual(scimShownUser('n@acme.example', '  '), {
      emails: [{ value: 'n@acme.example', type: 'work', primary: true }],
    });
  });
});
