// One server, many organisations: a SCIM token sees only its own organisation; unknown, revoked,
// missing or garbled credentials get a SCIM 401; every answer is application/scim+json; and a
// token that sends too fast is told when to come back (429 + Retry-After). A token revoked by
// another process on the database: scim-tokens-elsewhere.test.ts.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { OPERATOR } from '../../../domain/model.js';
import {
  createExample,
  listen,
  scimToken,
  setup,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import {
  expectEmptyList,
  expectScimError,
  expectSeats,
  expectStatus,
  resourcesOf,
  scimClient,
  type ScimClient,
  type ScimResponse,
  close,
  world,
  type World,
} from '../../helpers/scim-world.js';
import {
  entraAddMembers,
  entraCreateGroup,
  entraCreateUser,
  entraDeleteGroup,
  entraDeleteUser,
  entraFindGroup,
  entraFindUser,
  entraGetGroup,
  entraGetUser,
  entraPatchReplaceActiveString,
  entraRenameGroup,
  ERROR_SCHEMA,
  listGroups,
  oktaDeactivate,
  oktaListUsers,
  oktaReplaceUser,
  type ScimRequest,
} from '../../helpers/scim-requests.js';

describe('Tenancy and authentication', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let acme: { id: number; scim: ScimClient; user: string; group: string };
  let globex: { id: number; scim: ScimClient; user: string; group: string };
  const responses: ScimResponse[] = [];

  /** Sends and keeps the response, so the last test can check every Content-Type. */
  const send = async (client: ScimClient, request: ScimRequest, headers?: Record<string, string>) => {
    const res = await client.send(request, headers);
    responses.push(res);
    return res;
  };

  beforeAll(async () => {
    ctx = await setup('2026-03-01T10:00:00Z');
    server = await listen(ctx);
    const tenants = [];
    for (const slug of ['acme', 'globex']) {
      const { organisation } = await createExample(ctx, { slug, seats: { standard: 5, premium: 0 } });
      const scim = scimClient(server, await scimToken(ctx, organisation.id));
      // The same userName and group name in both: names are unique per organisation only.
      const user = await send(scim, entraCreateUser(`shared@${slug}.example`, { externalId: 'same-ext' }));
      expectStatus(user, 201);
      const group = await send(scim, entraCreateGroup('Staff', 'same-group-ext'));
      expectStatus(group, 201);
      tenants.push({
        id: organisation.id,
        scim,
        user: user.body.id as string,
        group: group.body.id as string,
      });
    }
    [acme, globex] = tenants as [typeof acme, typeof globex];
  });
  afterAll(async () => {
    await server.close();
    await ctx.cleanup();
  });

  test("When one organisation's token names the other's user, then every read and write is 404 and nothing changes", async () => {
    expectScimError(await send(acme.scim, entraGetUser(globex.user)), 404);
    expectScimError(await send(acme.scim, entraPatchReplaceActiveString(globex.user, 'False')), 404);
    expectScimError(
      await send(acme.scim, oktaReplaceUser({ id: globex.user, userName: 'taken@acme.example' }, {})),
      404,
    );
    expectScimError(await send(acme.scim, entraDeleteUser(globex.user)), 404);
    const intact = await send(globex.scim, entraGetUser(globex.user));
    expectStatus(intact, 200);
    assert.equal(intact.body.active, true);
    await expectSeats(ctx, globex.id, { standard: { held: 2, seated: 1 } });
    await expectSeats(ctx, acme.id, { standard: { held: 2, seated: 1 } });
  });

  test("When one organisation's token names the other's group, then every read and write is 404, and the other's users cannot be added", async () => {
    expectScimError(await send(acme.scim, entraGetGroup(globex.group)), 404);
    expectScimError(await send(acme.scim, entraRenameGroup(globex.group, 'Mine now')), 404);
    expectScimError(await send(acme.scim, entraDeleteGroup(globex.group)), 404);
    const crossAdd = await send(acme.scim, entraAddMembers(acme.group, [globex.user]));
    assert.ok(crossAdd.status === 400 || crossAdd.status === 404, `got ${crossAdd.status}`);
    const group = await send(acme.scim, { method: 'GET', path: `/Groups/${acme.group}` });
    assert.deepEqual(group.body.members ?? [], []);
    assert.equal((await send(globex.scim, entraGetGroup(globex.group))).body.displayName, 'Staff');
  });

  test('When each token lists and filters, then it sees only its own organisation', async () => {
    for (const [tenant, slug] of [
      [acme, 'acme'],
      [globex, 'globex'],
    ] as const) {
      const users = await send(tenant.scim, oktaListUsers());
      expectStatus(users, 200);
      assert.deepEqual(
        resourcesOf(users).map((u) => [u.id, u.userName]),
        [[tenant.user, `shared@${slug}.example`]],
      );
      const byExternalId = await send(tenant.scim, entraFindUser('externalId', 'same-ext'));
      assert.deepEqual(
        resourcesOf(byExternalId).map((u) => u.id),
        [tenant.user],
      );
      const groups = await send(tenant.scim, listGroups());
      assert.deepEqual(
        resourcesOf(groups).map((g) => g.id),
        [tenant.group],
      );
      const byName = await send(tenant.scim, entraFindGroup('Staff'));
      assert.equal(byName.body.totalResults, 1);
    }
    expectEmptyList(await send(acme.scim, entraFindUser('userName', 'shared@globex.example')));
  });

  test('When a token is revoked, then its next request is 401 with the SCIM error schema', async () => {
    const issued = await ctx.c.scimTokens.create(acme.id, 'to revoke', OPERATOR);
    const client = scimClient(server, issued.token);
    expectStatus(await send(client, oktaListUsers()), 200);
    await ctx.c.scimTokens.revoke(acme.id, issued.record.id, OPERATOR);
    const res = await send(client, oktaListUsers());
    expectScimError(res, 401, /missing, unknown or revoked/);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    expectScimError(await send(client, oktaDeactivate(acme.user)), 401);
    expectStatus(await send(acme.scim, entraGetUser(acme.user)), 200);
  });

  test('When the Authorization header is missing or garbled, then 401 with the SCIM error schema', async () => {
    const token = await scimToken(ctx, acme.id);
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Basic ${Buffer.from(`x:${token}`).toString('base64')}`,
      `Token ${token}`,
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      'Bearer skscim_not-a-real-token',
      `Bearer ${token} extra`,
    ]) {
      const client = scimClient(server, authorization === undefined ? {} : { authorization });
      const res = await send(client, oktaListUsers());
      expectScimError(res, 401);
      assert.deepEqual(res.body.schemas, [ERROR_SCHEMA], String(authorization));
    }
    // Discovery is behind authentication too.
    expectScimError(
      await send(scimClient(server, {}), { method: 'GET', path: '/ServiceProviderConfig' }),
      401,
    );
  });

  test('When anything is answered, then the Content-Type is application/scim+json (2xx, 204, 4xx alike)', () => {
    assert.ok(responses.length > 30);
    for (const res of responses) {
      assert.match(
        res.headers.get('content-type') ?? '(none)',
        /^application\/scim\+json/,
        `status ${res.status}`,
      );
    }
  });

  test('When a 204 is answered (delete), then it also carries application/scim+json', async () => {
    const user = await send(acme.scim, entraCreateUser('temp@acme.example'));
    const res = await send(acme.scim, entraDeleteUser(user.body.id));
    assert.equal(res.status, 204);
    assert.match(res.headers.get('content-type') ?? '(none)', /^application\/scim\+json/);
  });
});

describe('Rate limit per token', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let scim: ScimClient;
  let other: ScimClient;

  let w: World;
  beforeAll(async () => {
    w = await world(undefined, { scimRateLimit: { perSecond: 5, burst: 5 } });
    ({ ctx, server, scim } = w);
    other = scimClient(server, await scimToken(ctx, w.orgId));
    // The first list starts the directory reader's thread; the burst below is then five quick lists.
    expectStatus(await scimClient(server, await scimToken(ctx, w.orgId)).send(oktaListUsers()), 200);
  });
  afterAll(() => close(w));

  test('When a token sends a 6th request at once against a burst of 5, then 429 with Retry-After and a SCIM error; another token is unaffected', async () => {
    // Sent together, as the title says: one after another, six lists on a loaded machine can take
    // longer than the 200 ms in which the bucket gets a request back.
    const answers = await Promise.all(Array.from({ length: 6 }, () => scim.send(oktaListUsers())));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 429]);
    const res = answers.find((a) => a.status === 429)!;
    expectScimError(res, 429, /retry after/i);
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1,
      `Retry-After: ${res.headers.get('retry-after')}`,
    );
    expectStatus(await other.send(oktaListUsers()), 200);
  });

  test('When the token waits as told, then it is served again', async () => {
    await new Promise((resolve) => setTimeout(resolve, 250)); // 5/s: one token back after 200 ms
    expectStatus(await scim.send(oktaListUsers()), 200);
  });
});
