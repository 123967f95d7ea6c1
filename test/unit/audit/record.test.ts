// recordAudit (audit/record.ts): an audit row and the webhook events derived from it are written by
// one call, in the caller's transaction, so they commit or roll back together.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { recordAudit } from '../../../audit/record.js';
import type { AuditEntry } from '../../../domain/records.js';
import type { Queries } from '../../../db/port.js';
import { createExample, setup, type TestContext } from '../../helpers/fixtures.js';

let ctx: TestContext;
let organisationId: number;
let memberId: number;
let endpointId: number;

beforeAll(async () => {
  ctx = await setup('2026-03-01T09:00:00Z');
  const example = await createExample(ctx);
  organisationId = example.organisation.id;
  memberId = example.primaryOwner.id;
  endpointId = await ctx.c.store.write((q) =>
    q.webhooks.insertEndpoint({
      organisationId,
      url: 'https://receiver.example/hooks',
      description: 'all events',
      events: ['*'],
      secret: 'whsec_test',
      at: '2026-03-01T09:00:00.000Z',
    }),
  );
});
afterAll(() => ctx.cleanup());

const entry = (action: string): AuditEntry => ({
  organisationId,
  at: '2026-03-01T10:00:00+01:00',
  actor: { type: 'operator' },
  action,
  subjectType: 'member',
  subjectId: memberId,
  before: { email: 'erin@example.com', role: 'member', seatState: 'seated', tierId: 'standard' },
  after: { email: 'erin@example.com', role: 'admin', seatState: 'seated', tierId: 'standard' },
});

/**
 * The newest audit actions and webhook deliveries (by event type) about the member, as stored: in
 * the caller's transaction when given its q (a read of its own may not open inside a write).
 */
async function stored(within?: Queries): Promise<{ actions: string[]; events: string[] }> {
  const read = async (q: Queries) => ({
    actions: (
      await q.audit.search(
        organisationId,
        { subjectType: 'member', subjectId: String(memberId) },
        { limit: 100 },
      )
    ).map((r) => r.action),
    events: (await q.webhooks.deliveries(endpointId, Number.MAX_SAFE_INTEGER, 100))
      .filter((d) => d.memberId === memberId)
      .map((d) => d.eventType),
  });
  return within ? await read(within) : await ctx.c.store.read(read);
}

describe('Recording an audit entry', () => {
  test('When an entry is recorded in a write, then its row, its events and their deliveries commit together', async () => {
    const before = await stored();
    await ctx.c.store.write((q) => recordAudit(q, entry('member.role_changed')));
    const after = await stored();
    assert.deepEqual(after.actions, ['member.role_changed', ...before.actions]);
    assert.deepEqual(after.events, ['member.updated', ...before.events]);
  });

  test('When the write that recorded an entry rolls back, then neither the row nor its events remain', async () => {
    const before = await stored();
    await assert.rejects(
      () =>
        ctx.c.store.write(async (q) => {
          await recordAudit(q, entry('member.role_changed'));
          // The row and the event were written inside this transaction, before it failed.
          assert.equal((await stored(q)).events.length, before.events.length + 1);
          throw new Error('the change failed after it was recorded');
        }),
      /the change failed/,
    );
    assert.deepEqual(await stored(), before);
  });

  test('When an entry stands for two events, then they are written in the order they happened', async () => {
    const deactivated = {
      ...entry('member.updated'),
      after: { email: 'erin@example.com', role: 'member', seatState: 'deactivated', tierId: null },
    };
    const before = await stored();
    await ctx.c.store.write((q) => recordAudit(q, deactivated));
    // Newest first: the later event has the higher id.
    assert.deepEqual((await stored()).events, ['member.deactivated', 'member.updated', ...before.events]);
  });

  test('When an event row is written, then the store wakes whoever waits for events', async () => {
    let woken = 0;
    ctx.c.store.onEventWritten(() => (woken += 1));
    await ctx.c.store.write((q) => recordAudit(q, entry('member.role_changed')));
    assert.equal(woken, 1);
    await ctx.c.store.write((q) => recordAudit(q, entry('organisation.require_sso_changed')));
    assert.equal(woken, 1, 'an action no event stands for wakes nobody');
  });
});
