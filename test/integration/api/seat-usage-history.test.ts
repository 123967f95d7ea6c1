// Seat usage over time: the day-by-day series per tier replayed from the audit log, checked exactly
// against a scripted history (invitations, claims, a purchase, a tier change, releases on known
// days, one of them just after midnight in the contract's zone), its CSV, and who may read them.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { HIGHEST, OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld, type Caller } from '../../helpers/api.js';

/** One day of one tier as the API lists it: [date, bought, held, seated, invited, available]. */
type Row = [string, number, number, number, number, number];

function rows(tier: {
  days: { date: string; bought: number; held: number; seated: number; invited: number; available: number }[];
}): Row[] {
  return tier.days.map((d) => [d.date, d.bought, d.held, d.seated, d.invited, d.available]);
}

describe('admin API: seat usage over time', () => {
  let w: ApiWorld;
  const ids = { dana: 0, eli: 0, finn: 0 };
  /** Sessions started at the report's "now" (a session lasts hours, the script days). */
  let as: Record<'owner' | 'admin' | 'user', Caller>;

  beforeAll(async () => {
    // 1 January 2026, 10:00 in Berlin: the organisation is made (standard 100, premium 0); the
    // primary owner's invitation holds a standard seat and is accepted, and the owner, admin and
    // user of the test world are admitted into standard seats: 4 seated.
    w = await apiWorld('2026-01-01T09:00:00Z');
    const org = w.organisationId;
    const admit = async (name: string) =>
      (
        await w.c.members.admit(
          org,
          { email: `${name}@acme.example`, role: 'user' },
          'manual',
          HIGHEST,
          OPERATOR,
        )
      ).id;

    // 2 January: two more members join (standard: 6 seated), one is invited (1 invited).
    w.clock.set('2026-01-02T08:00:00Z');
    ids.dana = await admit('dana');
    ids.eli = await admit('eli');
    ids.finn = (
      await w.c.members.invite(
        org,
        { email: 'finn@acme.example', role: 'user' },
        { tier: 'standard' },
        OPERATOR,
      )
    ).member.id;

    // 4 January: 3 premium seats bought; Dana moves up into one.
    w.clock.set('2026-01-04T11:00:00Z');
    const quote = await w.c.billing.quote(org, { add: { premium: 3 } }, OPERATOR);
    await w.c.billing.confirm(org, quote.id, OPERATOR);
    await w.c.seats.changeTier(org, ids.dana, 'premium', OPERATOR);

    // 5 January, 23:30 UTC is 6 January, 00:30 in Berlin: Eli's removal counts on the 6th.
    w.clock.set('2026-01-05T23:30:00Z');
    await w.c.seats.release(org, ids.eli, OPERATOR, 'removed');

    // 6 January, noon: Finn's invitation is revoked; "now" for the report.
    w.clock.set('2026-01-06T12:00:00Z');
    await w.c.seats.revokeInvitation(org, ids.finn, OPERATOR);
    as = {
      owner: await w.signedIn(w.as.owner.memberId),
      admin: await w.signedIn(w.as.admin.memberId),
      user: await w.signedIn(w.as.user.memberId),
    };
  });
  afterAll(() => w.cleanup());

  test('When an admin asks for the history, then each tier lists every day of the term so far, as it stood at the end of the day in the contract zone', async () => {
    const res = await as.admin.get('/usage/history');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.term, { number: 1, start: '2026-01-01', end: '2026-12-31' });
    assert.equal(res.body.timeZone, 'Europe/Berlin');
    assert.equal(res.body.through, '2026-01-06');
    assert.deepEqual(
      (res.body.tiers as { id: string }[]).map((t) => t.id),
      ['premium', 'standard'],
      'highest tier first',
    );
    const [premium, standard] = res.body.tiers;
    assert.deepEqual(rows(standard), [
      ['2026-01-01', 100, 4, 4, 0, 96],
      ['2026-01-02', 100, 7, 6, 1, 93],
      ['2026-01-03', 100, 7, 6, 1, 93],
      ['2026-01-04', 100, 6, 5, 1, 94],
      ['2026-01-05', 100, 6, 5, 1, 94],
      ['2026-01-06', 100, 4, 4, 0, 96],
    ]);
    assert.deepEqual(rows(premium), [
      ['2026-01-01', 0, 0, 0, 0, 0],
      ['2026-01-02', 0, 0, 0, 0, 0],
      ['2026-01-03', 0, 0, 0, 0, 0],
      ['2026-01-04', 3, 1, 1, 0, 2],
      ['2026-01-05', 3, 1, 1, 0, 2],
      ['2026-01-06', 3, 1, 1, 0, 2],
    ]);
  });

  test('When the history is downloaded as CSV, then it has one row per day per tier, exactly', async () => {
    const res = await as.admin.get('/usage/history.csv');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    assert.equal(res.headers['content-disposition'], 'attachment; filename="seat-usage-term-1.csv"');
    assert.equal(
      res.text,
      [
        'date,tier,bought,held,seated,invited,available',
        '2026-01-01,premium,0,0,0,0,0',
        '2026-01-01,standard,100,4,4,0,96',
        '2026-01-02,premium,0,0,0,0,0',
        '2026-01-02,standard,100,7,6,1,93',
        '2026-01-03,premium,0,0,0,0,0',
        '2026-01-03,standard,100,7,6,1,93',
        '2026-01-04,premium,3,1,1,0,2',
        '2026-01-04,standard,100,6,5,1,94',
        '2026-01-05,premium,3,1,1,0,2',
        '2026-01-05,standard,100,6,5,1,94',
        '2026-01-06,premium,3,1,1,0,2',
        '2026-01-06,standard,100,4,4,0,96',
        '',
      ].join('\r\n'),
    );
  });

  test('When the last day is today, then it is the usage now, the same as GET /usage', async () => {
    const [history, now] = await Promise.all([as.owner.get('/usage/history'), as.owner.get('/usage')]);
    for (const tier of now.body.tiers as {
      id: string;
      allocation: number;
      held: number;
      seated: number;
      invited: number;
    }[]) {
      const last = (
        history.body.tiers as {
          id: string;
          days: { bought: number; held: number; seated: number; invited: number }[];
        }[]
      )
        .find((t) => t.id === tier.id)!
        .days.at(-1)!;
      assert.deepEqual(
        [last.bought, last.held, last.seated, last.invited],
        [tier.allocation, tier.held, tier.seated, tier.invited],
        tier.id,
      );
    }
  });

  test('When a user asks for the history or its CSV, then 403 naming admins', async () => {
    for (const path of ['/usage/history', '/usage/history.csv']) {
      const res = await as.user.get(path);
      assert.equal(res.status, 403, path);
      assert.equal(problem(res).requiredRole, 'admin');
    }
  });

  test('When the history is asked with a query it does not take, then 400 problem JSON', async () => {
    const res = await as.admin.get('/usage/history?term=0');
    assert.equal(res.status, 400);
    assert.equal(problem(res).code, 'validation_failed');
  });
});

describe('admin API: seat usage over time, across the end of a term', () => {
  test('When a term that does not renew is over, then the history stops at its last day', async () => {
    const w = await apiWorld('2026-01-01T09:00:00Z');
    try {
      // The world's contract renews; one that does not is made for this test.
      const other = await w.c.organisations.create(
        {
          slug: 'beta',
          name: 'Beta AG',
          domains: ['beta.example'],
          contract: {
            termStart: '2026-01-01',
            timeZone: 'Europe/Berlin',
            currency: 'EUR',
            autoRenew: false,
            prices: { standard: 5000, premium: 15000 },
            seats: { standard: 2, premium: 0 },
          },
          primaryOwner: { email: 'owner@beta.example' },
        },
        OPERATOR,
      );
      const token = (
        await w.c.apiTokens.create(other.organisation.id, { name: 'report', role: 'admin' }, OPERATOR)
      ).token;
      w.clock.set('2027-01-05T12:00:00Z');
      const res = await w.withToken(token).get('/usage/history');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.through, '2026-12-31');
      const standard = (res.body.tiers as { id: string; days: { date: string; held: number }[] }[]).find(
        (t) => t.id === 'standard',
      )!;
      assert.equal(standard.days.length, 365);
      assert.equal(standard.days.at(-1)!.date, '2026-12-31');
    } finally {
      await w.cleanup();
    }
  });

  test('When an auto-renewing term has rolled over, then the history is the new term, bought as held at the old term’s end', async () => {
    const w = await apiWorld('2026-01-01T09:00:00Z');
    try {
      w.clock.set('2027-01-02T09:00:00Z');
      await w.c.runJobs();
      const admin = await w.signedIn(w.as.admin.memberId);
      const res = await admin.get('/usage/history');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.term, { number: 2, start: '2027-01-01', end: '2027-12-31' });
      const standard = (
        res.body.tiers as { id: string; days: { date: string; bought: number; held: number }[] }[]
      ).find((t) => t.id === 'standard')!;
      assert.deepEqual(
        standard.days.map((d) => [d.date, d.bought, d.held]),
        [
          ['2027-01-01', 4, 4],
          ['2027-01-02', 4, 4],
        ],
      );
    } finally {
      await w.cleanup();
    }
  });
});
