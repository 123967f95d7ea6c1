// Identity settings and group mappings (provisioning/directory/identity-settings.ts,
// group-mappings.ts) over a real database file: owners' settings, audited, changed together or
// not at all.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { ConflictError, ForbiddenError, ValidationError } from '../../../domain/errors.js';
import { OPERATOR, type Actor } from '../../../domain/model.js';
import type { SeatExhaustionPolicy } from '../../../domain/records.js';
import { createExample, setup, type TestContext } from '../../helpers/fixtures.js';
import { inspect } from '../../helpers/inspect.js';

describe('Identity settings', () => {
  let ctx: TestContext;
  let orgId: number;
  let owner: Actor;

  beforeEach(async () => {
    ctx = await setup('2026-02-01T10:00:00Z');
    const created = await createExample(ctx, { seats: { standard: 10, premium: 1 } });
    orgId = created.organisation.id;
    const accepted = await ctx.c.seats.acceptInvitation(orgId, created.primaryOwner.id, OPERATOR);
    owner = { type: 'member', memberId: accepted.id };
  });
  afterEach(() => ctx.cleanup());

  const directory = () => ctx.c.directory;
  const actions = () => inspect(ctx.c.store).auditActions(orgId);

  test('When both settings change together, then both are stored and each change is audited once', async () => {
    const settings = await directory().configureIdentity(
      orgId,
      { provisioningMode: 'scim', seatExhaustion: 'hold' },
      owner,
    );
    assert.deepEqual([settings.provisioningMode, settings.seatExhaustion], ['scim', 'hold']);
    await directory().configureIdentity(orgId, { provisioningMode: 'scim', seatExhaustion: 'hold' }, owner);
    const changes = (await actions()).filter((a) => a.startsWith('organisation.'));
    assert.deepEqual(changes.filter((a) => a === 'organisation.provisioning_mode_changed').length, 1);
    assert.deepEqual(changes.filter((a) => a === 'organisation.seat_exhaustion_changed').length, 1);
  });

  test('When one of two settings is invalid, then neither is changed', async () => {
    await assert.rejects(
      () =>
        directory().configureIdentity(
          orgId,
          { provisioningMode: 'scim', seatExhaustion: 'queue' as SeatExhaustionPolicy },
          owner,
        ),
      ValidationError,
    );
    const settings = await directory().identitySettings(orgId, owner);
    assert.deepEqual([settings.provisioningMode, settings.seatExhaustion], ['invite_only', 'reject']);
    assert.ok(!(await actions()).includes('organisation.provisioning_mode_changed'));
  });

  test('When a member who is not an owner changes a setting, then it is refused', async () => {
    const admin = await ctx.c.members.admit(
      orgId,
      { email: 'ada@acme.example', role: 'admin' },
      'manual',
      { tier: 'standard' },
      OPERATOR,
    );
    await assert.rejects(
      () => directory().setProvisioningMode(orgId, 'jit', { type: 'member', memberId: admin.id }),
      ForbiddenError,
    );
    assert.equal((await directory().identitySettings(orgId, owner)).provisioningMode, 'invite_only');
  });

  test('When a group mapping names no role and no tier, or an unknown tier, then the change is refused', async () => {
    for (const mapping of [
      { groupName: 'Staff', role: null, tierId: null },
      { groupName: 'Staff', role: 'user' as const, tierId: 'gold' },
      { groupName: ' ', role: 'user' as const, tierId: null },
    ]) {
      await assert.rejects(
        () => directory().configureGroupMappings(orgId, { set: [mapping] }, owner),
        ValidationError,
      );
    }
    assert.deepEqual(await directory().groupMappings(orgId, owner), { enabled: false, mappings: [] });
  });

  test('When a replace leaves a mapping out, then it is removed and the others take the new values', async () => {
    await directory().configureGroupMappings(
      orgId,
      {
        set: [
          { groupName: 'Staff', role: 'user', tierId: null },
          { groupName: 'Admins', role: 'admin', tierId: null },
        ],
      },
      owner,
    );
    const replaced = await directory().configureGroupMappings(
      orgId,
      { replace: [{ groupName: 'Staff', role: 'user', tierId: 'standard' }] },
      owner,
    );
    assert.deepEqual(
      replaced.mappings.map((m) => [m.role, m.tierId]),
      [['user', 'standard']],
    );
  });

  test("When a mapping change would take away the owner's own seat, then it needs confirm; unconfirmed, nothing is written", async () => {
    const owned = await directory().createUser(
      orgId,
      {
        userName: 'owner@acme.example',
        externalId: null,
        active: true,
        displayName: null,
        email: null,
        tier: null,
        resource: {},
      },
      OPERATOR,
    );
    assert.equal(owned.role, 'primary_owner');
    const admin = await ctx.c.members.admit(
      orgId,
      { email: 'ada@acme.example', role: 'owner' },
      'manual',
      { tier: 'standard' },
      OPERATOR,
    );
    await directory().createUser(
      orgId,
      {
        userName: 'ada@acme.example',
        externalId: null,
        active: true,
        displayName: null,
        email: null,
        tier: null,
        resource: {},
      },
      OPERATOR,
    );
    const ada: Actor = { type: 'member', memberId: admin.id };
    await assert.rejects(
      () => directory().changeGroupMappings(orgId, { enabled: true }, ada),
      (e: unknown) => e instanceof ConflictError && e.code === 'confirmation_required',
    );
    assert.equal((await directory().groupMappings(orgId, owner)).enabled, false);
    const done = await directory().changeGroupMappings(orgId, { enabled: true }, ada, { confirm: true });
    assert.ok(done.consequences.reasons.includes('unseats_you'));
    assert.equal((await inspect(ctx.c.store).member(orgId, admin.id))!.seatState, 'unmapped');
  });
});
