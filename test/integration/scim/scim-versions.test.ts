// Versioned resources (RFC 7644 §3.14): meta.version and ETag agree, If-Match guards PUT, PATCH and
// DELETE with 412 on a stale version, If-None-Match answers 304 while nothing changed.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { connect, type Socket } from 'node:net';
import { close, expectStatus, world, type ScimClient, type World } from '../../helpers/scim-world.js';
import {
  entraAddMembers,
  entraCreateGroup,
  oktaCreateUser,
  oktaGetUser,
  type ScimRequest,
} from '../../helpers/scim-requests.js';

describe('Resource versions', () => {
  let w: World;
  let scim: ScimClient;

  beforeAll(async () => {
    w = await world({ standard: 10, premium: 0 });
    scim = w.scim;
  });
  afterAll(() => close(w));

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

  test('When a provider sends many PATCHes of one user at once without If-Match, then every one succeeds and none is lost', async () => {
    const id = (await scim.send(oktaCreateUser('zara@acme.example'))).body.id as string;
    const n = 12;
    const bodies = Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        Operations: [{ op: 'add', path: 'phoneNumbers', value: [{ value: `+4930${i}`, type: 'work' }] }],
      }),
    );
    // On connections opened beforehand and written at the same instant, as a provider's parallel
    // connections deliver them: the server reads them all in one turn.
    const statuses = await simultaneously(w.server.url, w.token, `/scim/v2/Users/${id}`, bodies);
    assert.deepEqual(
      statuses,
      Array.from({ length: n }, () => 200),
      'no 412 without If-Match (RFC 7644 §3.14)',
    );
    const phones = ((await scim.send(oktaGetUser(id))).body.phoneNumbers as { value: string }[]).map(
      (p) => p.value,
    );
    assert.deepEqual(
      phones.sort(),
      Array.from({ length: n }, (_, i) => `+4930${i}`).sort(),
      'every PATCH applied',
    );
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

/** PATCHes `path` with each body on its own connection, all written at once; their statuses. */
async function simultaneously(
  base: string,
  token: string,
  path: string,
  bodies: string[],
): Promise<number[]> {
  const { hostname, port } = new URL(base);
  const sockets = await Promise.all(
    bodies.map(
      () =>
        new Promise<Socket>((resolve) => {
          const socket = connect(Number(port), hostname, () => resolve(socket));
        }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 50)); // every connection accepted first
  const answers = sockets.map(
    (socket) =>
      new Promise<number>((resolve, reject) => {
        let head = '';
        socket.on('data', (chunk: Buffer) => {
          head += chunk.toString('latin1');
          const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
          if (status) {
            resolve(Number(status[1]));
            socket.destroy();
          }
        });
        socket.on('error', reject);
      }),
  );
  sockets.forEach((socket, i) => {
    const body = bodies[i]!;
    socket.write(
      `PATCH ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/scim+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  return Promise.all(answers);
}
