// Discovery (RFC 7644 §4) per app: every document's meta.location is under the base URL of the app
// that answers, even with two apps in one process served at two URLs (scimmy keeps one base path
// per process; each app's documents carry their own).
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import request from 'supertest';
import assert from '../../helpers/assert.js';
import { createExample, scimToken, setup, testApp, type TestContext } from '../../helpers/fixtures.js';
import { USER_SCHEMA } from '../../../scim/schemas.js';

type Json = Record<string, unknown>;

const location = (resource: unknown) => ((resource as Json).meta as Json).location;

describe('SCIM discovery', () => {
  let ctx: TestContext;
  let token: string;
  const first = 'https://first.example';
  const second = 'https://second.example';

  beforeAll(async () => {
    ctx = await setup('2026-03-01T09:00:00Z');
    token = await scimToken(ctx, (await createExample(ctx)).organisation.id);
  });
  afterAll(() => ctx.cleanup());

  const get = (app: ReturnType<typeof testApp>, path: string) =>
    request(app).get(`/scim/v2${path}`).set('authorization', `Bearer ${token}`);

  test('When two apps of one process are served at two URLs, then each discovery document is located under the app that answers', async () => {
    // Built in this order on purpose: the first app of a process once set the location for all.
    const apps = [
      [first, testApp(ctx, { publicBaseUrl: first })],
      [second, testApp(ctx, { publicBaseUrl: second })],
    ] as const;
    for (const [base, app] of apps) {
      const scim = `${base}/scim/v2`;
      const config = await get(app, '/ServiceProviderConfig');
      assert.equal(config.status, 200);
      assert.equal(location(config.body), `${scim}/ServiceProviderConfig`);

      const types = await get(app, '/ResourceTypes');
      assert.equal(types.status, 200);
      const typeLocations = (types.body.Resources as Json[]).map(location);
      assert.deepEqual(typeLocations, [`${scim}/ResourceTypes/User`, `${scim}/ResourceTypes/Group`]);
      assert.equal(location((await get(app, '/ResourceTypes/User')).body), `${scim}/ResourceTypes/User`);

      const schemas = await get(app, '/Schemas');
      assert.equal(schemas.status, 200);
      for (const schema of schemas.body.Resources as Json[]) {
        assert.equal(location(schema), `${scim}/Schemas/${String(schema.id)}`);
      }
      const user = await get(app, `/Schemas/${USER_SCHEMA}`);
      assert.equal(location(user.body), `${scim}/Schemas/${USER_SCHEMA}`);
    }
  });

  test('When a resource type or schema is unknown, then 404 as a SCIM error naming it', async () => {
    const app = testApp(ctx, { publicBaseUrl: first });
    const type = await get(app, '/ResourceTypes/Printer');
    assert.equal(type.status, 404);
    assert.equal(type.body.detail, 'ResourceType Printer not found');
    const schema = await get(app, '/Schemas/urn:example:none');
    assert.equal(schema.status, 404);
    assert.equal(schema.body.detail, 'Schema urn:example:none not found');
    // Names an object has without declaring them are unknown too.
    for (const id of ['__proto__', 'constructor', 'toString']) {
      assert.equal((await get(app, `/ResourceTypes/${id}`)).status, 404, id);
      assert.equal((await get(app, `/Schemas/${id}`)).status, 404, id);
    }
  });
});
