// The statements whose SQL differs between the dialects, or that rely on a function each dialect
// defines its own way (fold_key), run on both backends: SQLite on a file and a throwaway
// PostgreSQL. Member search and audit search by person fold like the application (domain/fold.ts),
// non-ASCII capitals included; the seat changes read out of the audit log's JSON; and the billing
// contact's insert-or-update.
import { beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { foldKey } from '../../../domain/fold.js';
import type { SeatChange } from '../../../domain/records.js';
import type { Store } from '../../../db/port.js';
import { storeBackends } from '../../helpers/store-backends.js';

const suite = storeBackends('queries', 4);
const { backends } = suite;

const AT = '2026-01-01T09:00:00.000Z';

/**
 * People whose addresses and names fold beyond ASCII: Ä, Greek capitals with a final sigma, the
 * dotted capital I (which lower-cases to two code points), ß and ẞ, a decomposed accent, and LIKE's
 * wildcards as plain characters.
 */
const PEOPLE: readonly (readonly [email: string, displayName: string | null])[] = [
  ['Ärger@Example.com', 'Zoë ÜNAL'],
  ['olga@acme.example', 'Olga Owner'],
  ['sofia@acme.example', 'ΟΔΟΣ ΣΟΦΙΑΣ'],
  ['ipek@acme.example', 'İpek Yılmaz'],
  ['strasse@acme.example', 'GROẞE Straße'],
  ['emile@acme.example', 'E\u0301mile Zola'],
  ['pct@acme.example', '100%_Sales'],
  ['plain@acme.example', null],
];

/** Searches and what each must find, by the application's own fold. */
const SEARCHES = [
  'ünal',
  'ÜNAL',
  'ärger',
  'οδος',
  'ΣΟΦΙΑΣ',
  'σοφιας',
  'İpek',
  'i̇pek',
  'große',
  'émile',
  '%',
  '_s',
  'o',
];

const expected = (text: string): string[] =>
  PEOPLE.filter(
    ([email, name]) => foldKey(email).includes(foldKey(text)) || foldKey(name ?? '').includes(foldKey(text)),
  )
    .map(([email]) => email)
    .sort();

describe.each(backends)('on $name', ({ open }) => {
  let store: Store;
  let orgId: number;
  const memberIds = new Map<string, number>();

  beforeAll(async () => {
    store = open();
    orgId = await store.write(async (q) => {
      const id = await q.organisations.insert('acme', 'Acme', AT);
      for (const [email, displayName] of PEOPLE) {
        const member = await q.members.insert({
          organisationId: id,
          email,
          displayName,
          role: 'user',
          source: 'manual',
          at: AT,
        });
        memberIds.set(email, member.id);
      }
      return id;
    });
  });

  test('When members are searched by text, then the address and the name fold as foldKey() does', async () => {
    for (const text of SEARCHES) {
      const found = await store.read((q) => q.members.search(orgId, { text }, { limit: 50, offset: 0 }));
      assert.deepEqual(found.members.map((m) => m.email).sort(), expected(text), text);
      assert.equal(found.total, expected(text).length, text);
    }
    // Not vacuous: each search but the wildcard-free misses finds someone.
    assert.deepEqual(expected('ünal'), ['Ärger@Example.com']);
    assert.deepEqual(expected('σοφιας'), ['sofia@acme.example']);
    assert.deepEqual(expected('%'), ['pct@acme.example']);
  });

  test('When the audit log is searched by person, then entries by or about a matching member are found', async () => {
    const ids: number[] = [];
    await store.write(async (q) => {
      for (const [email] of PEOPLE) {
        const memberId = memberIds.get(email)!;
        await q.audit.insert({
          organisationId: orgId,
          at: AT,
          actor: { type: 'member', memberId },
          action: 'member.renamed',
          subjectType: 'member',
          subjectId: memberId,
        });
      }
    });
    for (const text of SEARCHES) {
      const found = await store.read((q) => q.audit.search(orgId, { person: text }, { limit: 50 }));
      const actors = found.map((entry) => Number(entry.actorId)).sort((a, b) => a - b);
      ids.push(...actors);
      assert.deepEqual(
        actors,
        expected(text)
          .map((email) => memberIds.get(email)!)
          .sort((a, b) => a - b),
        text,
      );
    }
    assert.ok(ids.length > 0);
  });

  test('When seat changes are read out of the audit log, then only seat states and allocations come back, as written', async () => {
    const org = await store.write((q) => q.organisations.insert('seats', 'Seats', AT));
    const entries: readonly { readonly subjectType: string; readonly after?: unknown }[] = [
      { subjectType: 'member', after: { seatState: 'seated', tierId: 'standard', email: 'a@x' } },
      { subjectType: 'member', after: { seatState: 'unassigned', tierId: null } },
      {
        subjectType: 'seat_pool',
        after: { allocation: { standard: 5, premium: 1 }, termStart: '2026-01-01' },
      },
      { subjectType: 'seat_pool', after: { allocation: { standard: 6 } } },
      // Neither a seat state nor an allocation object: left out.
      { subjectType: 'member', after: { seatState: 3 } },
      { subjectType: 'seat_pool', after: { allocation: [1, 2] } },
      { subjectType: 'member', after: { displayName: 'x' } },
      { subjectType: 'member' },
    ];
    await store.write(async (q) => {
      for (const [i, entry] of entries.entries()) {
        await q.audit.insert({
          organisationId: org,
          at: `2026-01-0${i + 1}T00:00:00.000Z`,
          actor: { type: 'system', job: 'test' },
          action: 'seat.changed',
          subjectType: entry.subjectType,
          subjectId: 7,
          after: entry.after,
        });
      }
    });
    const changes = await store.read(async (q) => {
      const all: SeatChange[] = [];
      for await (const change of q.audit.seatChanges(org)) all.push(change);
      return all;
    });
    assert.deepEqual(changes, [
      { at: '2026-01-01T00:00:00.000Z', memberId: '7', seatState: 'seated', tierId: 'standard' },
      { at: '2026-01-02T00:00:00.000Z', memberId: '7', seatState: 'unassigned', tierId: null },
      { at: '2026-01-03T00:00:00.000Z', allocation: { standard: 5, premium: 1 }, termStart: '2026-01-01' },
      { at: '2026-01-04T00:00:00.000Z', allocation: { standard: 6 }, termStart: null },
    ]);
  });

  test('When a billing contact is saved twice, then the second replaces the first in the one row', async () => {
    const contact = {
      name: 'Ada',
      email: 'ada@acme.example',
      addressLines: ['1 Main St'],
      country: 'DE',
      vatId: null,
      updatedAt: AT,
    };
    await store.write((q) => q.billingContacts.put(orgId, contact));
    assert.deepEqual(await store.read((q) => q.billingContacts.get(orgId)), contact);
    const changed = { ...contact, name: 'Ada L.', addressLines: ['2 Side St', 'Berlin'], vatId: 'DE123' };
    await store.write((q) =>
      q.billingContacts.put(orgId, { ...changed, updatedAt: '2026-02-01T00:00:00.000Z' }),
    );
    assert.deepEqual(await store.read((q) => q.billingContacts.get(orgId)), {
      ...changed,
      updatedAt: '2026-02-01T00:00:00.000Z',
    });
  });
});

describe('fold_key in PostgreSQL', () => {
  test('When PostgreSQL folds a text, then it gives what foldKey() gives', async () => {
    const samples = [
      'Ä',
      'Σ',
      'ΟΔΟΣ',
      'ΣΑΣ ΣΟΣ.',
      'İ',
      'İSTANBUL',
      'ß',
      'ẞ',
      'E\u0301MILE',
      'ǅ',
      'ꭰ',
      'Ꭰ',
      'ﬃ',
      'Ω',
      'K',
    ];
    const { rows } = await suite.pool.query<{ folded: string[] }>(
      'SELECT array_agg(fold_key(s) ORDER BY n) AS folded FROM unnest($1::text[]) WITH ORDINALITY AS t (s, n)',
      [samples],
    );
    assert.deepEqual(rows[0]!.folded, samples.map(foldKey));
    const { rows: nulls } = await suite.pool.query<{ f: string | null }>('SELECT fold_key(NULL) AS f');
    assert.equal(nulls[0]!.f, null);
  });
});
