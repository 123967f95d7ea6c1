// The transfer of primary ownership when its requests race, against the real app: on PostgreSQL
// each request's unit of work runs on a pooled connection of its own, so Promise.all is true
// concurrency. However the requests interleave, the organisation ends with exactly one primary
// owner, one pending transfer at most, an audit log that tells the same story, and no 5xx
// (docs/rules.md, "Ownership transfer").
import assert from '../../helpers/assert.js';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import request from 'supertest';
import type { Response } from 'supertest';
import { API_PATH } from '../../../api/router.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { auditOf, lastMailTo, tokenIn } from '../../helpers/people.js';
import { inspect } from '../../helpers/inspect.js';

const NOW = '2026-03-01T09:00:00.000Z';
const N = 5;
/** Rounds of a race whose two outcomes both have to be right. */
const ROUNDS = 20;

const confirm = (w: ApiWorld, token: string) =>
  request(w.app).post(`${API_PATH}/ownership-transfers/confirm`).send({ token });

const statuses = (responses: Response[]) => responses.map((r) => `${r.status} ${r.text}`).join('\n');

/** The ids of the members whose role is primary_owner, as stored. */
async function primaryOwners(w: ApiWorld): Promise<number[]> {
  return (await inspect(w.c.store).members(w.organisationId))
    .filter((m) => m.role === 'primary_owner')
    .map((m) => m.id);
}

/** The ownership audit rows written since `from`: transfers and role changes. */
async function ownershipAudit(w: ApiWorld, from: number) {
  return (await auditOf(w))
    .slice(from)
    .filter((e) => e.action.startsWith('ownership_transfer.') || e.action === 'member.role_changed');
}

/** The confirmation link last mailed to `email`. */
async function transferToken(w: ApiWorld, email: string): Promise<string> {
  return tokenIn((await lastMailTo(w, email, 'ownership_transfer')).text);
}

/**
 * Runs a race `ROUNDS` times, each on an organisation of its own: how the requests interleave
 * differs from round to round, and every round has to end as documented.
 */
async function inRounds(race: (w: ApiWorld, round: number) => Promise<void>): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const w = await apiWorld(NOW);
    try {
      await race(w, round);
    } finally {
      await w.cleanup();
    }
  }
}

describe('admin API: ownership transfers racing', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
  });
  afterEach(() => w.cleanup());

  test(`When one transfer is confirmed by ${N} requests at once (${ROUNDS} rounds), then exactly one makes the member primary owner, the rest are 410 transfer_used, and the change is audited once`, async () => {
    await inRounds(async (w) => {
      const started = await w.as.primary_owner.post(`/members/${w.as.user.memberId}/ownership-transfer`);
      assert.equal(started.status, 201, started.text);
      const token = await transferToken(w, 'user@acme.example');
      const audited = (await auditOf(w)).length;

      const responses = await Promise.all(Array.from({ length: N }, () => confirm(w, token)));
      assert.equal(responses.filter((r) => r.status === 200).length, 1, statuses(responses));
      assert.equal(responses.filter((r) => r.status === 410).length, N - 1, statuses(responses));
      for (const refused of responses.filter((r) => r.status === 410)) {
        assert.equal(problem(refused).code, 'transfer_used');
      }

      assert.deepEqual(await primaryOwners(w), [w.as.user.memberId]);
      assert.equal(
        (await inspect(w.c.store).member(w.organisationId, w.as.primary_owner.memberId))?.role,
        'owner',
      );
      assert.deepEqual(
        (await ownershipAudit(w, audited)).map((e) => [e.action, e.subjectId]),
        [
          ['member.role_changed', String(w.as.primary_owner.memberId)],
          ['member.role_changed', String(w.as.user.memberId)],
          ['ownership_transfer.confirmed', String(started.body.id)],
        ],
      );
      assert.equal((await w.as.owner.get('/ownership-transfer')).body.transfer, null);
    });
  });

  test('When a transfer replaced by another is confirmed at the same moment as the one that replaced it, then only the pending one makes a primary owner', async () => {
    const replaced = await w.as.primary_owner.post(`/members/${w.as.owner.memberId}/ownership-transfer`);
    assert.equal(replaced.status, 201, replaced.text);
    const pending = await w.as.primary_owner.post(`/members/${w.as.admin.memberId}/ownership-transfer`);
    assert.equal(pending.status, 201, pending.text);
    const tokens = await Promise.all([w.as.owner, w.as.admin].map((t) => transferToken(w, t.email)));
    const audited = (await auditOf(w)).length;

    const [stale, current] = await Promise.all(tokens.map((token) => confirm(w, token)));
    const both = statuses([stale!, current!]);
    assert.equal(current!.status, 200, both);
    assert.equal(stale!.status, 410, both);
    assert.equal(problem(stale!).code, 'transfer_cancelled');
    assert.deepEqual(await primaryOwners(w), [w.as.admin.memberId]);
    assert.deepEqual(
      (await ownershipAudit(w, audited)).map((e) => [e.action, e.subjectId]),
      [
        ['member.role_changed', String(w.as.primary_owner.memberId)],
        ['member.role_changed', String(w.as.admin.memberId)],
        ['ownership_transfer.confirmed', String(pending.body.id)],
      ],
    );
  });
  test(`When two transfers to two members are started at once (${ROUNDS} rounds), then both are made, the later replaces the earlier, and confirming both at once makes exactly one primary owner`, async () => {
    await inRounds(async (w) => {
      const audited = (await auditOf(w)).length;
      const targets = [w.as.owner, w.as.admin];
      const started = await Promise.all(
        targets.map((t) => w.as.primary_owner.post(`/members/${t.memberId}/ownership-transfer`)),
      );
      // Starting a transfer replaces the pending one (docs/rules.md): neither start is refused.
      assert.deepEqual(
        started.map((r) => r.status),
        [201, 201],
        statuses(started),
      );
      const pending = (await w.as.owner.get('/ownership-transfer')).body.transfer as {
        id: number;
        to: { id: number };
      };
      assert.ok(pending, 'one transfer is pending');
      const replaced = started.find((r) => r.body.id !== pending.id)!;
      assert.ok(replaced, statuses(started));
      assert.deepEqual(
        (await ownershipAudit(w, audited)).map((e) => [e.action, e.subjectId]),
        [
          ['ownership_transfer.requested', String(replaced.body.id)],
          ['ownership_transfer.cancelled', String(replaced.body.id)],
          ['ownership_transfer.requested', String(pending.id)],
        ],
        'the later start ended the earlier one as replaced',
      );

      const tokens = await Promise.all(targets.map((t) => transferToken(w, t.email)));
      const afterStart = (await auditOf(w)).length;
      const confirmed = await Promise.all(tokens.map((token) => confirm(w, token)));
      assert.equal(confirmed.filter((r) => r.status === 200).length, 1, statuses(confirmed));
      for (const refused of confirmed.filter((r) => r.status !== 200)) {
        assert.equal(refused.status, 410, statuses(confirmed));
        assert.equal(problem(refused).code, 'transfer_cancelled', statuses(confirmed));
      }
      assert.deepEqual(await primaryOwners(w), [pending.to.id], 'the pending transfer is the one that won');
      assert.deepEqual(
        (await ownershipAudit(w, afterStart)).map((e) => e.action),
        ['member.role_changed', 'member.role_changed', 'ownership_transfer.confirmed'],
      );
    });
  });

  test(`When the primary owner starts a new transfer while the pending one is confirmed (${ROUNDS} rounds), then one of them wins, the other is refused as documented, and there is still exactly one primary owner`, async () => {
    await inRounds(async (w, round) => {
      const first = await w.as.primary_owner.post(`/members/${w.as.user.memberId}/ownership-transfer`);
      assert.equal(first.status, 201, first.text);
      const token = await transferToken(w, 'user@acme.example');
      const audited = (await auditOf(w)).length;

      const [confirmed, restarted] = await Promise.all([
        confirm(w, token),
        w.as.primary_owner.post(`/members/${w.as.admin.memberId}/ownership-transfer`),
      ]);
      const both = `round ${round}\n${statuses([confirmed, restarted])}`;
      const owners = await primaryOwners(w);
      assert.equal(owners.length, 1, both);
      const pending = (await w.as.owner.get('/ownership-transfer')).body.transfer as {
        id: number;
        from: { id: number };
      } | null;
      const audit = (await ownershipAudit(w, audited)).map((e) => [e.action, e.actorId, e.subjectId]);
      if (confirmed.status === 200) {
        // The confirmation won: the old primary owner is an owner now and cannot start a transfer.
        assert.deepEqual(owners, [w.as.user.memberId], both);
        assert.equal(restarted.status, 403, both);
        assert.equal(pending, null, `no transfer from someone who is no longer primary owner\n${both}`);
        assert.deepEqual(
          audit,
          [
            ['member.role_changed', String(w.as.user.memberId), String(w.as.primary_owner.memberId)],
            ['member.role_changed', String(w.as.user.memberId), String(w.as.user.memberId)],
            ['ownership_transfer.confirmed', String(w.as.user.memberId), String(first.body.id)],
          ],
          both,
        );
      } else {
        // The new transfer won: the first link was replaced and changes nothing.
        assert.deepEqual(owners, [w.as.primary_owner.memberId], both);
        assert.equal(restarted.status, 201, both);
        assert.equal(confirmed.status, 410, both);
        assert.equal(problem(confirmed).code, 'transfer_cancelled', both);
        assert.equal(pending?.id, restarted.body.id, both);
        assert.equal(pending?.from.id, w.as.primary_owner.memberId, both);
        const by = String(w.as.primary_owner.memberId);
        assert.deepEqual(
          audit,
          [
            ['ownership_transfer.cancelled', by, String(first.body.id)],
            ['ownership_transfer.requested', by, String(restarted.body.id)],
          ],
          both,
        );
      }
    });
  });
});
