// The composition root (server/container.ts): the services that link to the server are built once
// per public URL, and the metrics count what the services tell their observers, the commands that
// were made and not those refused.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { OPERATOR } from '../../../domain/model.js';
import { createExample, setup, type TestContext } from '../../helpers/fixtures.js';

describe('The container', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await setup('2026-03-01T09:00:00Z');
  });
  afterAll(() => ctx.cleanup());

  /** The value of one series of a counter in the container's own registry. */
  const counted = async (name: string, labels: Readonly<Record<string, string>>) => {
    const metric = await ctx.c.metrics.registry.getSingleMetric(name)?.get();
    const series = metric?.values.find((v) =>
      Object.entries(labels).every(([key, value]) => v.labels[key] === value),
    );
    return series?.value ?? 0;
  };

  test('When the linking services of one URL are asked for twice, then they are the same; another URL gets its own', () => {
    const first = ctx.c.linking('https://first.example');
    assert.equal(ctx.c.linking('https://first.example'), first);
    const second = ctx.c.linking('https://second.example');
    assert.notEqual(second, first);
    for (const name of ['invitations', 'seatRequests', 'memberCsv', 'consoleSignIn', 'ownership'] as const) {
      assert.notEqual(second[name], first[name], name);
    }
  });

  test('When an invitation is held, accepted, and accepted again (refused), then the metrics count the hold and the one acceptance', async () => {
    // The example organisation's primary owner is invited: one seat held for the invitation.
    const { organisation, primaryOwner } = await createExample(ctx);
    assert.equal(await counted('seatkeeper_invitations_total', { event: 'sent' }), 1);
    assert.equal(await counted('seatkeeper_invitations_total', { event: 'accepted' }), 0);
    await ctx.c.seats.acceptInvitation(organisation.id, primaryOwner.id, OPERATOR);
    assert.equal(await counted('seatkeeper_invitations_total', { event: 'accepted' }), 1);
    await assert.rejects(() => ctx.c.seats.acceptInvitation(organisation.id, primaryOwner.id, OPERATOR));
    assert.equal(await counted('seatkeeper_invitations_total', { event: 'accepted' }), 1);
  });
});
