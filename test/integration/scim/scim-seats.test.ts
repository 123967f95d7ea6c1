// Directory sync against a finite seat pool: refusing (policy reject) or holding (policy hold) the
// users a full pool cannot seat, buying seats for them, concurrency, release on deactivation and
// delete, the protected primary owner, and tiers asked for through our SCIM extension.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { OPERATOR } from '../../../domain/model.js';
import { heldMatchesMembers } from '../../helpers/fixtures.js';
import {
  expectEmptyList,
  expectScimError,
  expectSeats,
  close,
  expectStatus,
  seatOf,
  world,
  type ScimResponse,
  type World,
} from '../../helpers/scim-world.js';
import {
  deleteUser,
  entraCreateUser,
  entraDeleteUser,
  entraGetUser,
  entraPatchReplaceActiveString,
  oktaCreateUser,
  oktaDeactivate,
  oktaFindUser,
  oktaGetUser,
  oktaReactivate,
  oktaReplaceUser,
  oktaUserBody,
  patchTier,
} from '../../helpers/scim-requests.js';
import { inspect } from '../../helpers/inspect.js';

const userName = (i: number) => `user${String(i).padStart(3, '0')}@acme.example`;

/** An owner buys `n` standard seats: quote, then confirm (the two-step purchase). */
async function buyStandardSeats(w: World, n: number): Promise<void> {
  const quote = await w.ctx.c.billing.quote(w.orgId, { add: { standard: n } }, OPERATOR);
  await w.ctx.c.billing.confirm(w.orgId, quote.id, OPERATOR);
}

const SEAT_LIMIT_DETAIL =
  /Organisation "acme" has no available seat.*every seat bought is held.*An owner must add seats.*recorded in the organisation's waiting list/s;

describe('Policy reject: a full pool refuses directory users', () => {
  let w: World;
  const created = new Map<string, string>();
  const refused: string[] = [];

  // 11 standard seats; the primary owner's pending invitation holds one, so 10 are free.
  beforeAll(async () => {
    w = await world({ standard: 11, premium: 0 });
  });
  afterAll(() => close(w));

  test('When 15 users are pushed into 10 free seats, then 10 are created and 5 refused with 403 naming the state, the fix and the record', async () => {
    for (let i = 1; i <= 15; i++) {
      const res = await w.scim.send(oktaCreateUser(userName(i)));
      if (i <= 10) {
        expectStatus(res, 201);
        created.set(userName(i), res.body.id);
      } else {
        expectScimError(res, 403, SEAT_LIMIT_DETAIL);
        assert.equal(res.body.scimType, undefined, 'RFC 7644 has no quota scimType');
        assert.match(res.body.detail, new RegExp(userName(i)));
        refused.push(userName(i));
      }
    }
    await expectSeats(w.ctx, w.orgId, { standard: { held: 11, seated: 10 } });
  });

  test('When the refused users are looked up, then nothing was stored for them', async () => {
    for (const name of refused) expectEmptyList(await w.scim.send(oktaFindUser(name)));
    const members = await inspect(w.ctx.c.store).members(w.orgId);
    assert.equal(members.length, 11, 'the owner and the 10 created');
  });

  test('When administrators look at the waiting list, then it lists the 5 refused, one row each even after a retry', async () => {
    expectScimError(await w.scim.send(oktaCreateUser(refused[0]!)), 403);
    const { refused: waiting, awaiting } = await w.ctx.c.directory.waiting(w.orgId);
    assert.deepEqual(
      waiting.map((e) => e.userName),
      refused,
    );
    assert.equal(waiting[0]!.attempts, 2);
    assert.ok(waiting.every((e) => e.source === 'scim'));
    assert.deepEqual(awaiting, []);
  });

  test('When an owner adds 5 seats and the provider retries, then the 5 are created and their waiting entries resolve', async () => {
    await buyStandardSeats(w, 5);
    await expectSeats(
      w.ctx,
      w.orgId,
      { standard: { held: 11, seated: 10 } },
      'a purchase alone seats nobody under reject',
    );
    for (const name of refused) {
      const res = await w.scim.send(oktaCreateUser(name));
      expectStatus(res, 201);
      assert.equal(seatOf(res.body).seatState, 'seated');
    }
    assert.deepEqual((await w.ctx.c.directory.waiting(w.orgId)).refused, []);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 16, seated: 15 } });
  });

  test('When a deactivated user is reactivated while the pool is full, then 403, the user stays inactive, and the attempt is recorded', async () => {
    const id = created.get(userName(1))!;
    assert.ok([200, 204].includes((await w.scim.send(oktaDeactivate(id))).status));
    expectStatus(await w.scim.send(oktaCreateUser('late@acme.example')), 201); // takes the freed seat
    await expectSeats(w.ctx, w.orgId, { standard: { held: 16, seated: 15 } }, 'full again');
    expectScimError(await w.scim.send(oktaReactivate(id)), 403, /An owner must add seats/);
    const user = await w.scim.send(oktaGetUser(id));
    assert.equal(user.body.active, false);
    assert.deepEqual(
      (await w.ctx.c.directory.waiting(w.orgId)).refused.map((e) => e.userName),
      [userName(1)],
    );
    await expectSeats(w.ctx, w.orgId, { standard: { held: 16, seated: 15 } });
    await buyStandardSeats(w, 1);
    assert.ok([200, 204].includes((await w.scim.send(oktaReactivate(id))).status));
    assert.deepEqual(
      (await w.ctx.c.directory.waiting(w.orgId)).refused,
      [],
      'the successful retry resolves it',
    );
    await expectSeats(w.ctx, w.orgId, { standard: { held: 17, seated: 16 } });
  });
});

describe('Policy reject: a refused reactivation tells the administrator what Okta shows', () => {
  let w: World;
  beforeAll(async () => {
    w = await world({ standard: 2, premium: 0 }); // one free seat
  });
  afterAll(() => close(w));

  test('When a reactivation (PATCH or PUT) is refused for want of a seat, then its 403 detail also says the attempt was recorded', async () => {
    const first = await w.scim.send(oktaCreateUser('nia@acme.example'));
    assert.ok([200, 204].includes((await w.scim.send(oktaDeactivate(first.body.id))).status));
    expectStatus(await w.scim.send(oktaCreateUser('oli@acme.example')), 201);
    expectScimError(await w.scim.send(oktaReactivate(first.body.id)), 403, SEAT_LIMIT_DETAIL);
    const current = (await w.scim.send(oktaGetUser(first.body.id))).body;
    expectScimError(await w.scim.send(oktaReplaceUser(current, { active: true })), 403, SEAT_LIMIT_DETAIL);
  });
});

describe('Policy hold: a full pool keeps directory users waiting for a seat', () => {
  let w: World;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    w = await world({ standard: 11, premium: 0 });
    await w.ctx.c.directory.setSeatExhaustion(w.orgId, 'hold', OPERATOR);
  });
  afterAll(() => close(w));

  test('When the policy is changed, then the change is audited and only owners or the operator may make it', async () => {
    const audit = await inspect(w.ctx.c.store).audit(w.orgId);
    const entry = audit.find((a) => a.action === 'organisation.seat_exhaustion_changed');
    assert.deepEqual(entry?.after, { seatExhaustion: 'hold' });
    await assert.rejects(
      () => w.ctx.c.directory.setSeatExhaustion(w.orgId, 'reject', { type: 'scim_token', tokenId: 1 }),
      /Only owners/,
    );
  });

  test('When 15 users are pushed into 10 free seats, then all 15 are 201 and the last 5 are awaiting a seat', async () => {
    for (let i = 1; i <= 15; i++) {
      w.ctx.clock.advance({ minutes: 1 }); // first come, first served is by arrival
      const res = await w.scim.send(oktaCreateUser(userName(i)));
      expectStatus(res, 201);
      ids.set(userName(i), res.body.id);
      assert.deepEqual(
        seatOf(res.body),
        i <= 10
          ? { tier: 'standard', seatState: 'seated', role: 'user' }
          : { seatState: 'awaiting_seat', role: 'user' },
      );
    }
    const { refused, awaiting } = await w.ctx.c.directory.waiting(w.orgId);
    assert.deepEqual(refused, []);
    assert.deepEqual(
      awaiting.map((m) => m.userName),
      [11, 12, 13, 14, 15].map(userName),
    );
    await expectSeats(w.ctx, w.orgId, { standard: { held: 11, seated: 10 } });
  });

  test('When an owner buys 3 seats, then the 3 longest waiting are seated, in order', async () => {
    await buyStandardSeats(w, 3);
    for (const [i, state] of [
      [11, 'seated'],
      [12, 'seated'],
      [13, 'seated'],
      [14, 'awaiting_seat'],
      [15, 'awaiting_seat'],
    ] as const) {
      const user = await w.scim.send(oktaGetUser(ids.get(userName(i))!));
      assert.equal(seatOf(user.body).seatState, state, userName(i));
    }
    await expectSeats(w.ctx, w.orgId, { standard: { held: 14, seated: 13 } });
  });

  test('When a seated user is deactivated, then the longest waiting takes the seat in the same commit', async () => {
    assert.ok([200, 204].includes((await w.scim.send(oktaDeactivate(ids.get(userName(1))!))).status));
    assert.equal(seatOf((await w.scim.send(oktaGetUser(ids.get(userName(14))!))).body).seatState, 'seated');
    assert.equal(
      seatOf((await w.scim.send(oktaGetUser(ids.get(userName(15))!))).body).seatState,
      'awaiting_seat',
    );
    await expectSeats(w.ctx, w.orgId, { standard: { held: 14, seated: 13 } });
  });

  test('When a waiting user is deactivated, then they leave the queue and no seat moves', async () => {
    assert.ok([200, 204].includes((await w.scim.send(oktaDeactivate(ids.get(userName(15))!))).status));
    assert.deepEqual((await w.ctx.c.directory.waiting(w.orgId)).awaiting, []);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 14, seated: 13 } });
  });

  test('When a user is reactivated while the pool is full, then 200 and they wait again instead of being refused', async () => {
    const res = await w.scim.send(oktaReactivate(ids.get(userName(15))!));
    expectStatus(res, 200);
    assert.equal(seatOf(res.body).seatState, 'awaiting_seat');
    assert.equal(res.body.active, true);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 14, seated: 13 } });
    // "Sync now" seats nobody while nothing is free.
    assert.equal(await w.ctx.c.seats.seatWaiting(w.orgId), 0);
  });
});

describe('Concurrency: 200 simultaneous creates against 50 free seats', () => {
  let w: World;
  beforeAll(async () => {
    w = await world({ standard: 51, premium: 0 });
  });
  afterAll(() => close(w));

  test('When 200 creates arrive at once, then exactly 50 are seated, 150 refused with 403, none fail, and held equals the allocation', async () => {
    const responses: ScimResponse[] = await Promise.all(
      Array.from({ length: 200 }, (_, i) => w.scim.send(oktaCreateUser(userName(i)))),
    );
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 50);
    assert.equal(statuses.filter((s) => s === 403).length, 150);
    assert.equal(statuses.filter((s) => s >= 500).length, 0);
    const [standard] = (await w.ctx.c.seats.usage(w.orgId)).filter((t) => t.tierId === 'standard');
    assert.equal(standard!.held, standard!.allocation);
    assert.equal(standard!.seated, 50);
    assert.ok(await heldMatchesMembers(w.ctx, w.orgId));
    assert.equal((await w.ctx.c.directory.waiting(w.orgId)).refused.length, 150);
  });
});

describe('Deactivation, deletion and the primary owner', () => {
  let w: World;
  let owner: string;

  beforeAll(async () => {
    w = await world({ standard: 10, premium: 0 });
  });
  afterAll(() => close(w));

  test('When Entra sends active "False", then the seat is released at once', async () => {
    const res = await w.scim.send(entraCreateUser('fay@acme.example'));
    await expectSeats(w.ctx, w.orgId, { standard: { held: 2, seated: 1 } }, 'after create');
    expectStatus(await w.scim.send(entraPatchReplaceActiveString(res.body.id, 'False')), 200);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 } }, 'after "False"');
  });

  test('When Okta (custom app) PUTs the user with active: false, then the seat is released at once', async () => {
    const res = await w.scim.send(oktaCreateUser('gus@acme.example'));
    await expectSeats(w.ctx, w.orgId, { standard: { held: 2, seated: 1 } }, 'after create');
    const put = await w.scim.send(oktaReplaceUser(res.body, { active: false }));
    expectStatus(put, 200);
    assert.equal(put.body.active, false);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 } }, 'after PUT active false');
  });

  test('When a seated user is deleted, then 204 and the seat is released at once', async () => {
    const res = await w.scim.send(entraCreateUser('hal@acme.example'));
    await expectSeats(w.ctx, w.orgId, { standard: { held: 2, seated: 1 } }, 'after create');
    expectStatus(await w.scim.send(entraDeleteUser(res.body.id)), 204);
    expectScimError(await w.scim.send(entraGetUser(res.body.id)), 404);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 } }, 'after delete');
  });

  test('When an administrator unassigned a seat, then a later profile PUT from the provider does not take a seat back', async () => {
    const res = await w.scim.send(oktaCreateUser('ike@acme.example'));
    const member = await w.ctx.c.directory.getUser(w.orgId, res.body.id);
    await w.ctx.c.seats.unassign(w.orgId, member.id, OPERATOR);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 } }, 'after unassign');
    const current = (await w.scim.send(oktaGetUser(res.body.id))).body;
    const put = await w.scim.send(oktaReplaceUser(current, { displayName: 'Ike Renamed' }));
    expectStatus(put, 200);
    assert.equal(seatOf(put.body).seatState, 'unassigned');
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 } }, 'after PUT');
  });

  test("When the directory provisions the primary owner's address, then it links to the owner, who keeps the role and the held seat", async () => {
    const res = await w.scim.send(oktaCreateUser('owner@acme.example'));
    expectStatus(res, 201);
    owner = res.body.id;
    assert.equal(seatOf(res.body).role, 'primary_owner');
    assert.equal(seatOf(res.body).seatState, 'invited', 'the pending invitation still holds its seat');
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 } });
  });

  test('When the directory deactivates the primary owner (PATCH or PUT), then 403 with a clear detail and nothing changes', async () => {
    const detail = /primary owner cannot be deactivated or deleted.*transfer primary ownership/;
    expectScimError(await w.scim.send(oktaDeactivate(owner)), 403, detail);
    expectScimError(await w.scim.send(entraPatchReplaceActiveString(owner, 'False')), 403, detail);
    const current = (await w.scim.send(oktaGetUser(owner))).body;
    expectScimError(await w.scim.send(oktaReplaceUser(current, { active: false })), 403, detail);
    const after = (await w.scim.send(oktaGetUser(owner))).body;
    assert.equal(after.active, true);
    assert.equal(seatOf(after).role, 'primary_owner');
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 } });
  });

  test('When the directory deletes the primary owner, then 403 and the owner is still there', async () => {
    expectScimError(
      await w.scim.send(deleteUser(owner)),
      403,
      /primary owner cannot be deactivated or deleted/,
    );
    expectStatus(await w.scim.send(oktaGetUser(owner)), 200);
    assert.equal((await w.ctx.c.store.read((q) => q.members.primaryOwner(w.orgId)))?.publicId, owner);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 } });
  });
});

describe('The tier a provider writes through our extension', () => {
  let w: World;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    w = await world({ standard: 10, premium: 2 });
  });
  afterAll(() => close(w));

  test('When a user is created asking for standard while premium is free, then the named tier is claimed, not the highest', async () => {
    const res = await w.scim.send(oktaCreateUser('ida@acme.example', { tier: 'standard' }));
    expectStatus(res, 201);
    ids.ida = res.body.id;
    assert.equal(seatOf(res.body).tier, 'standard');
    await expectSeats(w.ctx, w.orgId, { standard: { held: 2, seated: 1 } });
  });

  test('When users ask for premium, then they get premium while it lasts, and then 403 naming the premium tier', async () => {
    for (const name of ['jon', 'kim']) {
      const res = await w.scim.send(oktaCreateUser(`${name}@acme.example`, { tier: 'premium' }));
      expectStatus(res, 201);
      ids[name] = res.body.id;
      assert.equal(seatOf(res.body).tier, 'premium');
    }
    await expectSeats(w.ctx, w.orgId, { standard: { held: 2, seated: 1 }, premium: { held: 2, seated: 2 } });
    expectScimError(
      await w.scim.send(oktaCreateUser('lea@acme.example', { tier: 'premium' })),
      403,
      /no available seat in the premium tier.*An owner must add seats/,
    );
    expectEmptyList(await w.scim.send(oktaFindUser('lea@acme.example')));
    await expectSeats(w.ctx, w.orgId, { standard: { held: 2, seated: 1 }, premium: { held: 2, seated: 2 } });
  });

  test('When a seated user is moved to a full tier, then 403 and the seat stays; once one frees up, the move claims it and frees the old one', async () => {
    expectScimError(await w.scim.send(patchTier(ids.ida!, 'premium')), 403, /premium tier/);
    assert.equal(seatOf((await w.scim.send(oktaGetUser(ids.ida!))).body).tier, 'standard');
    assert.ok([200, 204].includes((await w.scim.send(oktaDeactivate(ids.jon!))).status));
    await expectSeats(w.ctx, w.orgId, { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } });
    const res = await w.scim.send(patchTier(ids.ida!, 'premium'));
    expectStatus(res, 200);
    assert.deepEqual(seatOf(res.body), { tier: 'premium', seatState: 'seated', role: 'user' });
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 }, premium: { held: 2, seated: 2 } });
  });

  test('When a provider asks for a tier that does not exist, then 400 and nothing is stored', async () => {
    const res = await w.scim.send({
      method: 'POST',
      path: '/Users',
      body: oktaUserBody('max@acme.example', { tier: 'gold' }),
    });
    expectScimError(res, 400, /no seat tier "gold"/);
    expectEmptyList(await w.scim.send(oktaFindUser('max@acme.example')));
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 }, premium: { held: 2, seated: 2 } });
  });
});
