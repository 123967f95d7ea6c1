// The NUL character (U+0000) in SCIM input: refused with 400 and a SCIM Error before anything is
// read or written, the same on SQLite and PostgreSQL (domain/nul.ts, docs/rules.md "Text").
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { close, expectScimError, expectStatus, world, type World } from '../../helpers/scim-world.js';
import { oktaCreateUser, oktaUserBody, PATCH_OP } from '../../helpers/scim-requests.js';
import { readStored } from '../../helpers/stored-rows.js';

/** Every committed row but the token's own bookkeeping (its last use), as a digest. */
async function digest(w: World): Promise<string> {
  return await readStored(w.ctx, async (db) => {
    const hash = createHash('sha256');
    for (const name of await db.tables()) {
      if (name === 'scim_tokens' || name === 'sessions') continue;
      hash.update(name);
      hash.update(JSON.stringify(await db.rowsOf(name)));
    }
    return hash.digest('hex');
  });
}

describe('SCIM input holding the NUL character', () => {
  let w: World;
  let userId: string;

  beforeAll(async () => {
    w = await world({ standard: 10, premium: 0 });
    const created = await w.scim.send(oktaCreateUser('pat@acme.example'));
    expectStatus(created, 201);
    userId = created.body.id as string;
  });
  afterAll(() => close(w));

  /** Sends `body` as it is written (no JSON.stringify), to the SCIM path. */
  const sendRaw = async (method: string, path: string, body: string) => {
    const res = await fetch(`${w.server.url}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/scim+json' },
      body,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> };
  };

  test('When a created User has NUL in userName, in a name part, or in an attribute name, then 400 invalidValue and nothing is stored', async () => {
    const before = await digest(w);
    const bodies = [
      oktaUserBody('a\u0000b@acme.example'),
      { ...oktaUserBody('nested@acme.example'), name: { givenName: 'Ne\u0000sted', familyName: 'User' } },
      { ...oktaUserBody('key@acme.example'), name: { ['given\u0000Name']: 'Key', familyName: 'User' } },
      {
        ...oktaUserBody('deep@acme.example'),
        emails: [{ value: 'deep@acme.example', primary: true }, { value: 'x\u0000@acme.example' }],
      },
    ];
    for (const body of bodies) {
      const res = await w.scim.send({ method: 'POST', path: '/Users', body });
      expectScimError(res, 400, /NUL character \(U\+0000\)/);
      assert.equal(res.body.scimType, 'invalidValue');
    }
    assert.equal(await digest(w), before, 'nothing was written');
  });

  test('When the NUL comes as the JSON escape \\u0000 in the raw body, then 400 invalidValue; as a raw byte, 400 invalidSyntax (JSON forbids it); nothing is stored', async () => {
    const before = await digest(w);
    const escaped = await sendRaw(
      'POST',
      '/Users',
      '{"userName":"esc\\u0000aped@acme.example","active":true}',
    );
    expectScimError(escaped, 400, /NUL character/);
    assert.equal(escaped.body.scimType, 'invalidValue');
    assert.match(String(escaped.body.detail), /userName/, 'the detail points at the attribute');

    const raw = await sendRaw('POST', '/Users', '{"userName":"raw\u0000byte@acme.example","active":true}');
    expectScimError(raw, 400);
    assert.equal(raw.body.scimType, 'invalidSyntax');
    assert.equal(await digest(w), before, 'nothing was written');
  });

  test('When a PATCH or a PUT carries a NUL value, then 400 invalidValue and the User is unchanged', async () => {
    const before = await digest(w);
    const patches = [
      { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Pat\u0000' }] },
      { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { name: { familyName: 'N\u0000' } } }] },
      { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'userName', value: 'p\u0000t@acme.example' }] },
    ];
    for (const body of patches) {
      const res = await w.scim.send({ method: 'PATCH', path: `/Users/${userId}`, body });
      expectScimError(res, 400, /NUL character/);
      assert.equal(res.body.scimType, 'invalidValue');
    }
    const put = await w.scim.send({
      method: 'PUT',
      path: `/Users/${userId}`,
      body: { ...oktaUserBody('pat@acme.example'), displayName: '\u0000' },
    });
    expectScimError(put, 400, /NUL character/);
    assert.equal(await digest(w), before, 'nothing was written');
    const user = await w.scim.send({ method: 'GET', path: `/Users/${userId}` });
    expectStatus(user, 200);
    assert.equal(user.body.userName, 'pat@acme.example');
  });

  test('When a Group is created with a NUL in its name, then 400 invalidValue and nothing is stored', async () => {
    const before = await digest(w);
    const res = await w.scim.send({ method: 'POST', path: '/Groups', body: { displayName: 'Eng\u0000' } });
    expectScimError(res, 400, /NUL character/);
    assert.equal(res.body.scimType, 'invalidValue');
    assert.equal(await digest(w), before);
  });

  test('When a filter compares with a value holding NUL, in a query or a SearchRequest, then 400 invalidFilter on either backend', async () => {
    const inQuery = await w.scim.send({
      method: 'GET',
      path: `/Users?filter=${encodeURIComponent('userName eq "pat\u0000@acme.example"')}`,
    });
    expectScimError(inQuery, 400, /NUL character \(U\+0000\)/);
    assert.equal(inQuery.body.scimType, 'invalidFilter');

    const groups = await w.scim.send({
      method: 'GET',
      path: `/Groups?filter=${encodeURIComponent('displayName eq "\u0000"')}`,
    });
    expectScimError(groups, 400);
    assert.equal(groups.body.scimType, 'invalidFilter');

    const inBody = await w.scim.send({
      method: 'POST',
      path: '/Users/.search',
      body: { filter: 'userName eq "pat\u0000@acme.example"' },
    });
    expectScimError(inBody, 400, /NUL character \(U\+0000\)/);
    assert.equal(inBody.body.scimType, 'invalidFilter');

    const elsewhere = await w.scim.send({
      method: 'POST',
      path: '/.search',
      body: { filter: 'userName pr', attributes: ['userName', 'name.given\u0000Name'] },
    });
    expectScimError(elsewhere, 400, /attributes\/1/);
    assert.equal(elsewhere.body.scimType, 'invalidValue', 'the rest of a SearchRequest is any body');
  });
});
