// The source text's worked example, through the real services and a real database file.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { ContractExpiredError, ForbiddenError, QuoteError, SeatLimitError } from '../../../domain/errors.js';
import { formatMinor } from '../../../domain/money.js';
import { OPERATOR } from '../../../domain/model.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../../helpers/fixtures.js';
import { inspect } from '../../helpers/inspect.js';

const EXAMPLE = { add: { standard: 5 }, upgrades: [{ from: 'standard', to: 'premium', quantity: 10 }] };

describe('Adding and upgrading seats', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await setup('2026-01-01T08:00:00Z');
  });
  afterEach(() => ctx.cleanup());

  async function buyOn(day: string, overrides: Parameters<typeof createExample>[1] = {}) {
    const { organisation } = await createExample(ctx, overrides);
    ctx.clock.set(day);
    const quote = await ctx.c.billing.quote(organisation.id, EXAMPLE, OPERATOR);
    const invoice = await ctx.c.billing.confirm(organisation.id, quote.id, OPERATOR);
    return { organisation, quote, invoice };
  }

  test('When 5 standard seats are added and 10 upgraded on 1 March, then one invoice bills 10 months: 2,500.00 and 10,000.00', async () => {
    const { organisation, quote, invoice } = await buyOn('2026-03-01T10:00:00+01:00');
    assert.deepEqual(
      invoice.lines.map((l) => [
        l.action,
        l.tierId,
        l.quantity,
        l.unitPriceMinor,
        `${l.monthsNum}/${l.monthsDen}`,
        formatMinor(l.amountMinor, 'EUR'),
      ]),
      [
        ['add', 'standard', 5, 5000, '10/1', '2,500.00'],
        ['upgrade', 'premium', 10, 10000, '10/1', '10,000.00'],
      ],
    );
    assert.equal(invoice.totalMinor, 1_250_000);
    assert.deepEqual(quote.lines, invoice.lines, 'the invoice is exactly what was reviewed');
    const pool = await ctx.c.seats.usage(organisation.id);
    assert.deepEqual(
      pool.map((t) => [t.tierId, t.allocation, t.held]),
      [
        ['premium', 10, 0],
        ['standard', 95, 1],
      ],
    );
    assert.ok(await heldMatchesMembers(ctx, organisation.id));
  });

  test('When the same purchase is made on 16 March, then 9 16/31 months are billed: 2,379.03 and 9,516.13', async () => {
    const { invoice } = await buyOn('2026-03-16T12:00:00+01:00');
    assert.deepEqual(
      invoice.lines.map((l) => formatMinor(l.amountMinor, 'EUR')),
      ['2,379.03', '9,516.13'],
    );
    assert.equal(invoice.lines[0]!.monthsNum, 295);
    assert.equal(invoice.lines[0]!.monthsDen, 31);
  });

  test('When the term starts on 31 January, then March is the period from 28 February to 31 March', async () => {
    const { invoice } = await buyOn('2026-03-10T12:00:00+01:00', { termStart: '2026-01-31' });
    // 21 of the period's 31 days left + 10 whole months: 5 × 50.00 × 331/31 = 2,669.354… → 2,669.35
    assert.deepEqual(
      invoice.lines.map((l) => [l.monthsNum, l.monthsDen, l.amountMinor]),
      [
        [331, 31, 266935],
        [331, 31, 1067742],
      ],
    );
  });

  test('When the change falls in a leap-year February, then the period has 29 days', async () => {
    const { invoice } = await buyOn('2028-02-15T12:00:00+01:00', { termStart: '2028-01-01' });
    // 15 of 29 days + 10 months = 305/29; 5 × 5000 × 305/29 = 262931.03… ; 10 × 10000 × 305/29 = 1051724.13…
    assert.deepEqual(
      invoice.lines.map((l) => [l.monthsNum, l.monthsDen, l.amountMinor]),
      [
        [305, 29, 262931],
        [305, 29, 1051724],
      ],
    );
  });

  test('When the change is on the last day of the term, then one day of 31 is billed', async () => {
    const { invoice } = await buyOn('2026-12-31T18:00:00+01:00');
    // 5 × 5000 / 31 = 806.45… ; 10 × 10000 / 31 = 3225.80… → 3226
    assert.deepEqual(
      invoice.lines.map((l) => [l.monthsNum, l.monthsDen, l.amountMinor]),
      [
        [1, 31, 806],
        [1, 31, 3226],
      ],
    );
  });

  test('When the currency has no minor unit, then amounts are whole yen, rounded once per line', async () => {
    const { invoice } = await buyOn('2026-03-16T12:00:00+09:00', {
      currency: 'JPY',
      timeZone: 'Asia/Tokyo',
      prices: { standard: 7000, premium: 21000 },
    });
    // 5 × 7000 × 295/31 = 333064.5… → 333065 ; 10 × 14000 × 295/31 = 1332258.06… → 1332258
    assert.deepEqual(
      invoice.lines.map((l) => formatMinor(l.amountMinor, invoice.currency)),
      ['333,065', '1,332,258'],
    );
    assert.equal(invoice.totalMinor, 333065 + 1332258);
  });

  test('When a quote is confirmed twice, then the seats are bought once and the same invoice returns', async () => {
    const { organisation, quote, invoice } = await buyOn('2026-03-01T10:00:00+01:00');
    const again = await ctx.c.billing.confirm(organisation.id, quote.id, OPERATOR);
    assert.equal(again.id, invoice.id);
    assert.equal(
      (await ctx.c.seats.usage(organisation.id)).find((t) => t.tierId === 'standard')!.allocation,
      95,
    );
  });

  test('When a quote is only reviewed, then nothing changes', async () => {
    const { organisation } = await createExample(ctx);
    const before = await ctx.c.seats.usage(organisation.id);
    const invoices = (await ctx.c.billing.invoices(organisation.id, OPERATOR)).length;
    await ctx.c.billing.quote(organisation.id, EXAMPLE, OPERATOR);
    assert.deepEqual(await ctx.c.seats.usage(organisation.id), before);
    assert.equal((await ctx.c.billing.invoices(organisation.id, OPERATOR)).length, invoices);
  });

  test('When a quote has expired, then confirming it is refused', async () => {
    const { organisation } = await createExample(ctx);
    ctx.clock.set('2026-03-01T10:00:00+01:00');
    const quote = await ctx.c.billing.quote(organisation.id, EXAMPLE, OPERATOR);
    ctx.clock.advance({ minutes: 16 });
    await assert.rejects(
      () => ctx.c.billing.confirm(organisation.id, quote.id, OPERATOR),
      (e) => e instanceof QuoteError && e.code === 'quote_expired',
    );
  });

  test('When a quote would cross midnight in the contract zone, then it expires at midnight (the price changes with the day)', async () => {
    const { organisation } = await createExample(ctx);
    ctx.clock.set('2026-03-01T23:55:00+01:00');
    const quote = await ctx.c.billing.quote(organisation.id, EXAMPLE, OPERATOR);
    assert.equal(quote.expiresAt, '2026-03-01T23:00:00.000Z');
  });

  test('When another purchase lands first, then the older quote is stale', async () => {
    const { organisation } = await createExample(ctx);
    ctx.clock.set('2026-03-01T10:00:00+01:00');
    const first = await ctx.c.billing.quote(organisation.id, EXAMPLE, OPERATOR);
    const second = await ctx.c.billing.quote(organisation.id, { add: { premium: 1 } }, OPERATOR);
    await ctx.c.billing.confirm(organisation.id, second.id, OPERATOR);
    await assert.rejects(
      () => ctx.c.billing.confirm(organisation.id, first.id, OPERATOR),
      (e) => e instanceof QuoteError && e.code === 'quote_stale',
    );
  });

  test('When too few standard seats are unclaimed, then the upgrade must name the members to move', async () => {
    const { organisation } = await createExample(ctx, { seats: { standard: 3, premium: 0 } });
    const a = await ctx.c.members.admit(
      organisation.id,
      { email: 'a@acme.example', role: 'user' },
      'manual',
      { tier: 'standard' },
      OPERATOR,
    );
    await ctx.c.members.admit(
      organisation.id,
      { email: 'b@acme.example', role: 'user' },
      'manual',
      { tier: 'standard' },
      OPERATOR,
    );
    ctx.clock.set('2026-03-01T10:00:00+01:00');
    const upgrade = (moveMemberIds: number[]) => ({
      upgrades: [{ from: 'standard', to: 'premium', quantity: 1, moveMemberIds }],
    });
    await assert.rejects(
      () => ctx.c.billing.quote(organisation.id, upgrade([]), OPERATOR),
      /name 1 more standard member/,
    );
    const quote = await ctx.c.billing.quote(organisation.id, upgrade([a.id]), OPERATOR);
    await ctx.c.billing.confirm(organisation.id, quote.id, OPERATOR);
    const moved = (await inspect(ctx.c.store).member(organisation.id, a.id))!;
    assert.equal(moved.tierId, 'premium');
    assert.deepEqual(
      (await ctx.c.seats.usage(organisation.id)).map((t) => [t.tierId, t.allocation, t.held]),
      [
        ['premium', 1, 1],
        ['standard', 2, 2],
      ],
    );
    assert.ok(await heldMatchesMembers(ctx, organisation.id));
  });

  test('When an admin or a user tries to buy, then it is refused; an owner may', async () => {
    const { organisation } = await createExample(ctx);
    const admin = await ctx.c.members.admit(
      organisation.id,
      { email: 'ad@acme.example', role: 'admin' },
      'manual',
      { lowest: true },
      OPERATOR,
    );
    const owner = await ctx.c.members.admit(
      organisation.id,
      { email: 'ow@acme.example', role: 'owner' },
      'manual',
      { lowest: true },
      OPERATOR,
    );
    await assert.rejects(
      () => ctx.c.billing.quote(organisation.id, EXAMPLE, { type: 'member', memberId: admin.id }),
      ForbiddenError,
    );
    const quote = await ctx.c.billing.quote(organisation.id, EXAMPLE, { type: 'member', memberId: owner.id });
    await assert.rejects(
      () => ctx.c.billing.confirm(organisation.id, quote.id, { type: 'member', memberId: admin.id }),
      ForbiddenError,
    );
    assert.equal(
      (await ctx.c.billing.confirm(organisation.id, quote.id, { type: 'member', memberId: owner.id })).kind,
      'purchase',
    );
  });

  test('When the pool is empty, then a claim names the exhausted tier and writes nothing', async () => {
    const { organisation } = await createExample(ctx, { seats: { standard: 1, premium: 0 } }); // the owner's invitation holds it
    const auditBefore = await ctx.c.store.read(async (q) => (await q.audit.list(organisation.id)).length);
    await assert.rejects(
      () =>
        ctx.c.members.admit(
          organisation.id,
          { email: 'x@acme.example', role: 'user' },
          'scim',
          { highest: true },
          OPERATOR,
        ),
      (e) =>
        e instanceof SeatLimitError &&
        /premium, standard/.test(e.message) &&
        /owner must add seats/.test(e.message),
    );
    assert.equal(
      await ctx.c.store.read((q) => q.members.byEmail(organisation.id, 'x@acme.example')),
      undefined,
    );
    assert.equal(
      await ctx.c.store.read(async (q) => (await q.audit.list(organisation.id)).length),
      auditBefore,
    );
  });

  test('When an auto-renewing term ends, then the next term has the seats in use and a 12-month renewal invoice; the job is idempotent', async () => {
    const { organisation } = await createExample(ctx, { seats: { standard: 10, premium: 2 } });
    await ctx.c.members.admit(
      organisation.id,
      { email: 'p@acme.example', role: 'user' },
      'scim',
      { highest: true },
      OPERATOR,
    );
    await ctx.c.members.admit(
      organisation.id,
      { email: 's@acme.example', role: 'user' },
      'scim',
      { tier: 'standard' },
      OPERATOR,
    );
    ctx.clock.set('2027-01-01T00:00:00+01:00');
    const outcomes = await ctx.c.renewals.run();
    assert.deepEqual(
      outcomes.map((o) => [o.outcome, o.termNumber]),
      [['renewed', 2]],
    );
    assert.deepEqual(await ctx.c.renewals.run(), [], 'a second run does nothing');
    const pool = await ctx.c.seats.usage(organisation.id);
    assert.deepEqual(
      pool.map((t) => [t.tierId, t.allocation, t.held]),
      [
        ['premium', 1, 1],
        ['standard', 1, 1],
      ],
      "the owner's invitation lapsed on 22 January 2026, so it is not a seat in use at term end",
    );
    const renewal = (await ctx.c.billing.invoices(organisation.id, OPERATOR)).find(
      (i) => i.kind === 'renewal',
    )!;
    assert.deepEqual(
      renewal.lines.map((l) => [
        l.tierId,
        l.quantity,
        l.monthsNum,
        l.amountMinor,
        l.periodStart,
        l.periodEnd,
      ]),
      [
        ['premium', 1, 12, 180000, '2027-01-01', '2027-12-31'],
        ['standard', 1, 12, 60000, '2027-01-01', '2027-12-31'],
      ],
    );
  });

  test('When a contract does not renew, then after its term every claim and purchase is refused', async () => {
    const { organisation } = await createExample(ctx, { autoRenew: false });
    ctx.clock.set('2027-01-01T00:00:00+01:00');
    const claim = () =>
      ctx.c.members.admit(
        organisation.id,
        { email: 'late@acme.example', role: 'user' },
        'jit',
        { highest: true },
        OPERATOR,
      );
    await assert.rejects(claim, ContractExpiredError, 'refused even before the job marks it expired');
    assert.deepEqual(
      (await ctx.c.renewals.run()).map((o) => o.outcome),
      ['expired'],
    );
    await assert.rejects(
      claim,
      (e) => e instanceof ContractExpiredError && /ended on 2026-12-31/.test(e.message),
    );
    await assert.rejects(() => ctx.c.billing.quote(organisation.id, EXAMPLE, OPERATOR), ContractExpiredError);
  });
});
