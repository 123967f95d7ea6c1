// The billing routes: the contract and seats, quotes (priced exactly, no side effect), confirming a
// quote once, invoices, and the renewal preview, through the real app with a real database.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { previewRenewal } from '../../../billing/renewal.js';
import type { Contract } from '../../../domain/records.js';
import { apiWorld, problem, type ApiWorld, pointers } from '../../helpers/api.js';
import { storedState } from '../../helpers/org-state.js';
import { inspect } from '../../helpers/inspect.js';

const EXAMPLE = { add: { standard: 5 }, upgrades: [{ from: 'standard', to: 'premium', quantity: 10 }] };

describe('admin API: billing overview and invoices', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an owner opens billing, then the contract and every tier are shown in minor units', async () => {
    const res = await w.as.owner.get('/billing');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.contract, {
      currency: 'EUR',
      currencyDigits: 2,
      timeZone: 'Europe/Berlin',
      termNumber: 1,
      termStart: '2026-01-01',
      termEnd: '2026-12-31',
      autoRenew: true,
      status: 'active',
    });
    assert.deepEqual(res.body.tiers, [
      {
        id: 'premium',
        name: 'Premium',
        rank: 20,
        unitPriceMinor: 15000,
        allocation: 0,
        held: 0,
        available: 0,
      },
      {
        id: 'standard',
        name: 'Standard',
        rank: 10,
        unitPriceMinor: 5000,
        allocation: 100,
        held: 4,
        available: 96,
      },
    ]);
  });

  test('When the primary owner lists invoices, then the initial invoice is there and opens with its lines', async () => {
    const list = await w.as.primary_owner.get('/invoices');
    assert.equal(list.status, 200);
    assert.equal(list.body.invoices.length, 1);
    const [initial] = list.body.invoices;
    assert.equal(initial.number, 'ACME-0001');
    assert.equal(initial.kind, 'initial');
    assert.equal(initial.totalMinor, 100 * 5000 * 12);
    assert.equal(initial.lines, undefined, 'the listing leaves lines to the invoice itself');

    const one = await w.as.primary_owner.get('/invoices/ACME-0001');
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.lines, [
      {
        tier: 'standard',
        action: 'term',
        description: one.body.lines[0].description,
        quantity: 100,
        unitPriceMinor: 5000,
        months: { numerator: 12, denominator: 1, text: '12' },
        periodStart: '2026-01-01',
        periodEnd: '2026-12-31',
        amountMinor: 6_000_000,
      },
    ]);
  });

  test('When an invoice number is unknown or malformed, then 404 or 400', async () => {
    const missing = await w.as.owner.get('/invoices/ACME-9999');
    assert.equal(missing.status, 404);
    assert.equal(problem(missing).code, 'not_found');
    const malformed = await w.as.owner.get('/invoices/acme%20one');
    assert.equal(malformed.status, 400);
    assert.deepEqual(pointers(malformed), ['/number']);
  });

  test('When an admin or a user asks for billing, then 403 names owner as the role needed', async () => {
    for (const who of [w.as.admin, w.as.user]) {
      for (const path of ['/billing', '/invoices', '/invoices/ACME-0001', '/billing/renewal-preview']) {
        const res = await who.get(path);
        assert.equal(res.status, 403, path);
        assert.equal(problem(res).requiredRole, 'owner');
      }
    }
  });
});

describe('admin API: the product example, quoted and bought', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld(); // 2026-03-01, 10:00 in Berlin: ten whole months left in the term
  });
  afterAll(() => w.cleanup());

  test('When an owner quotes 5 standard seats and 10 upgrades on 1 March, then the lines are 2,500.00 and 10,000.00 EUR and nothing changes', async () => {
    const stateBefore = await storedState(w);
    const res = await w.as.owner.post('/billing/quotes', EXAMPLE);
    assert.equal(res.status, 200);
    assert.match(res.body.id, /^q_[\w-]+$/);
    assert.equal(res.body.currency, 'EUR');
    assert.deepEqual(
      (res.body.lines as Record<string, unknown>[]).map((l) => [
        l.tier,
        l.action,
        l.quantity,
        l.unitPriceMinor,
        l.months,
        l.amountMinor,
      ]),
      [
        ['standard', 'add', 5, 5000, { numerator: 10, denominator: 1, text: '10' }, 250_000],
        ['premium', 'upgrade', 10, 10_000, { numerator: 10, denominator: 1, text: '10' }, 1_000_000],
      ],
    );
    assert.equal(res.body.totalMinor, 1_250_000);
    assert.ok(Number.isInteger(res.body.totalMinor));
    assert.equal(res.body.expiresAt, '2026-03-01T09:15:00.000Z');

    const stateAfter = await storedState(w);
    assert.deepEqual(stateAfter.pools, stateBefore.pools, 'a quote buys nothing');
    assert.deepEqual(stateAfter.invoices, stateBefore.invoices);
    assert.deepEqual(stateAfter.audit, stateBefore.audit, 'a quote is not a change to audit');
  });

  test('When the owner confirms the quote, then the invoice is issued once, and a second confirm answers the same invoice', async () => {
    const quote = (await w.as.owner.post('/billing/quotes', EXAMPLE)).body;
    const first = await w.as.owner.post(`/billing/quotes/${quote.id}/confirm`);
    assert.equal(first.status, 201);
    assert.equal(first.body.number, 'ACME-0002');
    assert.equal(first.headers.location, '/api/v1/invoices/ACME-0002');
    assert.equal(first.body.kind, 'purchase');
    assert.equal(first.body.quoteId, quote.id);
    assert.deepEqual(first.body.lines, quote.lines);
    assert.equal(first.body.totalMinor, 1_250_000);

    const again = await w.as.primary_owner.post(`/billing/quotes/${quote.id}/confirm`);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);

    const billing = (await w.as.owner.get('/billing')).body;
    assert.deepEqual(
      (billing.tiers as { id: string; allocation: number }[]).map((t) => [t.id, t.allocation]),
      [
        ['premium', 10],
        ['standard', 95],
      ],
    );
    const invoices = (await w.as.owner.get('/invoices')).body.invoices;
    assert.deepEqual(
      (invoices as { number: string }[]).map((i) => i.number),
      ['ACME-0001', 'ACME-0002'],
    );
    const bought = (await inspect(w.c.store).audit(w.organisationId)).filter(
      (e) => e.action === 'allocation.changed' && e.actorType === 'member',
    );
    assert.equal(bought.length, 1, 'one purchase, however many confirms');
  });

  test('When two confirms of one quote arrive together, then one buys (201) and the other answers the same invoice (200)', async () => {
    const quote = (await w.as.owner.post('/billing/quotes', { add: { premium: 2 } })).body;
    const invoicesBefore = ((await storedState(w)).invoices as unknown[]).length;
    const [a, b] = await Promise.all([
      w.as.owner.post(`/billing/quotes/${quote.id}/confirm`),
      w.as.primary_owner.post(`/billing/quotes/${quote.id}/confirm`),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [200, 201]);
    assert.deepEqual(a.body, b.body);
    assert.equal(((await storedState(w)).invoices as unknown[]).length, invoicesBefore + 1);
  });

  test('When a quote is confirmed after a newer purchase, then 409 quote_stale and nothing is bought', async () => {
    const a = (await w.as.owner.post('/billing/quotes', { add: { standard: 1 } })).body;
    const b = (await w.as.owner.post('/billing/quotes', { add: { premium: 1 } })).body;
    assert.equal((await w.as.owner.post(`/billing/quotes/${a.id}/confirm`)).status, 201);
    const stateBefore = await storedState(w);
    const stale = await w.as.owner.post(`/billing/quotes/${b.id}/confirm`);
    assert.equal(stale.status, 409);
    assert.equal(problem(stale).code, 'quote_stale');
    assert.deepEqual(await storedState(w), stateBefore);
  });

  test('When a quote has expired, then confirming it is 409 quote_expired', async () => {
    const quote = (await w.as.owner.post('/billing/quotes', { add: { standard: 1 } })).body;
    w.clock.advance({ minutes: 16 });
    try {
      const res = await w.as.owner.post(`/billing/quotes/${quote.id}/confirm`);
      assert.equal(res.status, 409);
      assert.equal(problem(res).code, 'quote_expired');
    } finally {
      w.clock.set('2026-03-01T09:00:00Z');
    }
  });

  test('When a quote id is unknown or malformed, then 404 or 400', async () => {
    const unknown = await w.as.owner.post('/billing/quotes/q_doesNotExist/confirm');
    assert.equal(unknown.status, 404);
    const malformed = await w.as.owner.post('/billing/quotes/not-a-quote/confirm');
    assert.equal(malformed.status, 400);
    assert.deepEqual(pointers(malformed), ['/quoteId']);
  });

  test('When more seats are upgraded than are unclaimed, then 409 says how many members to name', async () => {
    const res = await w.as.owner.post('/billing/quotes', {
      upgrades: [{ from: 'standard', to: 'premium', quantity: 95 }],
    });
    assert.equal(res.status, 409);
    const body = problem(res);
    assert.equal(body.code, 'upgrade_needs_members');
    assert.equal(typeof body.membersNeeded, 'number');
    assert.ok((body.membersNeeded as number) > 0);
  });

  test('When upgrades name members to move, then the confirm moves them into the new seats', async () => {
    const tiers = (await w.as.owner.get('/billing')).body.tiers as { id: string; available: number }[];
    const unclaimed = tiers.find((t) => t.id === 'standard')!.available;
    const res = await w.as.owner.post('/billing/quotes', {
      upgrades: [
        { from: 'standard', to: 'premium', quantity: unclaimed + 1, moveMemberIds: [w.as.user.memberId] },
      ],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal((await w.as.owner.post(`/billing/quotes/${res.body.id}/confirm`)).status, 201);
    const user = (await inspect(w.c.store).member(w.organisationId, w.as.user.memberId))!;
    assert.equal(user.tierId, 'premium');
  });
});

describe('admin API: quotes on 16 March', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld('2026-03-16T09:00:00Z'); // 9 + 16/31 months left
  });
  afterAll(() => w.cleanup());

  test('When the example is quoted on 16 March, then the lines are 2,379.03 and 9,516.13 EUR', async () => {
    const res = await w.as.owner.post('/billing/quotes', EXAMPLE);
    assert.equal(res.status, 200);
    assert.deepEqual(
      (res.body.lines as { amountMinor: number; months: unknown }[]).map((l) => [l.amountMinor, l.months]),
      [
        [237_903, { numerator: 295, denominator: 31, text: '9 16/31' }],
        [951_613, { numerator: 295, denominator: 31, text: '9 16/31' }],
      ],
    );
    assert.equal(res.body.totalMinor, 237_903 + 951_613);
    const confirmed = await w.as.owner.post(`/billing/quotes/${res.body.id}/confirm`);
    assert.equal(confirmed.status, 201);
    assert.deepEqual(
      (confirmed.body.lines as { amountMinor: number }[]).map((l) => l.amountMinor),
      [237_903, 951_613],
    );
  });
});

describe('admin API: idempotent quotes', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When the same idempotency key is sent again, in the body or the header, then the same quote comes back', async () => {
    const first = await w.as.owner.post('/billing/quotes', { ...EXAMPLE, idempotencyKey: 'order-17' });
    assert.equal(first.status, 200);
    const again = await w.as.owner.post('/billing/quotes', { ...EXAMPLE, idempotencyKey: 'order-17' });
    assert.equal(again.body.id, first.body.id);
    const viaHeader = await w.as.owner.post('/billing/quotes', EXAMPLE).set('idempotency-key', 'order-17');
    assert.equal(viaHeader.status, 200);
    assert.equal(viaHeader.body.id, first.body.id);
  });

  test('When a key is reused for another purchase, then 409 idempotency_key_reused', async () => {
    const res = await w.as.owner
      .post('/billing/quotes', { add: { standard: 6 } })
      .set('idempotency-key', 'order-17');
    assert.equal(res.status, 409);
    assert.equal(problem(res).code, 'idempotency_key_reused');
  });

  test('When header and body keys differ, or the header is not printable, then 400 points at it', async () => {
    const differ = await w.as.owner
      .post('/billing/quotes', { ...EXAMPLE, idempotencyKey: 'a' })
      .set('idempotency-key', 'b');
    assert.equal(differ.status, 400);
    assert.deepEqual(pointers(differ), ['/idempotencyKey']);
    const long = await w.as.owner.post('/billing/quotes', EXAMPLE).set('idempotency-key', 'k'.repeat(201));
    assert.equal(long.status, 400);
    assert.deepEqual((problem(long).errors as { in: string }[])[0]!.in, 'header');
  });
});

describe('admin API: quote input is strict', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  const bad: [string, unknown, string[]][] = [
    ['a negative quantity', { add: { standard: -5 } }, ['/add/standard']],
    ['a fractional quantity', { add: { standard: 1.5 } }, ['/add/standard']],
    [
      'a quantity as text',
      { upgrades: [{ from: 'standard', to: 'premium', quantity: '10' }] },
      ['/upgrades/0/quantity'],
    ],
    ['an unknown field', { add: { standard: 1 }, discount: 50 }, ['/discount']],
    [
      'an unknown upgrade field',
      { upgrades: [{ from: 'standard', to: 'premium', quantity: 1, price: 0 }] },
      ['/upgrades/0/price'],
    ],
    ['an absurd quantity', { add: { standard: 10_000_000 } }, ['/add/standard']],
    ['a malformed tier id', { add: { 'Premium Plus': 1 } }, ['/add/Premium Plus']],
    ['a list instead of a map', { add: [5] }, ['/add']],
  ];
  for (const [what, body, expected] of bad) {
    test(`When a quote has ${what}, then 400 points at it and nothing is written`, async () => {
      const stateBefore = await storedState(w);
      const res = await w.as.owner.post('/billing/quotes', body);
      assert.equal(res.status, 400, res.text);
      assert.equal(problem(res).code, 'validation_failed');
      assert.deepEqual(pointers(res), expected);
      assert.deepEqual(await storedState(w), stateBefore);
    });
  }

  test('When a quote asks for nothing, an unknown tier or a downgrade, then 400 with the rule broken', async () => {
    const stateBefore = await storedState(w);
    for (const [body, code] of [
      [{}, 'empty_purchase'],
      [{ add: { standard: 0 } }, 'empty_purchase'],
      [{ add: { gold: 1 } }, 'unknown_tier'],
      [{ upgrades: [{ from: 'premium', to: 'standard', quantity: 1 }] }, 'not_an_upgrade'],
    ] as const) {
      const res = await w.as.owner.post('/billing/quotes', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(problem(res).code, code);
    }
    assert.deepEqual(await storedState(w), stateBefore);
  });

  test('When the body is larger than 64 KiB, then 413 and nothing is written', async () => {
    const stateBefore = await storedState(w);
    const res = await w.as.owner.post('/billing/quotes', {
      add: { standard: 1 },
      idempotencyKey: 'k'.repeat(70_000),
    });
    assert.equal(res.status, 413);
    assert.deepEqual(await storedState(w), stateBefore);
  });
});

describe('admin API: renewal preview', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an owner previews the renewal, then it bills the seats in use for 12 months, exactly as the renewal job then does', async () => {
    const res = await w.as.owner.get('/billing/renewal-preview');
    assert.equal(res.status, 200);
    assert.equal(res.body.renews, true);
    assert.deepEqual(res.body.nextTerm, { number: 2, start: '2027-01-01', end: '2027-12-31' });
    assert.equal(res.body.currency, 'EUR');
    assert.deepEqual(
      (res.body.lines as Record<string, unknown>[]).map((l) => [l.tier, l.action, l.quantity, l.amountMinor]),
      [['standard', 'term', 4, 4 * 5000 * 12]],
    );
    assert.equal(res.body.totalMinor, 240_000);

    w.clock.set('2027-01-01T00:00:00+01:00');
    const outcomes = await w.c.renewals.run();
    assert.equal(outcomes.length, 1);
    // Ten months on, the morning's session has long ended: sign in again.
    const renewal = await (
      await w.signedIn(w.as.owner.memberId)
    ).get(`/invoices/${outcomes[0]!.invoiceNumber!}`);
    assert.equal(renewal.status, 200);
    assert.deepEqual(renewal.body.lines, res.body.lines);
    assert.equal(renewal.body.totalMinor, res.body.totalMinor);
  });

  test('When a contract does not renew, then the preview bills nothing', () => {
    const contract: Contract = {
      organisationId: 1,
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      autoRenew: false,
      termNumber: 1,
      termStart: '2026-01-31',
      status: 'active',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    const pool = [
      { tierId: 'standard', tierName: 'Standard', rank: 10, unitPriceMinor: 5000, allocation: 10, held: 3 },
    ];
    const ends = previewRenewal(contract, pool);
    assert.equal(ends.renews, false);
    assert.deepEqual(ends.lines, []);
    assert.deepEqual(ends.nextTerm, { number: 2, start: '2027-01-31', end: '2028-01-30' });
    const renews = previewRenewal({ ...contract, autoRenew: true }, pool);
    assert.deepEqual(
      renews.lines.map((l) => [l.quantity, l.amountMinor, l.periodStart, l.periodEnd]),
      [[3, 180_000, '2027-01-31', '2028-01-30']],
    );
  });
});
