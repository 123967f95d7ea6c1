// POST /.search at the root (RFC 7644 §3.4.3) and per resource type: one paged result across types.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import {
  close,
  expectScimError,
  expectStatus,
  world,
  type ScimClient,
  type World,
} from '../../helpers/scim-world.js';
import { entraCreateGroup, oktaCreateUser, type ScimRequest } from '../../helpers/scim-requests.js';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const search = (path: string, body: Record<string, unknown>): ScimRequest => ({
  method: 'POST',
  path,
  body: { schemas: [SEARCH], ...body },
});

describe('Searching with POST', () => {
  let w: World;
  let scim: ScimClient;

  beforeAll(async () => {
    w = await world({ standard: 10, premium: 0 });
    scim = w.scim;
    for (const name of ['ada', 'alan', 'grace'])
      expectStatus(await scim.send(oktaCreateUser(`${name}@acme.example`)), 201);
    for (const name of ['Engineering', 'Sales']) expectStatus(await scim.send(entraCreateGroup(name)), 201);
  });
  afterAll(() => close(w));

  const kinds = (body: { Resources: { meta: { resourceType: string } }[] }) =>
    body.Resources.map((r) => r.meta.resourceType);

  test('When the root is searched with no filter, then users and groups are listed as one result, users first', async () => {
    const res = await scim.send(search('/.search', {}));
    expectStatus(res, 200);
    assert.equal(res.body.totalResults, 5);
    assert.deepEqual(kinds(res.body), ['User', 'User', 'User', 'Group', 'Group']);
  });

  test('When a page straddles the two types, then it continues from the last users into the first groups', async () => {
    const res = await scim.send(search('/.search', { startIndex: 3, count: 2 }));
    assert.deepEqual([res.body.totalResults, res.body.startIndex, res.body.itemsPerPage], [5, 3, 2]);
    assert.deepEqual(kinds(res.body), ['User', 'Group']);
    assert.equal(res.body.Resources[1].displayName, 'Engineering');
    const past = await scim.send(search('/.search', { startIndex: 9 }));
    assert.deepEqual([past.body.totalResults, past.body.Resources.length], [5, 0]);
  });

  test('When the filter names an attribute only one type has, then only that type matches', async () => {
    const users = await scim.send(search('/.search', { filter: 'userName sw "a"' }));
    assert.deepEqual([users.body.totalResults, ...kinds(users.body)], [2, 'User', 'User']);
    const groups = await scim.send(
      search('/.search', { filter: 'displayName eq "sales"', attributes: ['displayName'] }),
    );
    assert.deepEqual(groups.body.Resources, [
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        id: groups.body.Resources[0].id,
        displayName: 'Sales',
      },
    ]);
  });

  test('When the filter names an attribute no type has, or is malformed, then 400 invalidFilter', async () => {
    for (const filter of ['shoeSize eq 42', 'userName eq']) {
      const res = await scim.send(search('/.search', { filter }));
      expectStatus(res, 400);
      assert.equal(res.body.scimType, 'invalidFilter');
    }
  });

  test('When attributes or excludedAttributes is an array holding anything but strings, then 400 invalidValue', async () => {
    // An object with a null toString once made Array#join throw: a 500 instead of a SCIM error.
    for (const value of [[{ toString: null }], [1], ['userName', {}]]) {
      for (const name of ['attributes', 'excludedAttributes']) {
        const res = await scim.send(search('/Users/.search', { [name]: value }));
        expectScimError(res, 400);
        assert.equal(res.body.scimType, 'invalidValue', `${name}: ${JSON.stringify(value)}`);
      }
    }
  });

  test('When /Users/.search is asked with attributes and a sort, then it answers like GET /Users', async () => {
    const res = await scim.send(
      search('/Users/.search', {
        sortBy: 'userName',
        sortOrder: 'descending',
        attributes: ['userName'],
        count: 2,
      }),
    );
    assert.deepEqual(
      (res.body.Resources as { userName: string }[]).map((r) => r.userName),
      ['grace@acme.example', 'alan@acme.example'],
    );
    assert.deepEqual(Object.keys(res.body.Resources[0]).sort(), ['id', 'schemas', 'userName']);
  });
});
