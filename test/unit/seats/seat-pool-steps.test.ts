// The seat pool's step forms (claimIn, releaseIn, …): they run inside the caller's transaction, so
// they commit or roll back with it and see what it wrote before them; the command forms open one
// write of their own, and are refused inside another's.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { SeatLimitError } from '../../../domain/errors.js';
import { HIGHEST, OPERATOR, type TierChoice } from '../../../domain/model.js';
import type { Member } from '../../../domain/records.js';
import { NestedTransactionError } from '../../../db/store.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../../helpers/fixtures.js';

const START = '2026-01-01T09:00:00Z';
const PREMIUM: TierChoice = { tier: 'premium' };

describe('Seat pool step forms', () => {
  let ctx: TestContext;
  let orgId: number;

  /** Acme with 3 standard seats and 1 premium seat; the seated primary owner holds a standard one. */
  beforeEach(() => {
    ctx = setup(START);
    const created = createExample(ctx, { seats: { standard: 3, premium: 1 } });
    orgId = created.organisation.id;
    ctx.c.seats.acceptInvitation(orgId, created.primaryOwner.id, OPERATOR);
  });
  afterEach(() => ctx.cleanup());

  /** [tier, allocation, held], highest tier first. */
  const pool = () =>
    ctx.c.store.read((q) => q.seatPools.list(orgId).map((t) => [t.tierId, t.allocation, t.held] as const));
  const memberById = (id: number) => ctx.c.store.read((q) => q.members.byId(orgId, id));
  const auditLength = () => ctx.c.store.read((q) => q.audit.list(orgId, 0, 100_000).length);

  /** A member without a seat (admitted, then unassigned), ready to claim one. */
  const seatless = (email: string): Member => {
    const m = ctx.c.members.admit(orgId, { email, role: 'user' }, 'manual', { tier: 'standard' }, OPERATOR);
    return ctx.c.seats.unassign(orgId, m.id, OPERATOR);
  };

  test("When a claim step runs inside a caller's write that then throws, then the pool, the member and the audit log are unchanged", () => {
    const m = seatless('a@acme.example');
    const before = { pool: pool(), member: memberById(m.id), audit: auditLength() };
    assert.throws(
      () =>
        ctx.c.store.write((q) => {
          const claimed = ctx.c.seats.claimIn(q, orgId, m.id, PREMIUM, OPERATOR);
          assert.equal(claimed.seatState, 'seated', 'the step claimed, inside the write');
          throw new Error('the caller fails after the claim');
        }),
      /the caller fails/,
    );
    assert.deepEqual(pool(), before.pool);
    assert.deepEqual(memberById(m.id), before.member);
    assert.equal(auditLength(), before.audit);
    assert.ok(heldMatchesMembers(ctx, orgId));
  });

  test('When two claim steps run in one write, then the second sees the seat the first took', () => {
    const a = seatless('a@acme.example');
    const b = seatless('b@acme.example');
    const [first, second] = ctx.c.store.write((q) => [
      ctx.c.seats.claimIn(q, orgId, a.id, HIGHEST, OPERATOR),
      ctx.c.seats.claimIn(q, orgId, b.id, HIGHEST, OPERATOR),
    ]);
    // One premium seat: the first takes it, the second falls back to standard.
    assert.equal(first.tierId, 'premium');
    assert.equal(second.tierId, 'standard');
    assert.deepEqual(pool(), [
      ['premium', 1, 1],
      ['standard', 3, 2], // the owner's and the second claim's
    ]);
    assert.ok(heldMatchesMembers(ctx, orgId));
  });

  test('When a second claim step for the last seat of a tier runs in the same write, then it is refused and never over-allocates', () => {
    const a = seatless('a@acme.example');
    const b = seatless('b@acme.example');
    const refused = ctx.c.store.write((q) => {
      ctx.c.seats.claimIn(q, orgId, a.id, PREMIUM, OPERATOR);
      try {
        q.savepoint(() => ctx.c.seats.claimIn(q, orgId, b.id, PREMIUM, OPERATOR));
        return false;
      } catch (error) {
        assert.ok(error instanceof SeatLimitError);
        return true;
      }
    });
    assert.equal(refused, true);
    assert.equal(memberById(a.id)!.tierId, 'premium', 'the first claim committed');
    assert.equal(memberById(b.id)!.seatState, 'unassigned');
    assert.deepEqual(pool()[0], ['premium', 1, 1]);
    assert.ok(heldMatchesMembers(ctx, orgId));
  });

  test('When release, change-tier and park steps run in one write, then they commit together with its other work', () => {
    const seated = ctx.c.members.admit(
      orgId,
      { email: 's@acme.example', role: 'user' },
      'manual',
      PREMIUM,
      OPERATOR,
    );
    const moved = ctx.c.members.admit(
      orgId,
      { email: 'm@acme.example', role: 'user' },
      'manual',
      { tier: 'standard' },
      OPERATOR,
    );
    const parked = seatless('p@acme.example');
    ctx.c.store.write((q) => {
      ctx.c.seats.releaseIn(q, orgId, seated.id, OPERATOR, 'removed');
      // The premium seat freed just before is the one this change takes.
      ctx.c.seats.changeTierIn(q, orgId, moved.id, 'premium', OPERATOR);
      ctx.c.seats.parkIn(q, orgId, parked.id, 'deactivated', OPERATOR);
    });
    assert.equal(memberById(seated.id)!.seatState, 'removed');
    assert.equal(memberById(moved.id)!.tierId, 'premium');
    assert.equal(memberById(parked.id)!.seatState, 'deactivated');
    assert.deepEqual(pool(), [
      ['premium', 1, 1],
      ['standard', 3, 1],
    ]);
    assert.ok(heldMatchesMembers(ctx, orgId));
  });

  test("When a command form is called inside another's write, then it is refused and nothing of that write is kept", () => {
    const m = seatless('a@acme.example');
    const before = { pool: pool(), member: memberById(m.id), audit: auditLength() };
    assert.throws(
      () =>
        ctx.c.store.write((q) => {
          ctx.c.seats.parkIn(q, orgId, m.id, 'deactivated', OPERATOR);
          return ctx.c.seats.claim(orgId, m.id, HIGHEST, OPERATOR);
        }),
      (e: unknown) => e instanceof NestedTransactionError && /call its step form/.test(e.message),
    );
    assert.deepEqual(pool(), before.pool);
    assert.deepEqual(memberById(m.id), before.member);
    assert.equal(auditLength(), before.audit);
  });
});
