// What SCIM shows for a member the identity provider never pushed, in its two forms: the object the
// listing returns (domain/shown-user.ts) and the SQL expression filters read
// (db/scim-shown-user.ts), in each dialect. Both run over the same rows in a real SQLite database
// and a throwaway PostgreSQL cluster and must agree, JSON null in SQL standing for a key the object
// leaves out.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import type pg from 'pg';
import { openPool } from '../../../db/postgres/connection.js';
import { openDatabase, type Db } from '../../../db/sqlite/connection.js';
import { scimShownUserSql } from '../../../db/scim-shown-user.js';
import { scimShownUser } from '../../../domain/shown-user.js';
import { startPostgres, type PostgresCluster } from '../../helpers/postgres.js';

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

type Row = { email: string; display_name: string | null; doc: string };

/** The same rows in each dialect's table, and the SQL's document for each, in id order. */
const DIALECTS: readonly { readonly name: string; readonly rows: () => Promise<Row[]> }[] = [
  {
    name: 'SQLite',
    rows: async () => {
      const db: Db = openDatabase(':memory:', { busyTimeoutMs: 1000 });
      try {
        db.exec('CREATE TABLE members (id INTEGER PRIMARY KEY, email TEXT NOT NULL, display_name TEXT)');
        const insert = db.prepare('INSERT INTO members (email, display_name) VALUES (?, ?)');
        NAMES.forEach((name, i) => insert.run(`person-${i}@acme.example`, name));
        return db
          .prepare(
            `SELECT m.email, m.display_name, ${scimShownUserSql('m', 'sqlite')} AS doc FROM members m ORDER BY m.id`,
          )
          .all() as Row[];
      } finally {
        db.close();
      }
    },
  },
  {
    name: 'PostgreSQL',
    rows: async () => {
      await pool.query(
        'CREATE TABLE members (id bigint PRIMARY KEY, email text NOT NULL, display_name text)',
      );
      for (const [i, name] of NAMES.entries()) {
        await pool.query('INSERT INTO members (id, email, display_name) VALUES ($1, $2, $3)', [
          i,
          `person-${i}@acme.example`,
          name,
        ]);
      }
      // As text, as SQLite returns it: the driver would otherwise parse the jsonb itself.
      const { rows } = await pool.query<Row>(
        `SELECT m.email, m.display_name, (${scimShownUserSql('m', 'postgres')})::text AS doc FROM members m ORDER BY m.id`,
      );
      return rows;
    },
  },
];

let cluster: PostgresCluster;
let pool: pg.Pool;

beforeAll(async () => {
  cluster = await startPostgres();
  pool = openPool({ url: cluster.createDatabase('shown'), maxConnections: 2 });
}, 60_000);
afterAll(async () => {
  await pool?.end();
  cluster?.stop();
});

describe('The SCIM attributes shown for a member the provider never pushed', () => {
  test('When the SQL and the listing build the document for the same rows, then they agree', async () => {
    for (const dialect of DIALECTS) {
      const rows = await dialect.rows();
      assert.equal(rows.length, NAMES.length, dialect.name);
      for (const row of rows) {
        assert.deepEqual(
          withoutNulls(JSON.parse(row.doc)),
          scimShownUser(row.email, row.display_name),
          `${dialect.name}: ${JSON.stringify(row.display_name)}`,
        );
      }
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
