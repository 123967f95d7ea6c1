// Versioned resources (RFC 7644 §3.14): meta.version and ETag agree, If-Match guards PUT, PATCH and
// DELETE with 412 on a stale version, If-None-Match answers 304 while nothing changed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { close, expectStatus, world, type ScimClient, type World } from './harness.js';
import {
  entraAddMembers,
  entraCreateGroup,
  oktaCreateUser,
  oktaGetUser,
  type ScimRequest,
} from './requests.js';

describe('Resource versions', () => {
  let w: World;
  let scim: ScimClient;

  before(async () => {
    w = await world({ standard: 10, premium: 0 });
    scim = w.scim;
  });
  after(() => close(w));

  const rename = (id: string, displayName: string): ScimRequest => ({
    method: 'PATCH',
    path: `/Users/${id}`,
    body: { Operations: [{ op: 'replace', path: 'displayName', value: displayName }] },
  });

  test('When a user is read, then its ETag is its meta.version, and If-None-Match with it answers 304 until it changes', async () => {
    const created = await scim.send(oktaCreateUser('vera@acme.example'));
    const id = created.body.id as string;
    const read = await scim.send(oktaGetUser(id));
    const tag = read.headers.get('etag')!;
    assert.match(tag, /^W\/"\d+"$/);
    assert.equal(read.body.meta.version, tag);
    expectStatus(await scim.send(oktaGetUser(id), { 'if-none-match': tag }), 304);
    expectStatus(await scim.send(rename(id, 'Vera V')), 200);
    const changed = await scim.send(oktaGetUser(id), { 'if-none-match': tag });
    expectStatus(changed, 200);
    assert.notEqual(changed.headers.get('etag'), tag, 'a change gives a new version');
  });

  test('When PATCH, PUT or DELETE carry a stale If-Match, then 412 and nothing changes; the current one succeeds', async () => {
    const id = (await scim.send(oktaCreateUser('walt@acme.example'))).body.id as string;
    const stale = (await scim.send(oktaGetUser(id))).headers.get('etag')!;
    expectStatus(await scim.send(rename(id, 'First')), 200);
    const current = (await scim.send(oktaGetUser(id))).headers.get('etag')!;

    for (const request of [rename(id, 'Second'), { method: 'DELETE', path: `/Users/${id}` } as ScimRequest]) {
      const res = await scim.send(request, { 'if-match': stale });
      expectStatus(res, 412);
      assert.equal(res.body.status, '412');
    }
    const put = await scim.send(
      { method: 'PUT', path: `/Users/${id}`, body: { userName: 'walt@acme.example', displayName: 'Put' } },
      { 'if-match': stale },
    );
    expectStatus(put, 412);
    assert.equal((await scim.send(oktaGetUser(id))).body.displayName, 'First', 'nothing changed');

    expectStatus(await scim.send(rename(id, 'Second'), { 'if-match': current }), 200);
    const latest = (await scim.send(oktaGetUser(id))).headers.get('etag')!;
    expectStatus(await scim.send({ method: 'DELETE', path: `/Users/${id}` }, { 'if-match': latest }), 204);
    expectStatus(await scim.send(oktaGetUser(id)), 404);
  });

  test('When a group membership changes, then the group version moves, so a stale If-Match is refused', async () => {
    const group = await scim.send(entraCreateGroup('Versioned'));
    const user = (await scim.send(oktaCreateUser('xena@acme.example'))).body.id as string;
    const before = group.headers.get('etag')!;
    expectStatus(await scim.send(entraAddMembers(group.body.id, [user])), 204);
    const res = await scim.send(
      {
        method: 'PATCH',
        path: `/Groups/${group.body.id}`,
        body: { Operations: [{ op: 'replace', path: 'displayName', value: 'X' }] },
      },
      { 'if-match': before },
    );
    expectStatus(res, 412);
    expectStatus(
      await scim.send({ method: 'GET', path: `/Groups/${group.body.id}` }, { 'if-none-match': before }),
      200,
    );
  });

  test('When If-Match is not an entity tag, then 412 with a detail that says what is expected', async () => {
    const id = (await scim.send(oktaCreateUser('yuri@acme.example'))).body.id as string;
    const res = await scim.send(rename(id, 'Nope'), { 'if-match': 'version-7' });
    expectStatus(res, 412);
    assert.match(res.body.detail, /W\/"3"/);
  });
});
