// Input that looks like data but is not: prototype keys, and hostile text quoted back in errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createExample,
  listen,
  scimToken,
  setup,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import { expectStatus, scimClient, type ScimClient } from './harness.js';
import { oktaCreateUser } from './requests.js';

describe('Input that must not be taken at face value', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let scim: ScimClient;

  before(async () => {
    ctx = setup('2026-03-01T10:00:00Z');
    const { organisation } = createExample(ctx, { seats: { standard: 10, premium: 0 } });
    server = await listen(ctx);
    scim = scimClient(server, scimToken(ctx, organisation.id));
  });
  after(async () => {
    await server.close();
    ctx.cleanup();
  });

  test('When a body carries a "__proto__" key, then it is ignored: no hidden attributes, no polluted prototype', async () => {
    const user = (await scim.send(oktaCreateUser('pat@acme.example'))).body.id as string;
    const raw = `{"displayName":"Protos","__proto__":{"members":[{"value":"${user}"}],"polluted":true}}`;
    const res = await fetch(`${server.url}/scim/v2/Groups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken(ctx, 1)}`, 'content-type': 'application/scim+json' },
      body: raw,
    });
    assert.equal(res.status, 201);
    const group = (await res.json()) as { members?: unknown[] };
    assert.deepEqual(group.members, [], 'members smuggled through __proto__ were not added');
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
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
