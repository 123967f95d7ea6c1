// Seat usage (seats/usage.ts) over a real database (the SQLite file, or in the PostgreSQL run the
// test's own PostgreSQL database): the one per-tier computation every reader uses, and the
// administrators' usage page built on it.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ForbiddenError, NotFoundError } from '../../../domain/errors.js';
import { OPERATOR, type Actor } from '../../../domain/model.js';
import { DEFAULT_NOTICE_THRESHOLDS } from '../../../seats/notices.js';
import { seatUsage, tierUsage } from '../../../seats/usage.js';
import { createExample, setup, type TestContext } from '../../helpers/fixtures.js';

describe('Seat usage', () => {
  let ctx: TestContext;
  let orgId: number;
  let owner: Actor;

  /** Acme with 5 standard and 2 premium seats; the primary owner holds a standard seat. */
  beforeEach(async () => {
    ctx = await setup('2026-02-01T10:00:00Z');
    const created = await createExample(ctx, { seats: { standard: 5, premium: 2 } });
    orgId = created.organisation.id;
    const accepted = await ctx.c.seats.acceptInvitation(orgId, created.primaryOwner.id, OPERATOR);
    owner = { type: 'member', memberId: accepted.id };
  });
  afterEach(() => ctx.cleanup());

  const admit = (email: string, tier: string) =>
    ctx.c.members.admit(orgId, { email, role: 'user' }, 'manual', { tier }, OPERATOR);
  const invite = (email: string, tier: string) =>
    ctx.c.members.invite(orgId, { email, role: 'user' }, { tier }, OPERATOR);
  /** [tier, allocation, held, seated, invited, available], highest tier first. */
  const rows = async () =>
    (await ctx.c.store.read((q) => tierUsage(q, orgId))).map((t) => [
      t.tierId,
      t.allocation,
      t.held,
      t.seated,
      t.invited,
      t.available,
    ]);

  test('When members are seated and invited in two tiers, then each tier counts them apart and available is what is left of the allocation', async () => {
    await admit('ada@acme.example', 'premium');
    await admit('bob@acme.example', 'standard');
    await invite('cy@acme.example', 'standard');
    assert.deepEqual(await rows(), [
      ['premium', 2, 1, 1, 0, 1],
      ['standard', 5, 3, 2, 1, 2],
    ]);
  });

  test('When a tier is full, then its available count is 0 and the names and prices come with it', async () => {
    await admit('ada@acme.example', 'premium');
    await admit('bob@acme.example', 'premium');
    const [premium] = await ctx.c.store.read((q) => tierUsage(q, orgId));
    assert.deepEqual(
      [premium?.tierId, premium?.available, premium?.held, premium?.unitPriceMinor],
      ['premium', 0, 2, 15000],
    );
    assert.equal(typeof premium?.tierName, 'string');
  });

  test('When the seat pool, the usage page and the directory report usage, then they report the same tiers', async () => {
    await admit('ada@acme.example', 'premium');
    await invite('bob@acme.example', 'standard');
    const once = await ctx.c.store.read((q) => tierUsage(q, orgId));
    assert.deepEqual(await ctx.c.seats.usage(orgId), once);
    assert.deepEqual((await ctx.c.store.read((q) => seatUsage(q, orgId, OPERATOR))).tiers, once);
    assert.deepEqual((await ctx.c.directory.usage(orgId, OPERATOR)).tiers, once);
  });

  test('When the usage page is read, then it lists who waits and the notice thresholds; a plain user may not read it', async () => {
    await ctx.c.directory.setSeatExhaustion(orgId, 'hold', OPERATOR);
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
      const userName = `${name}@acme.example`;
      await ctx.c.directory.createUser(
        orgId,
        {
          userName,
          externalId: null,
          active: true,
          displayName: null,
          email: null,
          tier: null,
          resource: {},
        },
        OPERATOR,
      );
    }
    const page = await ctx.c.store.read((q) => seatUsage(q, orgId, owner));
    assert.deepEqual(
      [page.awaiting.map((m) => m.email), page.refused, page.noticeThresholds],
      [['g@acme.example'], [], [80, 90, 100]],
    );
    assert.deepEqual(
      page.tiers.map((t) => t.available),
      [0, 0],
    );
    const a = (await ctx.c.store.read((q) => q.members.byEmail(orgId, 'a@acme.example')))!;
    await assert.rejects(
      () => ctx.c.store.read((q) => seatUsage(q, orgId, { type: 'member', memberId: a.id })),
      ForbiddenError,
    );
  });
  test('When the stored notice thresholds were edited by hand into something invalid, then the usage page shows the defaults, as the notices themselves use', async () => {
    // Edited by hand: through a connection of its own, as an operator's SQL client would.
    const store = async (json: string) => {
      if (ctx.databaseUrl !== null) {
        const other = new pg.Client({ connectionString: ctx.databaseUrl });
        await other.connect();
        try {
          await other.query('UPDATE organisations SET notice_thresholds = $1 WHERE id = $2', [json, orgId]);
        } finally {
          await other.end();
        }
        return;
      }
      const other = new Database(ctx.databasePath);
      try {
        other.prepare('UPDATE organisations SET notice_thresholds = ? WHERE id = ?').run(json, orgId);
      } finally {
        other.close();
      }
    };
    const thresholds = async () =>
      (await ctx.c.store.read((q) => seatUsage(q, orgId, OPERATOR))).noticeThresholds;
    await store('[50]');
    assert.deepEqual(await thresholds(), [50], 'a valid stored row is what the page shows');
    await store('[150, "x"');
    const page = { noticeThresholds: await thresholds() };
    assert.deepEqual(page.noticeThresholds, DEFAULT_NOTICE_THRESHOLDS);
  });

  test('When the usage of an organisation that does not exist is asked for, then it is refused as not found', async () => {
    await assert.rejects(() => ctx.c.store.read((q) => seatUsage(q, 987_654, OPERATOR)), NotFoundError);
  });
});
