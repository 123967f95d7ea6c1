// The seat pool's step forms (claimIn, releaseIn, …): they run inside the caller's transaction, so
// they commit or roll back with it and see what it wrote before them; the command forms open one
// write of their own, and are refused inside another's.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { NotFoundError, SeatLimitError } from '../../../domain/errors.js';
import { HIGHEST, OPERATOR, type TierChoice } from '../../../domain/model.js';
import type { Member } from '../../../domain/records.js';
import { NestedTransactionError } from '../../../db/nesting.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../../helpers/fixtures.js';
import { inspect } from '../../helpers/inspect.js';

const START = '2026-01-01T09:00:00Z';
const PREMIUM: TierChoice = { tier: 'premium' };

describe('Seat pool step forms', () => {
  let ctx: TestContext;
  let orgId: number;

  /** Acme with 3 standard seats and 1 premium seat; the seated primary owner holds a standard one. */
  beforeEach(async () => {
    ctx = await setup(START);
    const created = await createExample(ctx, { seats: { standard: 3, premium: 1 } });
    orgId = created.organisation.id;
    await ctx.c.seats.acceptInvitation(orgId, created.primaryOwner.id, OPERATOR);
  });
  afterEach(() => ctx.cleanup());

  /** [tier, allocation, held], highest tier first. */
  const pool = () =>
    ctx.c.store.read(async (q) =>
      (await q.seatPools.list(orgId)).map((t) => [t.tierId, t.allocation, t.held] as const),
    );
  const memberById = (id: number) => inspect(ctx.c.store).member(orgId, id);
  const auditLength = () => ctx.c.store.read(async (q) => (await q.audit.list(orgId, 0, 100_000)).length);

  /** A member without a seat (admitted, then unassigned), ready to claim one. */
  const seatless = async (email: string): Promise<Member> => {
    const m = await ctx.c.members.admit(
      orgId,
      { email, role: 'user' },
      'manual',
      { tier: 'standard' },
      OPERATOR,
    );
    return await ctx.c.seats.unassign(orgId, m.id, OPERATOR);
  };

  test("When a claim step runs inside a caller's write that then throws, then the pool, the member and the audit log are unchanged", async () => {
    const m = await seatless('a@acme.example');
    const before = { pool: await pool(), member: await memberById(m.id), audit: await auditLength() };
    await assert.rejects(
      () =>
        ctx.c.store.write(async (q) => {
          const claimed = await ctx.c.seats.claimIn(q, orgId, m.id, PREMIUM, OPERATOR);
          assert.equal(claimed.seatState, 'seated', 'the step claimed, inside the write');
          throw new Error('the caller fails after the claim');
        }),
      /the caller fails/,
    );
    assert.deepEqual(await pool(), before.pool);
    assert.deepEqual(await memberById(m.id), before.member);
    assert.equal(await auditLength(), before.audit);
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test('When two claim steps run in one write, then the second sees the seat the first took', async () => {
    const a = await seatless('a@acme.example');
    const b = await seatless('b@acme.example');
    const [first, second] = await ctx.c.store.write(async (q) => [
      await ctx.c.seats.claimIn(q, orgId, a.id, HIGHEST, OPERATOR),
      await ctx.c.seats.claimIn(q, orgId, b.id, HIGHEST, OPERATOR),
    ]);
    // One premium seat: the first takes it, the second falls back to standard.
    assert.equal(first.tierId, 'premium');
    assert.equal(second.tierId, 'standard');
    assert.deepEqual(await pool(), [
      ['premium', 1, 1],
      ['standard', 3, 2], // the owner's and the second claim's
    ]);
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test('When a second claim step for the last seat of a tier runs in the same write, then it is refused and never over-allocates', async () => {
    const a = await seatless('a@acme.example');
    const b = await seatless('b@acme.example');
    const refused = await ctx.c.store.write(async (q) => {
      await ctx.c.seats.claimIn(q, orgId, a.id, PREMIUM, OPERATOR);
      try {
        await q.savepoint(() => ctx.c.seats.claimIn(q, orgId, b.id, PREMIUM, OPERATOR));
        return false;
      } catch (error) {
        assert.ok(error instanceof SeatLimitError);
        return true;
      }
    });
    assert.equal(refused, true);
    assert.equal((await memberById(a.id))!.tierId, 'premium', 'the first claim committed');
    assert.equal((await memberById(b.id))!.seatState, 'unassigned');
    assert.deepEqual((await pool())[0], ['premium', 1, 1]);
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test('When release, change-tier and park steps run in one write, then they commit together with its other work', async () => {
    const seated = await ctx.c.members.admit(
      orgId,
      { email: 's@acme.example', role: 'user' },
      'manual',
      PREMIUM,
      OPERATOR,
    );
    const moved = await ctx.c.members.admit(
      orgId,
      { email: 'm@acme.example', role: 'user' },
      'manual',
      { tier: 'standard' },
      OPERATOR,
    );
    const parked = await seatless('p@acme.example');
    await ctx.c.store.write(async (q) => {
      await ctx.c.seats.releaseIn(q, orgId, seated.id, OPERATOR, 'removed');
      // The premium seat freed just before is the one this change takes.
      await ctx.c.seats.changeTierIn(q, orgId, moved.id, 'premium', OPERATOR);
      await ctx.c.seats.parkIn(q, orgId, parked.id, 'deactivated', OPERATOR);
    });
    assert.equal((await memberById(seated.id))!.seatState, 'removed');
    assert.equal((await memberById(moved.id))!.tierId, 'premium');
    assert.equal((await memberById(parked.id))!.seatState, 'deactivated');
    assert.deepEqual(await pool(), [
      ['premium', 1, 1],
      ['standard', 3, 1],
    ]);
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test("When a command form is called inside another's write, then it is refused and nothing of that write is kept", async () => {
    const m = await seatless('a@acme.example');
    const before = { pool: await pool(), member: await memberById(m.id), audit: await auditLength() };
    await assert.rejects(
      () =>
        ctx.c.store.write(async (q) => {
          await ctx.c.seats.parkIn(q, orgId, m.id, 'deactivated', OPERATOR);
          return await ctx.c.seats.claim(orgId, m.id, HIGHEST, OPERATOR);
        }),
      (e: unknown) => e instanceof NestedTransactionError && /call its step form/.test(e.message),
    );
    assert.deepEqual(await pool(), before.pool);
    assert.deepEqual(await memberById(m.id), before.member);
    assert.equal(await auditLength(), before.audit);
  });

  test('When a seat is claimed in an organisation that does not exist, or has no contract, then it is refused as not found and nothing is written', async () => {
    const m = await seatless('d@acme.example');
    await assert.rejects(
      () => ctx.c.seats.claim(orgId + 1000, m.id, HIGHEST, OPERATOR),
      (e: unknown) => e instanceof NotFoundError && /No organisation with id/.test(e.message),
    );
    // An organisation row without its contract: what a crash between the two inserts would leave.
    const bare = await ctx.c.store.write((q) => q.organisations.insert('bare', 'Bare', START));
    await assert.rejects(
      () => ctx.c.seats.claim(bare, m.id, HIGHEST, OPERATOR),
      (e: unknown) => e instanceof NotFoundError && /"bare" has no contract/.test(e.message),
    );
    assert.equal((await memberById(m.id))!.seatState, 'unassigned');
  });
});
