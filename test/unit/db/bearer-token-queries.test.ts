// The lookups, revocation and last-used mark that API tokens and SCIM tokens share
// (db/queries/bearer-tokens.ts), run against both tables.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { createExample, setup, type TestContext } from '../../helpers/fixtures.js';

let ctx: TestContext;
let organisationId: number;
const at = '2026-03-01T09:00:00.000Z';

beforeAll(async () => {
  ctx = await setup('2026-03-01T09:00:00Z');
  organisationId = (await createExample(ctx)).organisation.id;
});
afterAll(() => ctx.cleanup());

/** Inserts one token of each kind with the hash given; returns the table's queries and the id. */
const kinds = {
  api: (hash: string) =>
    ctx.c.store.write(async (q) => ({
      table: q.apiTokens,
      id: await q.apiTokens.insert({
        organisationId,
        name: 'ci',
        role: 'admin',
        tokenHash: hash,
        prefix: 'skapi_abcdef',
        createdByMemberId: null,
        at,
      }),
    })),
  scim: (hash: string) =>
    ctx.c.store.write(async (q) => ({
      table: q.scimTokens,
      id: await q.scimTokens.insert(organisationId, 'okta', hash, 'skscim_abcdef', at),
    })),
};

describe.each(Object.entries(kinds))('The %s token table', (kind, insert) => {
  test('When a token is looked up by its hash, then it is found until revoked, and revoked once only', async () => {
    const hash = `${kind === 'api' ? 'a' : 'b'}`.repeat(64);
    const { table, id } = await insert(hash);
    assert.equal((await table.activeByHash(hash))?.id, id);
    assert.equal((await table.byId(organisationId, id))?.name, kind === 'api' ? 'ci' : 'okta');
    assert.ok((await table.list(organisationId)).some((t) => t.id === id));
    assert.equal(await table.byId(organisationId + 1000, id), undefined, 'another organisation sees nothing');
    assert.equal(await table.revoke(organisationId, id, at), true);
    assert.equal(await table.revoke(organisationId, id, at), false);
    assert.equal(await table.activeByHash(hash), undefined);
    assert.equal(
      (await table.byId(organisationId, id))?.revokedAt,
      at,
      'the revoked row stays for the audit',
    );
  });

  test('When a use is marked, then the token says when it was last used', async () => {
    const hash = `${kind === 'api' ? 'c' : 'd'}`.repeat(64);
    const { table, id } = await insert(hash);
    assert.equal((await table.byId(organisationId, id))?.lastUsedAt, null);
    await ctx.c.store.write(() => table.markUsed(id, '2026-03-01T10:00:00.000Z'));
    assert.equal((await table.byId(organisationId, id))?.lastUsedAt, '2026-03-01T10:00:00.000Z');
  });
});
