// Input that looks like data but is not: prototype keys, and hostile text quoted back in errors.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { scimToken } from '../../helpers/fixtures.js';
import { close, expectStatus, world, type ScimClient, type World } from '../../helpers/scim-world.js';
import { oktaCreateUser } from '../../helpers/scim-requests.js';
import { SEAT_SCHEMA } from '../../../scim/schemas.js';

describe('Input that must not be taken at face value', () => {
  let w: World;
  let scim: ScimClient;

  beforeAll(async () => {
    w = await world({ standard: 10, premium: 0 });
    scim = w.scim;
  });
  afterAll(() => close(w));

  test('When a body carries a "__proto__" key, then it is ignored: no hidden attributes, no polluted prototype', async () => {
    const user = (await scim.send(oktaCreateUser('pat@acme.example'))).body.id as string;
    const raw = `{"displayName":"Protos","__proto__":{"members":[{"value":"${user}"}],"polluted":true}}`;
    const res = await fetch(`${w.server.url}/scim/v2/Groups`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await scimToken(w.ctx, w.orgId)}`,
        'content-type': 'application/scim+json',
      },
      body: raw,
    });
    assert.equal(res.status, 201);
    const group = (await res.json()) as { members?: unknown[] };
    assert.deepEqual(group.members, [], 'members smuggled through __proto__ were not added');
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });

  test('When attribute names come in another case ("Active", an upper-case extension URN), then they mean what the lower-case ones do', async () => {
    const inactive = await scim.send({
      method: 'POST',
      path: '/Users',
      body: { userName: 'quinn@acme.example', Active: 'False', emails: [{ value: 'quinn@acme.example' }] },
    });
    expectStatus(inactive, 201);
    assert.equal(inactive.body.active, false);
    const quinn = (await w.ctx.c.store.read((q) => q.members.withEmail(w.orgId, 'quinn@acme.example')))[0]!;
    assert.notEqual(quinn.seatState, 'seated', 'an inactive user takes no seat');

    const premium = await scim.send({
      method: 'POST',
      path: '/Users',
      body: {
        userName: 'rhea@acme.example',
        [SEAT_SCHEMA.toUpperCase()]: { tier: 'premium' },
      },
    });
    expectStatus(premium, 403); // the organisation has no premium seat: the tier was read and honoured
  });

  test('When an invalid filter is huge, then the error detail quotes at most about a thousand characters of it', async () => {
    const filter = `userName eq "x" and ${'a'.repeat(3000)}`;
    const res = await scim.send({ method: 'POST', path: '/Users/.search', body: { filter } });
    expectStatus(res, 400);
    assert.equal(res.body.scimType, 'invalidFilter');
    assert.ok(
      (res.body.detail as string).length <= 1001,
      `detail of ${(res.body.detail as string).length} characters`,
    );
  });
});
