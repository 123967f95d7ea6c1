// The storage contract (db/port.ts Store), run against both backends: SQLite on a file, and a real
// PostgreSQL (a throwaway cluster). Commit and rollback, savepoints, a unique violation as a domain
// conflict, and concurrent seat claims deciding on the same row; then what is PostgreSQL's own:
// instances migrating one database at once.
import { beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { FixedClock } from '../../../domain/clock.js';
import { ConflictError, SeatLimitError, ValidationError } from '../../../domain/errors.js';
import { HIGHEST, OPERATOR } from '../../../domain/model.js';
import type { Store } from '../../../db/port.js';
import { openPool } from '../../../db/postgres/connection.js';
import { loadPostgresMigrations, migratePostgres, schemaVersion } from '../../../db/postgres/migrate.js';
import { createPostgresStore } from '../../../db/postgres/store.js';
import { createSeatPool } from '../../../seats/seat-pool.js';
import { storeBackends } from '../../helpers/store-backends.js';

const suite = storeBackends('contract', 20);
const { backends } = suite;

describe.each(backends)('the store on $name', ({ name, open }) => {
  let store: Store;
  beforeAll(() => {
    store = open();
  });
  test('When a write commits, a write throws, and a savepoint fails inside a write, then only what committed is kept', async () => {
    const at = '2026-12-06T00:00:00.000Z';
    const id = await store.write((q) => q.organisations.insert('acme', 'Acme', at));
    await assert.rejects(
      store.write(async (q) => {
        await q.organisations.insert('gone', 'Gone', at);
        throw new Error('undo');
      }),
      /undo/,
    );
    await store.write(async (q) => {
      await q.organisations.insert('kept', 'Kept', at);
      await assert.rejects(
        q.savepoint(async () => {
          await q.organisations.insert('inner', 'Inner', at);
          throw new Error('the inner part fails');
        }),
        /inner part fails/,
      );
    });
    const slugs = await store.read(async (q) => (await q.organisations.all()).map((o) => o.slug).sort());
    assert.deepEqual(slugs, ['acme', 'kept']);
    assert.equal((await store.read((q) => q.organisations.byId(id)))?.slug, 'acme');
  });

  test('When savepoints follow one another, nest, fail and succeed in one write, then exactly the failed ones are undone', async () => {
    const at = '2026-12-06T00:00:00.000Z';
    const fail = (slug: string) =>
      store.write(async (q) => {
        await q.organisations.insert(slug, slug, at);
        throw new Error(`${slug} fails`);
      });
    const slugs = await store.write(async (q) => {
      const insert = (slug: string) => q.organisations.insert(`sp-${slug}`, slug, at);
      const refused = async (work: () => Promise<unknown>) => {
        await assert.rejects(q.savepoint(work), /refused/);
      };
      // Siblings: one kept, one undone, one kept after it; then a long run of siblings (each is
      // released just before the next of its depth opens).
      await q.savepoint(() => insert('a'));
      await refused(async () => {
        await insert('b');
        throw new Error('refused');
      });
      await q.savepoint(() => insert('c'));
      for (let i = 0; i < 50; i++) await q.savepoint(() => insert(`run-${i}`));
      // Nested: the inner one kept, then the outer undone, taking the inner with it.
      await refused(async () => {
        await insert('outer');
        await q.savepoint(() => insert('inner-kept-then-undone'));
        throw new Error('refused');
      });
      // Nested: the inner one undone, the outer kept; then a sibling of the outer undone.
      await q.savepoint(async () => {
        await insert('outer-kept');
        await refused(async () => {
          await insert('inner-undone');
          throw new Error('refused');
        });
        await q.savepoint(() => insert('inner-after'));
      });
      await refused(async () => {
        await insert('last');
        throw new Error('refused');
      });
      return (await q.organisations.all()).map((o) => o.slug).filter((slug) => slug.startsWith('sp-'));
    });
    const expected = [
      'sp-a',
      'sp-c',
      ...Array.from({ length: 50 }, (_, i) => `sp-run-${i}`),
      'sp-outer-kept',
      'sp-inner-after',
    ];
    assert.deepEqual([...slugs].sort(), [...expected].sort());
    const stored = await store.read(async (q) =>
      (await q.organisations.all()).map((o) => o.slug).filter((slug) => slug.startsWith('sp-')),
    );
    assert.deepEqual([...stored].sort(), [...expected].sort());
    // The next writes start afresh: a savepoint in each, after a failed write, still works.
    await assert.rejects(fail('sp-failed-write'), /fails/);
    for (const slug of ['sp-next-1', 'sp-next-2']) {
      await store.write((q) => q.savepoint(() => q.organisations.insert(slug, slug, at)));
    }
    const after = await store.read(async (q) => (await q.organisations.all()).map((o) => o.slug));
    assert.ok(
      after.includes('sp-next-1') && after.includes('sp-next-2') && !after.includes('sp-failed-write'),
    );
  });

  test('When two writes lock one organisation for a change, then the second waits and reads what the first committed', async () => {
    const at = '2026-12-06T00:00:00.000Z';
    const orgId = await store.write((q) => q.organisations.insert('locked', 'Locked', at));
    let locked!: () => void;
    const firstHasLocked = new Promise<void>((resolve) => (locked = resolve));
    const first = store.write(async (q) => {
      await q.organisations.lockForChange(orgId);
      locked();
      // Long enough for the second write to reach its lock.
      await new Promise((resolve) => setTimeout(resolve, 150));
      await q.organisations.addDomain(orgId, 'first.example', null);
    });
    await Promise.race([firstHasLocked, first]);
    const second = store.write(async (q) => {
      await q.organisations.lockForChange(orgId);
      return (await q.organisations.domains(orgId)).map((d) => d.domain);
    });
    await first;
    assert.deepEqual(await second, ['first.example'], 'the second read after the first committed');
  });

  test('When writes lock addresses for enrolment, then one of the same address waits for the first, and on PostgreSQL one of another address does not', async () => {
    const at = '2026-12-06T00:00:00.000Z';
    const orgId = await store.write((q) => q.organisations.insert('addresses', 'Addresses', at));
    const finished: string[] = [];
    let locked!: () => void;
    const firstHasLocked = new Promise<void>((resolve) => (locked = resolve));
    const first = store.write(async (q) => {
      await q.members.lockAddress(orgId, 'Ada@Addresses.example');
      locked();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await q.members.insert({
        organisationId: orgId,
        email: 'ada@addresses.example',
        displayName: null,
        role: 'user',
        source: 'manual',
        at,
      });
      finished.push('first');
    });
    await Promise.race([firstHasLocked, first]);
    const same = store.write(async (q) => {
      await q.members.lockAddress(orgId, 'ADA@addresses.example');
      finished.push('same address');
      return (await q.members.withEmail(orgId, 'ada@addresses.example')).length;
    });
    const other = store.write(async (q) => {
      await q.members.lockAddress(orgId, 'bob@addresses.example');
      finished.push('other address');
    });
    await Promise.all([first, same, other]);
    assert.equal(await same, 1, 'the same address read what the first committed');
    assert.ok(finished.indexOf('same address') > finished.indexOf('first'), finished.join(', '));
    if (name === 'PostgreSQL') assert.equal(finished[0], 'other address', finished.join(', '));
  });

  test('When a unique key is taken, then the write is refused as a conflict', async () => {
    await assert.rejects(
      store.write((q) => q.organisations.insert('acme', 'Acme again', '2026-12-06T00:00:00.000Z')),
      (e: unknown) => e instanceof ConflictError,
    );
  });

  test('When forty units claim from a tier of five seats at once, then exactly five succeed', async () => {
    const orgId = await store.write(async (q) => {
      const at = '2026-12-06T00:00:00.000Z';
      const id = await q.organisations.insert('claims', 'Claims', at);
      await q.contracts.insert({
        organisationId: id,
        currency: 'EUR',
        timeZone: 'UTC',
        autoRenew: true,
        termStart: '2026-12-01',
        createdAt: at,
      });
      await q.seatPools.insert(id, 'standard', 1000, 5);
      return id;
    });
    const claimed = await Promise.all(
      Array.from({ length: 40 }, () => store.write((q) => q.seatPools.claim(orgId, 'standard'))),
    );
    assert.equal(claimed.filter(Boolean).length, 5);
    const [tier] = (await store.read((q) => q.seatPools.list(orgId))).filter((t) => t.tierId === 'standard');
    assert.deepEqual([tier?.held, tier?.allocation], [5, 5]);
  });

  test('When thirty units claim by rank from two premium and three standard seats at once, then no tier is overfilled and each claim returns the count it left', async () => {
    const orgId = await organisationWithPool(store, 'ranked', { premium: 2, standard: 3 });
    const taken = await Promise.all(
      Array.from({ length: 30 }, () => store.write((q) => q.seatPools.claimRanked(orgId, 'highest'))),
    );
    const pool = await store.read((q) => q.seatPools.list(orgId));
    for (const tier of pool) {
      const counts = taken.flatMap((t) => (t?.tierId === tier.tierId ? [t.count.held] : []));
      // Each success took one seat and saw the count it left: 1, 2, … in some order, never past the allocation.
      assert.deepEqual(
        counts.sort((a, b) => a - b),
        Array.from({ length: tier.held }, (_, i) => i + 1),
      );
      assert.ok(tier.held <= tier.allocation, `${tier.tierId} holds ${tier.held} of ${tier.allocation}`);
    }
    // A claim by rank may come back empty while another tier still has a seat only when a concurrent
    // claim filled the tier it chose (PostgreSQL); the seat pool then tries tier by tier (below).
    assert.equal(pool.find((t) => t.tierId === 'premium')?.held, 2);
  });

  test('When a claim by lowest rank finds the lowest tier full, then it takes the next tier up', async () => {
    const orgId = await organisationWithPool(store, 'lowest', { premium: 1, standard: 1 });
    const first = await store.write((q) => q.seatPools.claimRanked(orgId, 'lowest'));
    const second = await store.write((q) => q.seatPools.claimRanked(orgId, 'lowest'));
    const third = await store.write((q) => q.seatPools.claimRanked(orgId, 'lowest'));
    assert.deepEqual([first?.tierId, second?.tierId, third], ['standard', 'premium', undefined]);
  });

  test('When a member was changed after it was read, then moving its seat returns the member as stored, not as read', async () => {
    const orgId = await organisationWithPool(store, 'moved', { standard: 1 });
    const at = '2026-12-06T00:00:00.000Z';
    const read = await store.write((q) =>
      q.members.insert({
        organisationId: orgId,
        email: 'ada@moved.example',
        displayName: null,
        role: 'user',
        source: 'scim',
        at,
      }),
    );
    // Another unit changes the role; the seat move then starts from the stale copy.
    await store.write((q) => q.members.setRole(read, 'admin', at));
    const moved = await store.write(async (q) => {
      assert.equal(await q.seatPools.claim(orgId, 'standard'), true);
      return await q.members.setSeat(read, 'unassigned', 'seated', 'standard', '2026-12-06T00:00:01.000Z');
    });
    assert.deepEqual(
      [moved?.role, moved?.seatState, moved?.tierId, moved?.version],
      ['admin', 'seated', 'standard', read.version + 2],
    );
    // And when nothing changed in between, the move alone is counted.
    const again = await store.write((q) => q.members.setSeat(moved!, 'seated', 'unassigned', null, at));
    assert.deepEqual(
      [again?.role, again?.seatState, again?.version],
      ['admin', 'unassigned', read.version + 3],
    );
  });

  test('When a claim by rank is made for a member, then the member is seated in the tier taken; stale, it comes back as stored; moved elsewhere, the seat is taken but the member is not', async () => {
    const orgId = await organisationWithPool(store, 'claimfor', { premium: 1, standard: 2 });
    const at = '2026-12-06T00:00:00.000Z';
    const later = '2026-12-06T00:00:01.000Z';
    const insert = (email: string) =>
      store.write((q) =>
        q.members.insert({
          organisationId: orgId,
          email,
          displayName: null,
          role: 'user',
          source: 'scim',
          at,
        }),
      );
    const ada = await insert('ada@claimfor.example');
    const first = await store.write((q) => q.seatPools.claimRankedFor(ada, 'unassigned', 'highest', later));
    assert.deepEqual(
      [first?.tierId, first?.count.held, first?.count.allocation],
      ['premium', 1, 1],
      'the highest tier with a seat',
    );
    assert.deepEqual(
      [first?.member?.seatState, first?.member?.tierId, first?.member?.updatedAt, first?.member?.version],
      ['seated', 'premium', later, ada.version + 1],
    );
    // Stale: another unit changed the role after the member was read.
    const bob = await insert('bob@claimfor.example');
    await store.write((q) => q.members.setRole(bob, 'admin', at));
    const second = await store.write((q) => q.seatPools.claimRankedFor(bob, 'unassigned', 'highest', later));
    assert.deepEqual(
      [second?.tierId, second?.member?.role, second?.member?.seatState, second?.member?.version],
      ['standard', 'admin', 'seated', bob.version + 2],
    );
    // Moved elsewhere: no longer unassigned. The seat is taken, the member is not moved; the caller
    // fails the write, which gives the seat back.
    const cy = await insert('cy@claimfor.example');
    await store.write((q) => q.members.setSeat(cy, 'unassigned', 'deactivated', null, at));
    await assert.rejects(
      store.write(async (q) => {
        const third = await q.seatPools.claimRankedFor(cy, 'unassigned', 'highest', later);
        assert.deepEqual([third?.tierId, third?.count.held, third?.member], ['standard', 2, undefined]);
        throw new Error('the member had moved');
      }),
      /had moved/,
    );
    const pool = await store.read((q) => q.seatPools.list(orgId));
    assert.deepEqual(
      pool.map((t) => [t.tierId, t.held]),
      [
        ['premium', 1],
        ['standard', 1],
      ],
    );
    // Full: nothing taken.
    const dee = await insert('dee@claimfor.example');
    await store.write((q) => q.seatPools.claimRankedFor(dee, 'unassigned', 'lowest', later));
    const eve = await insert('eve@claimfor.example');
    assert.equal(
      await store.write((q) => q.seatPools.claimRankedFor(eve, 'unassigned', 'lowest', later)),
      undefined,
    );
  });
});

describe.each(backends)('the seat pool on $name', ({ name, open }) => {
  test('When thirty members are seated by rank at once from two premium and three standard seats, then exactly five are seated, premium first, and the rest are refused', async () => {
    const store = open();
    const seats = createSeatPool({ store, clock: new FixedClock('2026-12-06T12:00:00Z') });
    const orgId = await organisationWithPool(store, `pool-${name.toLowerCase()}`, {
      premium: 2,
      standard: 3,
    });
    const members = await store.write(async (q) => {
      const made = [];
      for (let i = 0; i < 30; i++) {
        made.push(
          await q.members.insert({
            organisationId: orgId,
            email: `m${i}@pool.example`,
            displayName: null,
            role: 'user',
            source: 'scim',
            at: '2026-12-06T12:00:00.000Z',
          }),
        );
      }
      return made;
    });
    const outcomes = await Promise.allSettled(
      members.map((m) => seats.claim(orgId, m.id, HIGHEST, OPERATOR)),
    );
    const seated = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.tierId] : []));
    assert.deepEqual(seated.sort(), ['premium', 'premium', 'standard', 'standard', 'standard']);
    const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    assert.equal(refusals.length, 25);
    assert.ok(
      refusals.every((e) => e instanceof SeatLimitError),
      String(refusals.find((e) => !(e instanceof SeatLimitError))),
    );
    const usage = await seats.usage(orgId);
    assert.deepEqual(
      usage.map((t) => [t.tierId, t.held]),
      [
        ['premium', 2],
        ['standard', 3],
      ],
    );
  });
});

/** An organisation with a contract and the given seats per tier. */
async function organisationWithPool(
  store: Store,
  slug: string,
  seats: Readonly<Record<string, number>>,
): Promise<number> {
  return await store.write(async (q) => {
    const at = '2026-12-06T00:00:00.000Z';
    const id = await q.organisations.insert(slug, slug, at);
    await q.contracts.insert({
      organisationId: id,
      currency: 'EUR',
      timeZone: 'UTC',
      autoRenew: true,
      termStart: '2026-12-01',
      createdAt: at,
    });
    for (const [tier, allocation] of Object.entries(seats))
      await q.seatPools.insert(id, tier, 1000, allocation);
    return id;
  });
}

describe('PostgreSQL only', () => {
  test('When text with the NUL character is written or searched for, then it is refused as invalid input, not a server error', async () => {
    const store = createPostgresStore(suite.pool);
    const at = '2026-12-06T00:00:00.000Z';
    // PostgreSQL's text cannot hold U+0000 (SQLite stores it): the caller gets a ValidationError,
    // which every protocol answers as its own 400.
    for (const attempt of [
      store.write((q) => q.organisations.insert('nul', 'Nul\u0000Org', at)),
      store.read((q) => q.organisations.bySlug('nul\u0000')),
    ]) {
      await assert.rejects(
        attempt,
        (e: unknown) => e instanceof ValidationError && e.code === 'nul_character',
      );
    }
    assert.equal(await store.read((q) => q.organisations.bySlug('nul')), undefined, 'nothing was written');
  });

  test('When a claim by rank waits on a concurrent claim that takes the last seat of the tier it chose, then it takes none, and the seat pool seats the member in the next tier', async () => {
    const store = createPostgresStore(suite.pool);
    const seats = createSeatPool({ store, clock: new FixedClock('2026-12-06T12:00:00Z') });
    const orgId = await organisationWithPool(store, 'race', { premium: 1, standard: 1 });
    const member = await store.write((q) =>
      q.members.insert({
        organisationId: orgId,
        email: 'late@race.example',
        displayName: null,
        role: 'user',
        source: 'scim',
        at: '2026-12-06T12:00:00.000Z',
      }),
    );
    // The first unit takes the premium seat and holds its row lock until it is told to commit.
    let commitFirst!: () => void;
    const holding = new Promise<void>((resolve) => (commitFirst = resolve));
    let tookFirst!: () => void;
    const took = new Promise<void>((resolve) => (tookFirst = resolve));
    const first = store.write(async (q) => {
      const taken = await q.seatPools.claimRanked(orgId, 'highest');
      tookFirst();
      await holding;
      return taken;
    });
    await took;
    // Its statement chose premium from a snapshot in which the seat was free, then waited for the lock.
    const second = store.write((q) => q.seatPools.claimRanked(orgId, 'highest'));
    const third = seats.claim(orgId, member.id, HIGHEST, OPERATOR);
    await new Promise((resolve) => setTimeout(resolve, 100));
    commitFirst();
    assert.equal((await first)?.tierId, 'premium');
    assert.equal(await second, undefined);
    assert.equal((await third).tierId, 'standard');
    const held = (await store.read((q) => q.seatPools.list(orgId))).map((t) => [t.tierId, t.held]);
    assert.deepEqual(held, [
      ['premium', 1],
      ['standard', 1],
    ]);
  });

  test('When three instances migrate one database at once, then every migration is applied exactly once', async () => {
    const url = suite.cluster.createDatabase('contract_race');
    const [first, ...others] = [openPool({ url }), openPool({ url }), openPool({ url })] as const;
    try {
      const applied = await Promise.all([first, ...others].map((p) => migratePostgres(p)));
      assert.deepEqual(
        applied.map((a) => a.length).sort((x, y) => x - y),
        [0, 0, loadPostgresMigrations().length],
      );
      assert.equal(await schemaVersion(first), loadPostgresMigrations().length);
    } finally {
      await Promise.all([first, ...others].map((p) => p.end()));
    }
  });

  test('When the server ends the pool’s idle connections, then the process goes on and the next unit of work runs on a new one', async () => {
    const url = suite.cluster.createDatabase('contract_idle');
    const idleErrors: Error[] = [];
    const own = openPool({ url, onIdleError: (error) => idleErrors.push(error) });
    try {
      await migratePostgres(own);
      const store = createPostgresStore(own);
      await store.read((q) => q.organisations.all());
      // Another session ends every other connection to the database, as a restart or a failover would.
      await suite.pool.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        ['contract_idle'],
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(idleErrors.length >= 1, 'the pool heard of its lost connection');
      assert.deepEqual(await store.read((q) => q.organisations.all()), []);
    } finally {
      await own.end();
    }
  });
});
