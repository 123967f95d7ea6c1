// The seat usage routes: usage per tier and the waiting list, the owners' notice thresholds, and
// "sync now", through the real app with a real database.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { HIGHEST, LOWEST, OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { storedState } from '../../helpers/org-state.js';
import { inspect } from '../../helpers/inspect.js';

describe('admin API: seat usage', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an admin opens usage, then each tier shows allocation, seated, invited and available, highest tier first', async () => {
    await w.c.members.invite(w.organisationId, { email: 'new@acme.example', role: 'user' }, LOWEST, OPERATOR);
    const res = await w.as.admin.get('/usage');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.tiers, [
      {
        id: 'premium',
        name: 'Premium',
        rank: 20,
        allocation: 0,
        held: 0,
        seated: 0,
        invited: 0,
        available: 0,
      },
      {
        id: 'standard',
        name: 'Standard',
        rank: 10,
        allocation: 100,
        held: 5,
        seated: 4,
        invited: 1,
        available: 95,
      },
    ]);
    assert.deepEqual(res.body.waiting, { total: 0, awaitingSeat: [], refused: [] });
    assert.deepEqual(res.body.noticeThresholds, [80, 90, 100]);
  });

  test('When people wait for a seat, then usage lists them, and sync now seats those it can', async () => {
    const dana = await w.c.members.admit(
      w.organisationId,
      { email: 'dana@acme.example', displayName: 'Dana', role: 'user' },
      'scim',
      HIGHEST,
      OPERATOR,
    );
    await w.c.seats.unassign(w.organisationId, dana.id, OPERATOR);
    await w.c.seats.park(w.organisationId, dana.id, 'awaiting_seat', OPERATOR, 'seat.awaiting');
    await w.c.store.write((q) =>
      q.waitlist.record(w.organisationId, 'eve@acme.example', 'scim', w.clock.now().toISO()!),
    );

    const usage = (await w.as.admin.get('/usage')).body;
    assert.equal(usage.waiting.total, 2);
    assert.deepEqual(usage.waiting.awaitingSeat, [
      {
        memberId: dana.id,
        email: 'dana@acme.example',
        displayName: 'Dana',
        source: 'scim',
        since: '2026-03-01T09:00:00.000Z',
      },
    ]);
    assert.deepEqual(
      (usage.waiting.refused as { userName: string; attempts: number }[]).map((r) => [
        r.userName,
        r.attempts,
      ]),
      [['eve@acme.example', 1]],
    );

    const synced = await w.as.admin.post('/usage/sync-now');
    assert.equal(synced.status, 200);
    assert.deepEqual(synced.body, { seated: 1 });
    assert.equal((await inspect(w.c.store).member(w.organisationId, dana.id))!.seatState, 'seated');
    assert.deepEqual((await w.as.admin.get('/usage')).body.waiting.awaitingSeat, []);
    assert.deepEqual((await w.as.admin.post('/usage/sync-now')).body, { seated: 0 });
  });

  test('When a user asks for usage or sync now, then 403 names admin, and nothing is seated', async () => {
    const stateBefore = await storedState(w);
    for (const res of [await w.as.user.get('/usage'), await w.as.user.post('/usage/sync-now')]) {
      assert.equal(res.status, 403);
      assert.equal(problem(res).requiredRole, 'admin');
    }
    assert.deepEqual(await storedState(w), stateBefore);
  });
});

describe('admin API: notice thresholds', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an owner sets thresholds, then they are stored in order, shown in usage and audited', async () => {
    const res = await w.as.owner.put('/usage/thresholds', { thresholds: [95, 50, 75] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { noticeThresholds: [50, 75, 95] });
    assert.deepEqual((await w.as.admin.get('/usage')).body.noticeThresholds, [50, 75, 95]);
    const entry = (await inspect(w.c.store).audit(w.organisationId)).find(
      (e) => e.action === 'organisation.notice_thresholds_changed',
    );
    assert.deepEqual(entry?.after, { noticeThresholds: [50, 75, 95] });
    assert.equal(entry?.actorId, String(w.as.owner.memberId));
  });

  test('When an owner sends an empty list, then notices are off', async () => {
    const res = await w.as.primary_owner.put('/usage/thresholds', { thresholds: [] });
    assert.deepEqual(res.body, { noticeThresholds: [] });
  });

  test('When an admin sets thresholds, then 403 names owner and nothing changes', async () => {
    const stateBefore = await storedState(w);
    const res = await w.as.admin.put('/usage/thresholds', { thresholds: [50] });
    assert.equal(res.status, 403);
    assert.equal(problem(res).requiredRole, 'owner');
    assert.deepEqual(await storedState(w), stateBefore);
  });

  const bad: [string, unknown, string[], string][] = [
    ['a zero', { thresholds: [0] }, ['/thresholds/0'], 'validation_failed'],
    ['above 100', { thresholds: [101] }, ['/thresholds/0'], 'validation_failed'],
    ['a fraction', { thresholds: [50, 82.5] }, ['/thresholds/1'], 'validation_failed'],
    ['text', { thresholds: ['80'] }, ['/thresholds/0'], 'validation_failed'],
    ['six of them', { thresholds: [10, 20, 30, 40, 50, 60] }, ['/thresholds'], 'validation_failed'],
    ['an unknown field', { thresholds: [80], mail: 'x' }, ['/mail'], 'validation_failed'],
    ['no list', {}, ['/thresholds'], 'validation_failed'],
    ['a repeat', { thresholds: [80, 80] }, [], 'invalid_notice_thresholds'],
  ];
  for (const [what, body, pointers, code] of bad) {
    test(`When thresholds have ${what}, then 400 and nothing is written`, async () => {
      const stateBefore = await storedState(w);
      const res = await w.as.owner.put('/usage/thresholds', body);
      assert.equal(res.status, 400);
      assert.equal(problem(res).code, code);
      assert.deepEqual(
        ((problem(res).errors ?? []) as { pointer: string }[]).map((e) => e.pointer),
        pointers,
      );
      assert.deepEqual(await storedState(w), stateBefore);
    });
  }
});
