// The seat pool's operations (seats/seat-pool.ts) and the member service over it
// (provisioning/members.ts), through the real services and a real database file.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { DateTime } from 'luxon';
import {
  ConflictError,
  ContractExpiredError,
  SeatLimitError,
  ValidationError,
} from '../../../domain/errors.js';
import { HIGHEST, LOWEST, OPERATOR, type Actor, type Role, type TierChoice } from '../../../domain/model.js';
import type { AuditRecord, Invitation, Member } from '../../../domain/records.js';
import { INVITATION_TTL_DAYS } from '../../../seats/seat-pool.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../../helpers/fixtures.js';
import { inspect } from '../../helpers/inspect.js';

const START = '2026-01-01T09:00:00Z';
const PREMIUM: TierChoice = { tier: 'premium' };
const STANDARD: TierChoice = { tier: 'standard' };

describe('Seat pool operations', () => {
  let ctx: TestContext;
  let orgId: number;
  let owner: Member;
  let ownerActor: Actor;

  /**
   * Acme with 3 standard seats and 1 premium seat. The primary owner's invitation takes the lowest
   * tier; it is accepted here, so every test starts with: standard 1 of 3 held, premium 0 of 1.
   */
  beforeEach(async () => {
    ctx = await setup(START);
    const created = await createExample(ctx, { seats: { standard: 3, premium: 1 } });
    orgId = created.organisation.id;
    owner = await ctx.c.seats.acceptInvitation(orgId, created.primaryOwner.id, OPERATOR);
    ownerActor = { type: 'member', memberId: owner.id };
  });
  afterEach(() => ctx.cleanup());

  // --- helpers -------------------------------------------------------------------------------

  /** [tier, allocation, held], highest tier first. */
  const pool = () =>
    ctx.c.store.read(async (q) =>
      (await q.seatPools.list(orgId)).map((t) => [t.tierId, t.allocation, t.held] as const),
    );
  const memberById = (id: number) => inspect(ctx.c.store).member(orgId, id);
  const memberByEmail = (email: string) => ctx.c.store.read((q) => q.members.byEmail(orgId, email));
  const audit = (): Promise<AuditRecord[]> => inspect(ctx.c.store).audit(orgId);
  const lastAudit = async (): Promise<AuditRecord> => (await audit()).at(-1)!;
  const pendingInvitation = (memberId: number): Promise<Invitation | undefined> =>
    ctx.c.store.read((q) => q.invitations.pendingFor(orgId, memberId));
  /** Everything a failed operation must leave alone. */
  const state = () =>
    ctx.c.store.read(async (q) => ({
      pool: await q.seatPools.list(orgId),
      members: await q.members.list(orgId),
      auditLength: (await q.audit.list(orgId, 0, 100_000)).length,
      invoices: await q.invoices.count(orgId),
    }));

  const admit = (email: string, choice: TierChoice = HIGHEST, role: Role = 'user') =>
    ctx.c.members.admit(orgId, { email, role }, 'manual', choice, OPERATOR);
  const invite = (email: string, choice: TierChoice = LOWEST, role: Role = 'user') =>
    ctx.c.members.invite(orgId, { email, role }, choice, ownerActor);

  const seatsAgree = async () =>
    assert.ok(await heldMatchesMembers(ctx, orgId), 'pool held equals member rows, per tier');

  /** A SeatLimitError that names exactly `tiers` and tells the reader an owner must add seats. */
  const seatLimit =
    (...tiers: string[]) =>
    (e: unknown): boolean => {
      assert.ok(e instanceof SeatLimitError, `expected a SeatLimitError, got ${String(e)}`);
      assert.equal(e.code, 'seats_exhausted');
      assert.deepEqual(e.tiers, tiers);
      const which = tiers.length === 1 ? `${tiers[0]} tier` : `tiers ${tiers.join(', ')}`;
      assert.match(e.message, new RegExp(`no available seat in the ${which}`));
      assert.match(e.message, /An owner must add seats/);
      return true;
    };

  const conflict =
    (code: string) =>
    (e: unknown): boolean =>
      e instanceof ConflictError && e.code === code;

  // --- claiming --------------------------------------------------------------------------------

  describe('claim', () => {
    test('When a member is admitted with the highest tier, then a premium seat is taken first', async () => {
      const m = await admit('hi@acme.example', HIGHEST);
      assert.equal(m.seatState, 'seated');
      assert.equal(m.tierId, 'premium');
      assert.deepEqual(await pool(), [
        ['premium', 1, 1],
        ['standard', 3, 1],
      ]);
      await seatsAgree();
    });

    test('When premium is full, then the highest-tier claim falls back to standard', async () => {
      await admit('p@acme.example', PREMIUM);
      const m = await admit('hi@acme.example', HIGHEST);
      assert.equal(m.tierId, 'standard');
      assert.deepEqual(await pool(), [
        ['premium', 1, 1],
        ['standard', 3, 2],
      ]);
      await seatsAgree();
    });

    test('When a member is admitted with the lowest tier, then a standard seat is taken first', async () => {
      const m = await admit('lo@acme.example', LOWEST);
      assert.equal(m.tierId, 'standard');
      assert.deepEqual(await pool(), [
        ['premium', 1, 0],
        ['standard', 3, 2],
      ]);
      await seatsAgree();
    });

    test('When standard is full, then the lowest-tier claim moves up to premium', async () => {
      await admit('s1@acme.example', STANDARD);
      await admit('s2@acme.example', STANDARD);
      const m = await admit('lo@acme.example', LOWEST);
      assert.equal(m.tierId, 'premium');
      assert.deepEqual(await pool(), [
        ['premium', 1, 1],
        ['standard', 3, 3],
      ]);
      await seatsAgree();
    });

    test('When a member is admitted into a named tier, then that tier is used even if another is free', async () => {
      const s = await admit('s@acme.example', STANDARD);
      const p = await admit('p@acme.example', PREMIUM);
      assert.equal(s.tierId, 'standard');
      assert.equal(p.tierId, 'premium');
      assert.deepEqual(await pool(), [
        ['premium', 1, 1],
        ['standard', 3, 2],
      ]);
      await seatsAgree();
    });

    test('When the named tier is full, then the claim is refused naming the tier and saying an owner must add seats, and nothing is written', async () => {
      await admit('p@acme.example', PREMIUM);
      const before = await state();
      await assert.rejects(() => admit('late@acme.example', PREMIUM), seatLimit('premium'));
      assert.equal(await memberByEmail('late@acme.example'), undefined, 'no member row');
      assert.deepEqual(await state(), before, 'counters, members and audit unchanged');
      await seatsAgree();
    });

    test('When every tier is full, then the highest- and lowest-tier claims name every tier they tried', async () => {
      await admit('p@acme.example', PREMIUM);
      await admit('s1@acme.example', STANDARD);
      await admit('s2@acme.example', STANDARD);
      const before = await state();
      await assert.rejects(() => admit('x@acme.example', HIGHEST), seatLimit('premium', 'standard'));
      await assert.rejects(() => admit('y@acme.example', LOWEST), seatLimit('standard', 'premium'));
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });

    test('When an existing seatless member claims into a full tier, then the member row is untouched', async () => {
      const m = await admit('m@acme.example', STANDARD);
      await ctx.c.seats.unassign(orgId, m.id, OPERATOR);
      await admit('p@acme.example', PREMIUM);
      const row = await memberById(m.id);
      const before = await state();
      await assert.rejects(() => ctx.c.seats.claim(orgId, m.id, PREMIUM, OPERATOR), seatLimit('premium'));
      assert.deepEqual(await memberById(m.id), row);
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });

    test('When the named tier does not exist, then the claim is refused as a validation error and nothing is written', async () => {
      const before = await state();
      await assert.rejects(
        () => admit('x@acme.example', { tier: 'platinum' }),
        (e) => e instanceof ValidationError && e.code === 'unknown_tier',
      );
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });

    test('When an already seated member is claimed for again, then it is refused and no second seat is taken', async () => {
      const m = await admit('m@acme.example', STANDARD);
      const before = await state();
      await assert.rejects(
        () => ctx.c.seats.claim(orgId, m.id, HIGHEST, OPERATOR),
        conflict('invalid_seat_state'),
      );
      await assert.rejects(() => admit('M@Acme.Example', HIGHEST), conflict('member_exists'));
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });

    test('When a seat is claimed, then one audit row "seat.claimed" records who and the before/after snapshots', async () => {
      const length = (await audit()).length;
      const m = await admit('m@acme.example', STANDARD, 'admin');
      const rows = (await audit()).slice(length);
      assert.deepEqual(
        rows.map((r) => [r.action, r.subjectType, r.subjectId]),
        [
          ['member.created', 'member', String(m.id)],
          ['seat.claimed', 'member', String(m.id)],
        ],
      );
      const claimed = rows[1]!;
      assert.equal(claimed.actorType, 'operator');
      assert.equal(claimed.at, ctx.clock.now().toISO());
      assert.deepEqual(claimed.before, {
        email: 'm@acme.example',
        role: 'admin',
        seatState: 'unassigned',
        tierId: null,
      });
      assert.deepEqual(claimed.after, {
        email: 'm@acme.example',
        role: 'admin',
        seatState: 'seated',
        tierId: 'standard',
      });
      assert.deepEqual(
        rows[0]!.after,
        claimed.before,
        'the creation snapshot is what the claim started from',
      );
      await seatsAgree();
    });
  });

  // --- giving seats back ------------------------------------------------------------------------

  describe('release and unassign', () => {
    for (const to of ['deactivated', 'removed', 'unmapped'] as const) {
      test(`When a seat is released into "${to}", then the seat is back in the pool at once`, async () => {
        const m = await admit('m@acme.example', PREMIUM);
        const released = await ctx.c.seats.release(orgId, m.id, OPERATOR, to);
        assert.equal(released.seatState, to);
        assert.equal(released.tierId, null);
        assert.deepEqual((await pool())[0], ['premium', 1, 0]);
        await seatsAgree();
        // At once: the very next claim of the same tier gets it.
        assert.equal((await admit('next@acme.example', PREMIUM)).tierId, 'premium');
        await seatsAgree();
      });
    }

    test('When a seat is released without saying into what, then the member is deactivated, audited as "seat.released"', async () => {
      const m = await admit('m@acme.example', STANDARD);
      const released = await ctx.c.seats.release(orgId, m.id, ownerActor);
      assert.equal(released.seatState, 'deactivated');
      const row = await lastAudit();
      assert.equal(row.action, 'seat.released');
      assert.equal(row.actorType, 'member');
      assert.equal(row.actorId, String(owner.id));
      assert.deepEqual(row.before, {
        email: 'm@acme.example',
        role: 'user',
        seatState: 'seated',
        tierId: 'standard',
      });
      assert.deepEqual(row.after, {
        email: 'm@acme.example',
        role: 'user',
        seatState: 'deactivated',
        tierId: null,
      });
      await seatsAgree();
    });

    test('When a member without a seat is released or unassigned, then it is refused and nothing changes', async () => {
      const m = await admit('m@acme.example', STANDARD);
      await ctx.c.seats.release(orgId, m.id, OPERATOR);
      const before = await state();
      await assert.rejects(() => ctx.c.seats.release(orgId, m.id, OPERATOR), conflict('invalid_seat_state'));
      await assert.rejects(() => ctx.c.seats.unassign(orgId, m.id, OPERATOR), conflict('invalid_seat_state'));
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });

    test('When a seated member is unassigned, then they stay a member without a seat, audited as "seat.unassigned", and can be seated again', async () => {
      const m = await admit('m@acme.example', PREMIUM);
      const u = await ctx.c.seats.unassign(orgId, m.id, OPERATOR);
      assert.equal(u.seatState, 'unassigned');
      assert.equal(u.tierId, null);
      assert.deepEqual((await pool())[0], ['premium', 1, 0]);
      const row = await lastAudit();
      assert.equal(row.action, 'seat.unassigned');
      assert.deepEqual(row.before, {
        email: 'm@acme.example',
        role: 'user',
        seatState: 'seated',
        tierId: 'premium',
      });
      assert.deepEqual(row.after, {
        email: 'm@acme.example',
        role: 'user',
        seatState: 'unassigned',
        tierId: null,
      });
      await seatsAgree();

      const again = await ctx.c.seats.claim(orgId, m.id, LOWEST, OPERATOR);
      assert.equal(again.id, m.id);
      assert.equal(again.tierId, 'standard');
      await seatsAgree();
    });

    test('When an invited member is released or unassigned, then it is refused: revoking is the way to end an invitation', async () => {
      const { member } = await invite('i@acme.example');
      const before = await state();
      await assert.rejects(
        () => ctx.c.seats.release(orgId, member.id, OPERATOR),
        conflict('invalid_seat_state'),
      );
      await assert.rejects(
        () => ctx.c.seats.unassign(orgId, member.id, OPERATOR),
        conflict('invalid_seat_state'),
      );
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });
  });

  // --- changing tier --------------------------------------------------------------------------

  describe('changeTier', () => {
    test('When a seated member is moved into a tier with an available seat, then both counters move and "seat.tier_changed" is audited', async () => {
      const m = await admit('m@acme.example', STANDARD);
      const moved = await ctx.c.seats.changeTier(orgId, m.id, 'premium', OPERATOR);
      assert.equal(moved.seatState, 'seated');
      assert.equal(moved.tierId, 'premium');
      assert.deepEqual(await pool(), [
        ['premium', 1, 1],
        ['standard', 3, 1],
      ]);
      const row = await lastAudit();
      assert.equal(row.action, 'seat.tier_changed');
      assert.equal(row.subjectId, String(m.id));
      assert.deepEqual(row.before, {
        email: 'm@acme.example',
        role: 'user',
        seatState: 'seated',
        tierId: 'standard',
      });
      assert.deepEqual(row.after, {
        email: 'm@acme.example',
        role: 'user',
        seatState: 'seated',
        tierId: 'premium',
      });
      await seatsAgree();
    });

    test('When the target tier is full, then the change is refused naming that tier, and counters, member and audit are unchanged', async () => {
      await admit('p@acme.example', PREMIUM);
      const m = await admit('m@acme.example', STANDARD);
      const before = await state();
      await assert.rejects(
        () => ctx.c.seats.changeTier(orgId, m.id, 'premium', OPERATOR),
        seatLimit('premium'),
      );
      assert.deepEqual(await state(), before);
      assert.equal((await memberById(m.id))!.tierId, 'standard');
      await seatsAgree();
    });

    test('When the target tier is the current one, then nothing happens (no counter change, no audit row)', async () => {
      const m = await admit('m@acme.example', STANDARD);
      const before = await state();
      const same = await ctx.c.seats.changeTier(orgId, m.id, 'standard', OPERATOR);
      assert.deepEqual(same, await memberById(m.id));
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });

    test('When the current tier is the only full one, then moving within it is still a no-op, not a refusal', async () => {
      const p = await admit('p@acme.example', PREMIUM); // premium 1 of 1
      const before = await state();
      assert.equal((await ctx.c.seats.changeTier(orgId, p.id, 'premium', OPERATOR)).tierId, 'premium');
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });

    test('When an invited member is moved, then the invitation keeps holding a seat, now of the new tier', async () => {
      const { member } = await invite('i@acme.example', STANDARD);
      const moved = await ctx.c.seats.changeTier(orgId, member.id, 'premium', OPERATOR);
      assert.equal(moved.seatState, 'invited');
      assert.equal(moved.tierId, 'premium');
      assert.ok(await pendingInvitation(member.id), 'the invitation is still pending');
      assert.deepEqual(await pool(), [
        ['premium', 1, 1],
        ['standard', 3, 1],
      ]);
      await seatsAgree();
    });

    test('When a member without a seat, or an unknown tier, is named, then it is refused and nothing changes', async () => {
      const m = await admit('m@acme.example', STANDARD);
      await ctx.c.seats.unassign(orgId, m.id, OPERATOR);
      const s = await admit('s@acme.example', STANDARD);
      const before = await state();
      await assert.rejects(
        () => ctx.c.seats.changeTier(orgId, m.id, 'premium', OPERATOR),
        conflict('invalid_seat_state'),
      );
      await assert.rejects(
        () => ctx.c.seats.changeTier(orgId, s.id, 'platinum', OPERATOR),
        (e) => e instanceof ValidationError && e.code === 'unknown_tier',
      );
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });
  });

  // --- invitations -------------------------------------------------------------------------------

  describe('invitations', () => {
    test('When a person is invited, then the invitation holds a seat at once and expires exactly 21 days after it was sent', async () => {
      const { member, invitationId } = await invite('i@acme.example', LOWEST, 'admin');
      assert.equal(member.seatState, 'invited');
      assert.equal(member.tierId, 'standard');
      assert.equal(member.role, 'admin');
      assert.deepEqual(await pool(), [
        ['premium', 1, 0],
        ['standard', 3, 2],
      ]);
      const invitation = (await pendingInvitation(member.id))!;
      assert.equal(invitation.id, invitationId);
      assert.equal(invitation.status, 'pending');
      assert.equal(invitation.sentAt, ctx.clock.now().toISO());
      assert.equal(INVITATION_TTL_DAYS, 21);
      assert.equal(invitation.expiresAt, '2026-01-22T09:00:00.000Z');
      assert.equal(
        DateTime.fromISO(invitation.expiresAt).diff(DateTime.fromISO(invitation.sentAt), 'days').days,
        21,
      );
      const rows = (await audit()).slice(-2);
      assert.deepEqual(
        rows.map((r) => r.action),
        ['member.created', 'invitation.seat_held'],
      );
      assert.deepEqual(rows[1]!.before, {
        email: 'i@acme.example',
        role: 'admin',
        seatState: 'unassigned',
        tierId: null,
      });
      assert.deepEqual(rows[1]!.after, {
        email: 'i@acme.example',
        role: 'admin',
        seatState: 'invited',
        tierId: 'standard',
      });
      assert.equal(rows[1]!.actorId, String(owner.id));
      await seatsAgree();
    });

    test('When an existing seatless member is invited with the highest tier, then the hold takes premium first', async () => {
      const m = await admit('m@acme.example', STANDARD);
      await ctx.c.seats.unassign(orgId, m.id, OPERATOR);
      const { member } = await ctx.c.seats.holdForInvitation(orgId, m.id, HIGHEST, OPERATOR);
      assert.equal(member.id, m.id);
      assert.equal(member.seatState, 'invited');
      assert.equal(member.tierId, 'premium');
      await seatsAgree();
    });

    test('When the invited tier is full, then the invitation is refused naming the tier, and no member, invitation or audit row is written', async () => {
      await admit('p@acme.example', PREMIUM);
      const before = await state();
      await assert.rejects(() => invite('i@acme.example', PREMIUM), seatLimit('premium'));
      assert.equal(await memberByEmail('i@acme.example'), undefined);
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });

    test('When an email is not on a verified domain, then the invitation is refused and nothing is written', async () => {
      const before = await state();
      await assert.rejects(
        () => invite('someone@elsewhere.example'),
        (e) => e instanceof ValidationError && e.code === 'domain_not_verified',
      );
      await assert.rejects(
        () => invite('not-an-address'),
        (e) => e instanceof ValidationError && e.code === 'invalid_email',
      );
      assert.deepEqual(await state(), before);
      // The domain is compared case-insensitively.
      assert.equal((await invite('Mixed@ACME.Example')).member.seatState, 'invited');
      await seatsAgree();
    });

    test('When a pending invitation is revoked, then its seat is freed, the invitation ends as revoked and the member row stays as removed', async () => {
      const { member, invitationId } = await invite('i@acme.example', PREMIUM);
      ctx.clock.advance({ hours: 2 });
      const revoked = await ctx.c.seats.revokeInvitation(orgId, member.id, ownerActor);
      assert.equal(revoked.seatState, 'removed');
      assert.equal(revoked.tierId, null);
      assert.deepEqual((await pool())[0], ['premium', 1, 0]);
      assert.equal(await pendingInvitation(member.id), undefined);
      const row = await lastAudit();
      assert.equal(row.action, 'invitation.revoked');
      assert.deepEqual(row.before, {
        email: 'i@acme.example',
        role: 'user',
        seatState: 'invited',
        tierId: 'premium',
      });
      assert.deepEqual(row.after, {
        email: 'i@acme.example',
        role: 'user',
        seatState: 'removed',
        tierId: null,
      });
      assert.ok(invitationId > 0);
      await seatsAgree();
      await assert.rejects(
        () => ctx.c.seats.revokeInvitation(orgId, member.id, ownerActor),
        conflict('invalid_seat_state'),
      );
    });

    test('When an invitation is accepted, then the member is seated in the same tier with no pool change', async () => {
      const { member } = await invite('i@acme.example', PREMIUM);
      const poolBefore = await pool();
      ctx.clock.advance({ days: 3 });
      const accepted = await ctx.c.seats.acceptInvitation(orgId, member.id, {
        type: 'member',
        memberId: member.id,
      });
      assert.equal(accepted.seatState, 'seated');
      assert.equal(accepted.tierId, 'premium');
      assert.deepEqual(await pool(), poolBefore);
      assert.equal(await pendingInvitation(member.id), undefined);
      const row = await lastAudit();
      assert.equal(row.action, 'invitation.accepted');
      assert.deepEqual(row.before, {
        email: 'i@acme.example',
        role: 'user',
        seatState: 'invited',
        tierId: 'premium',
      });
      assert.deepEqual(row.after, {
        email: 'i@acme.example',
        role: 'user',
        seatState: 'seated',
        tierId: 'premium',
      });
      await seatsAgree();
    });

    test('When an invitation is accepted one second before it expires, then it is accepted', async () => {
      const { member } = await invite('i@acme.example');
      ctx.clock.advance({ days: 21 });
      ctx.clock.advance({ seconds: -1 });
      assert.equal((await ctx.c.seats.acceptInvitation(orgId, member.id, OPERATOR)).seatState, 'seated');
      await seatsAgree();
    });

    test('When an invitation has expired, then accepting it is refused and nothing changes, even before the expiry job ran', async () => {
      const { member } = await invite('i@acme.example');
      ctx.clock.advance({ days: 21 });
      const before = await state();
      await assert.rejects(
        () => ctx.c.seats.acceptInvitation(orgId, member.id, OPERATOR),
        conflict('invitation_expired'),
      );
      ctx.clock.advance({ days: 5 });
      await assert.rejects(
        () => ctx.c.seats.acceptInvitation(orgId, member.id, OPERATOR),
        conflict('invitation_expired'),
      );
      assert.deepEqual(await state(), before);
      assert.ok(await pendingInvitation(member.id), 'still pending until the job runs');
      await seatsAgree();
    });

    test('When 21 days have passed, then the expiry job releases the seat, and running it again expires nothing', async () => {
      const { member, invitationId } = await invite('i@acme.example', PREMIUM);
      ctx.clock.advance({ days: 20, hours: 23, minutes: 59 });
      assert.equal(await ctx.c.seats.expireInvitations(), 0, 'not yet due');
      assert.equal((await memberById(member.id))!.seatState, 'invited');

      ctx.clock.advance({ minutes: 1 });
      assert.equal(await ctx.c.seats.expireInvitations(), 1);
      const expired = (await memberById(member.id))!;
      assert.equal(expired.seatState, 'removed');
      assert.equal(expired.tierId, null);
      assert.deepEqual((await pool())[0], ['premium', 1, 0]);
      assert.equal(await pendingInvitation(member.id), undefined);
      const row = await lastAudit();
      assert.equal(row.action, 'invitation.expired');
      assert.equal(row.actorType, 'system');
      assert.equal(row.actorId, 'invitation-expiry');
      assert.deepEqual(row.before, {
        email: 'i@acme.example',
        role: 'user',
        seatState: 'invited',
        tierId: 'premium',
      });
      assert.deepEqual(row.after, {
        email: 'i@acme.example',
        role: 'user',
        seatState: 'removed',
        tierId: null,
      });
      await seatsAgree();

      const auditLength = (await audit()).length;
      assert.equal(await ctx.c.seats.expireInvitations(), 0, 'the second run expires nothing');
      assert.equal((await audit()).length, auditLength);
      assert.ok(invitationId > 0);
      await seatsAgree();
    });

    test('When an expired invitation is sent again, then it holds a seat for a new 21 days under the same member id', async () => {
      const { member } = await invite('i@acme.example');
      ctx.clock.advance({ days: 22 });
      assert.equal(await ctx.c.seats.expireInvitations(), 1);
      const again = await invite('i@acme.example');
      assert.equal(again.member.id, member.id);
      assert.equal(again.member.seatState, 'invited');
      assert.notEqual(again.invitationId, undefined);
      assert.equal(
        (await pendingInvitation(member.id))!.expiresAt,
        ctx.clock.now().plus({ days: 21 }).toISO(),
      );
      await seatsAgree();
    });

    test('When an invited or seated email is invited again, then it is refused as an existing member', async () => {
      await invite('i@acme.example');
      await admit('s@acme.example');
      const before = await state();
      await assert.rejects(() => invite('I@acme.example'), conflict('member_exists'));
      await assert.rejects(() => invite('s@acme.example'), conflict('member_exists'));
      assert.deepEqual(await state(), before);
      await seatsAgree();
    });
  });

  // --- members: history and the primary owner -----------------------------------------------------

  describe('members', () => {
    test('When a removed member is admitted again, then the same member id returns with its audit history', async () => {
      const first = await admit('back@acme.example', STANDARD, 'user');
      await ctx.c.seats.release(orgId, first.id, OPERATOR, 'removed');
      assert.equal((await memberById(first.id))!.seatState, 'removed');
      await seatsAgree();

      const again = await admit('Back@acme.example', PREMIUM, 'admin');
      assert.equal(again.id, first.id, 'same member id');
      assert.equal(again.seatState, 'seated');
      assert.equal(again.tierId, 'premium');
      assert.equal(again.role, 'admin');
      assert.equal(again.email, 'back@acme.example', 'the row keeps its address');
      const history = (await audit()).filter(
        (r) => r.subjectType === 'member' && r.subjectId === String(first.id),
      );
      assert.deepEqual(
        history.map((r) => r.action),
        ['member.created', 'seat.claimed', 'seat.released', 'member.readded', 'seat.claimed'],
      );
      // The role given on return is audited, from where the member's history left off.
      const readded = history[3]!;
      assert.deepEqual(readded.before, history[2]!.after);
      assert.deepEqual(readded.before, {
        email: 'back@acme.example',
        role: 'user',
        seatState: 'removed',
        tierId: null,
      });
      assert.deepEqual(readded.after, {
        email: 'back@acme.example',
        role: 'admin',
        seatState: 'removed',
        tierId: null,
      });
      assert.deepEqual(history[4]!.before, readded.after);
      await seatsAgree();
    });

    test('When a revoked invitee is invited again, then the same member id is invited again', async () => {
      const { member } = await invite('i@acme.example');
      await ctx.c.seats.revokeInvitation(orgId, member.id, OPERATOR);
      const again = await invite('i@acme.example', PREMIUM);
      assert.equal(again.member.id, member.id);
      assert.equal(again.member.tierId, 'premium');
      await seatsAgree();
    });

    test('When a second primary owner is admitted or invited, then it is refused and nothing is written', async () => {
      const before = await state();
      for (const attempt of [
        () => admit('po2@acme.example', HIGHEST, 'primary_owner'),
        () => invite('po2@acme.example', LOWEST, 'primary_owner'),
      ]) {
        await assert.rejects(attempt, (e) => e instanceof ValidationError && e.code === 'invalid_role');
      }
      // Even a caller that skips the check (the operator's provisioning path) cannot make two.
      await assert.rejects(
        () =>
          ctx.c.members.invite(
            orgId,
            { email: 'po2@acme.example', role: 'primary_owner' },
            LOWEST,
            OPERATOR,
            {
              allowPrimaryOwner: true,
            },
          ),
        ConflictError,
      );
      assert.equal(await memberByEmail('po2@acme.example'), undefined);
      assert.deepEqual(await state(), before);
      assert.equal((await ctx.c.store.read((q) => q.members.primaryOwner(orgId)))!.id, owner.id);
      await seatsAgree();
    });

    // The primary owner's invitation lapses like any other (21 days, then removed, role kept). The
    // same address arriving again as an ordinary member must not leave the organisation without its
    // primary owner: only a transfer changes primary ownership, and directory sync and JIT never
    // demote the primary owner (product.md, "Roles").
    for (const [how, arrive] of [
      [
        'admitted (the SCIM/JIT path)',
        (org: number, email: string) =>
          ctx.c.members.admit(org, { email, role: 'user' }, 'jit', HIGHEST, { type: 'jit', connectionId: 1 }),
      ],
      [
        'invited again by an administrator',
        (org: number, email: string) => ctx.c.members.invite(org, { email, role: 'user' }, LOWEST, OPERATOR),
      ],
    ] as const) {
      test(`When the primary owner's invitation has lapsed and the address is ${how} as a user, then the organisation still has its primary owner`, async () => {
        const { organisation, primaryOwner } = await createExample(ctx, { slug: 'lapsed' });
        ctx.clock.advance({ days: 21 });
        assert.equal(await ctx.c.seats.expireInvitations(), 1);
        try {
          await arrive(organisation.id, primaryOwner.email);
        } catch (error) {
          // Refusing is one acceptable answer; silently demoting is not.
          assert.ok(error instanceof ConflictError || error instanceof ValidationError, String(error));
        }
        const po = await ctx.c.store.read((q) => q.members.primaryOwner(organisation.id));
        assert.equal(po?.id, primaryOwner.id, 'the organisation has exactly its one primary owner');
        assert.ok(await heldMatchesMembers(ctx, organisation.id));
      });
    }

    test('When seats are used, then usage reports allocation, held, seated, invited and available per tier', async () => {
      await admit('p@acme.example', PREMIUM);
      await invite('i@acme.example', STANDARD);
      assert.deepEqual(
        (await ctx.c.seats.usage(orgId)).map((t) => [
          t.tierId,
          t.allocation,
          t.held,
          t.seated,
          t.invited,
          t.available,
        ]),
        [
          ['premium', 1, 1, 1, 0, 0],
          ['standard', 3, 2, 1, 1, 1],
        ],
      );
      await seatsAgree();
    });

    test('When a member goes through every operation, then each leaves exactly one audit row whose before is the previous after', async () => {
      const start = (await audit()).length;
      const { member } = await invite('life@acme.example', STANDARD);
      await ctx.c.seats.changeTier(orgId, member.id, 'premium', OPERATOR);
      await ctx.c.seats.acceptInvitation(orgId, member.id, OPERATOR);
      await ctx.c.seats.changeTier(orgId, member.id, 'standard', OPERATOR);
      await ctx.c.seats.unassign(orgId, member.id, OPERATOR);
      await ctx.c.seats.claim(orgId, member.id, HIGHEST, OPERATOR);
      await ctx.c.seats.release(orgId, member.id, OPERATOR, 'unmapped');
      await ctx.c.seats.holdForInvitation(orgId, member.id, LOWEST, OPERATOR);
      await ctx.c.seats.revokeInvitation(orgId, member.id, OPERATOR);
      // The member's own rows (usage notices to the owners are audited about the seat pool).
      const rows = (await audit()).slice(start).filter((r) => r.subjectType === 'member');
      assert.deepEqual(
        rows.map((r) => r.action),
        [
          'member.created',
          'invitation.seat_held',
          'seat.tier_changed',
          'invitation.accepted',
          'seat.tier_changed',
          'seat.unassigned',
          'seat.claimed',
          'seat.released',
          'invitation.seat_held',
          'invitation.revoked',
        ],
      );
      assert.ok(rows.every((r) => r.subjectType === 'member' && r.subjectId === String(member.id)));
      for (let i = 1; i < rows.length; i++) {
        assert.deepEqual(
          rows[i]!.before,
          rows[i - 1]!.after,
          `row ${i} (${rows[i]!.action}) starts where ${i - 1} ended`,
        );
      }
      assert.deepEqual(
        rows.map((r) => {
          const a = r.after as { seatState: string; tierId: string | null };
          return `${a.seatState}:${a.tierId ?? '-'}`;
        }),
        [
          'unassigned:-',
          'invited:standard',
          'invited:premium',
          'seated:premium',
          'seated:standard',
          'unassigned:-',
          'seated:premium',
          'unmapped:-',
          'invited:standard',
          'removed:-',
        ],
      );
      await seatsAgree();
    });
  });

  // --- members waiting for a seat (the hold policy) ------------------------------------------------

  describe('waiting for a seat', () => {
    let wait: number;
    const inWait = (email: string, choice: TierChoice = STANDARD) =>
      ctx.c.members.admit(wait, { email, role: 'user' }, 'scim', choice, OPERATOR);
    const row = async (id: number) => (await inspect(ctx.c.store).member(wait, id))!;
    const waitPool = () =>
      ctx.c.store.read(async (q) =>
        (await q.seatPools.list(wait)).map((t) => [t.tierId, t.allocation, t.held] as const),
      );
    const waitAgree = async () => assert.ok(await heldMatchesMembers(ctx, wait));

    /**
     * A second organisation, every seat held (standard 4 of 4 with its owner's invitation, premium
     * 1 of 1), and two seatless members parked as waiting: `first` a minute before `second`.
     */
    let first: Member;
    let second: Member;
    let premiumHolder: Member;
    let standardHolder: Member;
    beforeEach(async () => {
      wait = (await createExample(ctx, { slug: 'waitco', seats: { standard: 4, premium: 1 } })).organisation
        .id;
      const a = await inWait('a@waitco.example');
      const b = await inWait('b@waitco.example');
      standardHolder = await inWait('c@waitco.example');
      premiumHolder = await inWait('p@waitco.example', PREMIUM);
      await ctx.c.seats.unassign(wait, a.id, OPERATOR);
      await ctx.c.seats.unassign(wait, b.id, OPERATOR);
      await inWait('d@waitco.example');
      await inWait('e@waitco.example');
      assert.deepEqual(await waitPool(), [
        ['premium', 1, 1],
        ['standard', 4, 4],
      ]);
      first = await ctx.c.seats.park(wait, b.id, 'awaiting_seat', OPERATOR);
      ctx.clock.advance({ minutes: 1 });
      second = await ctx.c.seats.park(wait, a.id, 'awaiting_seat', OPERATOR);
    });

    test('When a seatless member is parked as waiting, then nothing moves in the pool and the change is audited', async () => {
      assert.equal(first.seatState, 'awaiting_seat');
      assert.equal(first.tierId, null);
      assert.equal(first.waitingSince, '2026-01-01T09:00:00.000Z');
      assert.equal(second.waitingSince, ctx.clock.now().toISO());
      const rows = (await inspect(ctx.c.store).audit(wait)).slice(-2);
      assert.deepEqual(
        rows.map((r) => [r.action, r.subjectId, (r.before as { seatState: string }).seatState]),
        [
          ['member.state_changed', String(first.id), 'unassigned'],
          ['member.state_changed', String(second.id), 'unassigned'],
        ],
      );
      assert.deepEqual(await waitPool(), [
        ['premium', 1, 1],
        ['standard', 4, 4],
      ]);
      await waitAgree();
    });

    test('When a member holding a seat is parked, then it is refused; parking into the same state changes nothing', async () => {
      const before = (await inspect(ctx.c.store).audit(wait)).length;
      await assert.rejects(
        () => ctx.c.seats.park(wait, standardHolder.id, 'awaiting_seat', OPERATOR),
        conflict('invalid_seat_state'),
      );
      assert.deepEqual(
        await ctx.c.seats.park(wait, first.id, 'awaiting_seat', OPERATOR),
        await row(first.id),
      );
      assert.equal((await inspect(ctx.c.store).audit(wait)).length, before);
      await waitAgree();
    });

    test('When a seat is released, then it goes at once to the member waiting longest, audited as claimed by the seat-waiting job', async () => {
      await ctx.c.seats.release(wait, premiumHolder.id, OPERATOR);
      const seated = await row(first.id);
      assert.equal(seated.seatState, 'seated');
      assert.equal(seated.tierId, 'premium', 'the highest available tier');
      assert.equal(seated.waitingSince, null);
      assert.equal((await row(second.id)).seatState, 'awaiting_seat', 'the later one keeps waiting');
      assert.deepEqual(await waitPool(), [
        ['premium', 1, 1],
        ['standard', 4, 4],
      ]);
      const last = (await inspect(ctx.c.store).audit(wait)).at(-1)!;
      assert.equal(last.action, 'seat.claimed');
      assert.equal(last.subjectId, String(first.id));
      assert.equal(last.actorType, 'system');
      assert.equal(last.actorId, 'seat-waiting');
      await waitAgree();

      await ctx.c.seats.unassign(wait, standardHolder.id, OPERATOR);
      assert.equal((await row(second.id)).seatState, 'seated');
      assert.equal((await row(second.id)).tierId, 'standard');
      await waitAgree();
    });

    test('When a revoked invitation frees a seat, then a waiting member takes it in the same commit', async () => {
      // The owner's pending invitation holds a standard seat; revoking it frees that seat.
      const ownerRow = (await ctx.c.store.read((q) => q.members.primaryOwner(wait)))!;
      await ctx.c.seats.revokeInvitation(wait, ownerRow.id, OPERATOR);
      assert.equal((await row(first.id)).seatState, 'seated');
      assert.equal((await row(first.id)).tierId, 'standard');
      assert.equal((await row(second.id)).seatState, 'awaiting_seat');
      await waitAgree();
    });

    test('When a tier change frees a seat, then a waiting member takes it in the same commit', async () => {
      // Make premium free while nobody waits, then park `first` (parking does not seat).
      await ctx.c.seats.release(wait, premiumHolder.id, OPERATOR); // `first` takes premium
      await ctx.c.seats.unassign(wait, first.id, OPERATOR); // `second` takes premium
      await ctx.c.seats.unassign(wait, second.id, OPERATOR); // premium free, nobody waiting
      await ctx.c.seats.park(wait, first.id, 'awaiting_seat', OPERATOR);
      assert.deepEqual(await waitPool(), [
        ['premium', 1, 0],
        ['standard', 4, 4],
      ]);
      const moved = await ctx.c.seats.changeTier(wait, standardHolder.id, 'premium', OPERATOR);
      assert.equal(moved.tierId, 'premium');
      assert.equal((await row(first.id)).seatState, 'seated');
      assert.equal((await row(first.id)).tierId, 'standard', 'the standard seat the change freed');
      assert.deepEqual(await waitPool(), [
        ['premium', 1, 1],
        ['standard', 4, 4],
      ]);
      await waitAgree();
    });

    test('When an invitation expires, then its seat goes to a waiting member', async () => {
      ctx.clock.advance({ days: 21 });
      assert.equal(await ctx.c.seats.expireInvitations(), 1, "the waitco owner's invitation");
      assert.equal((await row(first.id)).seatState, 'seated');
      assert.equal((await row(second.id)).seatState, 'awaiting_seat');
      await waitAgree();
    });

    test('When seats are bought, then waiting members are seated first come, first served, in the purchase commit', async () => {
      ctx.clock.set('2026-03-01T10:00:00Z');
      const quote = await ctx.c.billing.quote(wait, { add: { standard: 1 } }, OPERATOR);
      await ctx.c.billing.confirm(wait, quote.id, OPERATOR);
      assert.equal((await row(first.id)).seatState, 'seated');
      assert.equal((await row(second.id)).seatState, 'awaiting_seat');
      assert.deepEqual(await waitPool(), [
        ['premium', 1, 1],
        ['standard', 5, 5],
      ]);
      await waitAgree();
    });

    test('When "sync now" runs, then it seats waiting members as far as seats allow, and a second run seats nobody', async () => {
      assert.equal(await ctx.c.seats.seatWaiting(wait), 0, 'no seat is free');
      assert.equal((await row(first.id)).seatState, 'awaiting_seat');
      // Free seats, then park one more member while they are free (parking does not seat).
      await ctx.c.seats.release(wait, premiumHolder.id, OPERATOR); // `first` takes it
      await ctx.c.seats.unassign(wait, standardHolder.id, OPERATOR); // `second` takes it
      const c = await ctx.c.seats.unassign(wait, (await row(second.id)).id, OPERATOR); // nobody waits now
      assert.equal(c.seatState, 'unassigned');
      await ctx.c.seats.park(wait, standardHolder.id, 'awaiting_seat', OPERATOR);
      ctx.clock.advance({ minutes: 1 });
      await ctx.c.seats.park(wait, second.id, 'awaiting_seat', OPERATOR);
      assert.deepEqual(await waitPool(), [
        ['premium', 1, 1],
        ['standard', 4, 3],
      ]);
      assert.equal(await ctx.c.seats.seatWaiting(wait), 1, 'one free seat, two waiting');
      assert.equal((await row(standardHolder.id)).seatState, 'seated', 'the one who waited longer');
      assert.equal((await row(second.id)).seatState, 'awaiting_seat');
      assert.equal(await ctx.c.seats.seatWaiting(wait), 0);
      await waitAgree();
    });

    test('When lapsed invitations are expired inside a transaction, then only those of that organisation lapsed by the instant end', async () => {
      const sentAt = ctx.clock.now();
      ctx.clock.advance({ days: 10 });
      const later = await invite('later@acme.example');
      const expired = await ctx.c.store.write((q) =>
        ctx.c.seats.expireLapsedInvitations(q, orgId, sentAt.plus({ days: 21 })),
      );
      assert.equal(expired, 0, "acme's owner accepted; the later invitation has not lapsed");
      assert.equal(
        await ctx.c.store.write((q) =>
          ctx.c.seats.expireLapsedInvitations(q, wait, sentAt.plus({ days: 21 })),
        ),
        1,
        "waitco's owner invitation",
      );
      assert.equal((await memberById(later.member.id))!.seatState, 'invited');
      assert.equal((await ctx.c.store.read((q) => q.members.primaryOwner(wait)))!.seatState, 'removed');
      await seatsAgree();
      await waitAgree();
    });
  });

  // --- a contract that does not renew ----------------------------------------------------------

  describe('after a non-renewing term ends', () => {
    let closed: number;
    let seated: Member;
    let unassigned: Member;

    beforeEach(async () => {
      // A second organisation in the same database, on a contract without auto-renewal.
      const created = await createExample(ctx, {
        slug: 'shortco',
        autoRenew: false,
        seats: { standard: 5, premium: 2 },
      });
      closed = created.organisation.id;
      const add = (email: string) =>
        ctx.c.members.admit(closed, { email, role: 'user' }, 'manual', LOWEST, OPERATOR);
      seated = await add('s@shortco.example');
      unassigned = await ctx.c.seats.unassign(closed, (await add('u@shortco.example')).id, OPERATOR);
    });

    test('When it is the last day of the term, then seats can still be claimed', async () => {
      ctx.clock.set('2026-12-31T22:59:59+00:00'); // 23:59:59 in Berlin
      assert.equal((await ctx.c.seats.claim(closed, unassigned.id, HIGHEST, OPERATOR)).tierId, 'premium');
      assert.ok(await heldMatchesMembers(ctx, closed));
    });

    test('When the term has ended, then claims, holds, admissions, invitations and tier changes are refused with ContractExpiredError and nothing is written', async () => {
      ctx.clock.set('2026-12-31T23:00:00Z'); // midnight in Berlin: the term is over
      const snapshotOf = () =>
        ctx.c.store.read(async (q) => ({
          pool: await q.seatPools.list(closed),
          members: await q.members.list(closed),
          audit: (await q.audit.list(closed, 0, 100_000)).length,
        }));
      const before = await snapshotOf();
      const expired = (e: unknown) =>
        e instanceof ContractExpiredError &&
        e.code === 'contract_expired' &&
        /ended on 2026-12-31/.test(e.message);
      await assert.rejects(() => ctx.c.seats.claim(closed, unassigned.id, HIGHEST, OPERATOR), expired);
      await assert.rejects(
        () => ctx.c.seats.holdForInvitation(closed, unassigned.id, LOWEST, OPERATOR),
        expired,
      );
      await assert.rejects(() => ctx.c.seats.changeTier(closed, seated.id, 'premium', OPERATOR), expired);
      await assert.rejects(
        () =>
          ctx.c.members.admit(closed, { email: 'n@shortco.example', role: 'user' }, 'jit', HIGHEST, OPERATOR),
        expired,
      );
      await assert.rejects(
        () => ctx.c.members.invite(closed, { email: 'n@shortco.example', role: 'user' }, LOWEST, OPERATOR),
        expired,
      );
      assert.deepEqual(await snapshotOf(), before);

      // After the renewal job has marked it expired, still refused; the auto-renewing Acme is unaffected.
      assert.deepEqual(
        (await ctx.c.renewals.run()).map((o) => [o.slug, o.outcome]),
        [
          ['acme', 'renewed'],
          ['shortco', 'expired'],
        ],
      );
      await assert.rejects(() => ctx.c.seats.claim(closed, unassigned.id, HIGHEST, OPERATOR), expired);
      assert.ok(await heldMatchesMembers(ctx, closed));
    });

    test('When the term has ended, then a seat can still be given back', async () => {
      ctx.clock.set('2027-02-01T00:00:00Z');
      assert.equal((await ctx.c.seats.release(closed, seated.id, OPERATOR)).seatState, 'deactivated');
      assert.ok(await heldMatchesMembers(ctx, closed));
    });
  });
});
