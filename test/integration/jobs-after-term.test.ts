// After a non-renewing term ends, seats can still be given back even while someone waits for one,
// and the clock-driven jobs still run for every other organisation.
import { test } from '@jest/globals';
import { perTest } from '../helpers/per-test.js';
import assert from '../helpers/assert.js';
import { HIGHEST, OPERATOR } from '../../domain/model.js';
import { createExample, heldMatchesMembers, setup } from '../helpers/fixtures.js';

test('When a non-renewing term has ended with a member waiting for a seat, then releases still go through and the jobs expire and renew for everyone', async () => {
  const t = perTest();
  const ctx = await setup('2026-12-20T09:00:00Z');
  t.after(() => ctx.cleanup());
  // Both owners' invitations stay pending: they lapse on 10 January.
  const acme = (await createExample(ctx, { autoRenew: false })).organisation.id;
  const beta = (await createExample(ctx, { slug: 'beta' })).organisation.id;
  const admit = (email: string) =>
    ctx.c.members.admit(acme, { email, displayName: email, role: 'user' }, 'manual', HIGHEST, OPERATOR);
  const sam = await admit('sam@acme.example');
  const waiter = await admit('wait@acme.example');
  await ctx.c.seats.unassign(acme, waiter.id, OPERATOR);
  await ctx.c.seats.park(acme, waiter.id, 'awaiting_seat', OPERATOR);

  ctx.clock.set('2027-01-15T12:00:00Z'); // acme's term is over; beta's renews
  const jobs = await ctx.c.runJobs();
  assert.equal(jobs.expiredInvitations, 2, 'both lapsed invitations expired, the ended contract’s too');
  assert.equal(jobs.renewals, 2, 'beta rolled over, and acme’s contract was marked expired');
  const term = await ctx.c.store.read(async (q) => (await q.contracts.byOrganisation(beta))!.termNumber);
  assert.equal(term, 2);

  const released = await ctx.c.seats.release(acme, sam.id, OPERATOR, 'removed');
  assert.equal(released.seatState, 'removed', 'a seat can be given back after the term');
  const stillWaiting = await ctx.c.store.read(async (q) => (await q.members.byId(acme, waiter.id))!);
  assert.equal(stillWaiting.seatState, 'awaiting_seat', 'nobody is seated on an ended contract');
  assert.ok(await heldMatchesMembers(ctx, acme));
  await assert.rejects(
    () => ctx.c.seats.seatWaiting(acme),
    { code: 'contract_expired' },
    '"sync now" says why',
  );
});
