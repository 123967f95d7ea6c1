// The transfer of primary ownership when its confirmations race, against the real app: on
// PostgreSQL each request's unit of work runs on a pooled connection of its own, so Promise.all is
// true concurrency. However the requests interleave, one confirmation takes effect, the
// organisation ends with exactly one primary owner, the audit log records the change once, and no
// request fails with a 5xx (docs/rules.md, "Ownership transfer").
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

describe('admin API: ownership transfers racing', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
  });
  afterEach(() => w.cleanup());

  test(`When one transfer is confirmed by ${N} requests at once, then exactly one makes the member primary owner, the rest are refused, and the change is audited once`, async () => {
    const started = await w.as.primary_owner.post(`/members/${w.as.user.memberId}/ownership-transfer`);
    assert.equal(started.status, 201, started.text);
    const token = await transferToken(w, 'user@acme.example');
    const audited = (await auditOf(w)).length;

    const responses = await Promise.all(Array.from({ length: N }, () => confirm(w, token)));
    assert.equal(responses.filter((r) => r.status === 200).length, 1, statuses(responses));
    // A confirmation that read the transfer as pending before the winner committed finds the
    // primary owner changed (409 transfer_stale); one that came after finds it used (410).
    for (const refused of responses.filter((r) => r.status !== 200)) {
      const code = `${refused.status} ${problem(refused).code}`;
      assert.ok(['410 transfer_used', '409 transfer_stale'].includes(code), statuses(responses));
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
});
