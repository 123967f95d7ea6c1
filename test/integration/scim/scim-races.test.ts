// What must hold when a provider's creates race each other, fired at once against a real server on
// 127.0.0.1 (on PostgreSQL each request's unit of work runs on a pooled connection of its own, so
// Promise.all is true concurrency), and against two server processes on one database: userName is
// unique per organisation regardless of case, so one of the racing creates wins, the rest are
// refused with 409, and the pool holds one seat more; email is not unique for directory users
// (docs/scim.md), so creates sharing one are all made.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { startServer, stop, type ServerProcess } from '../../helpers/scim-server-process.js';
import { WORKER_NOW } from '../../helpers/processes/protocol.js';
import {
  close,
  expectScimError,
  expectStatus,
  resourcesOf,
  seatCounts,
  world,
  type ScimResponse,
  type World,
} from '../../helpers/scim-world.js';
import {
  createExample,
  heldMatchesMembers,
  scimToken,
  setup,
  type TestContext,
} from '../../helpers/fixtures.js';
import { oktaCreateUser, oktaFindUser, oktaUserBody, USER_SCHEMA } from '../../helpers/scim-requests.js';
import { readStored } from '../../helpers/stored-rows.js';
import { HIGHEST, OPERATOR } from '../../../domain/model.js';

const N = 10;

const count = (responses: ScimResponse[], status: number) =>
  responses.filter((r) => r.status === status).length;

/** Standard seats held, and every member row agreeing with the pool's counters. */
async function heldStandard(w: World): Promise<number> {
  assert.ok(await heldMatchesMembers(w.ctx, w.orgId), 'pool counters match member rows');
  return (await seatCounts(w.ctx, w.orgId)).standard!.held;
}

/** The users the provider's own lookup finds under `userName` (case-insensitive). */
async function usersNamed(w: World, userName: string): Promise<{ id: string }[]> {
  const found = await w.scim.send(oktaFindUser(userName));
  expectStatus(found, 200);
  return resourcesOf(found);
}

/** The winner is 201, every other answer a SCIM Error 409; never a 5xx. */
function expectOneCreated(responses: ScimResponse[]): ScimResponse {
  const statuses = responses.map((r) => r.status);
  assert.equal(count(responses, 201), 1, `statuses: ${statuses.join(' ')}`);
  assert.equal(count(responses, 409), responses.length - 1, `statuses: ${statuses.join(' ')}`);
  for (const res of responses.filter((r) => r.status === 409)) {
    expectScimError(res, 409);
    // RFC 7644 §3.3: a duplicate userName is 409 with scimType uniqueness, however it was found.
    assert.equal(res.body.scimType, 'uniqueness', JSON.stringify(res.body));
  }
  return responses.find((r) => r.status === 201)!;
}

/** The member.linked audit rows about one member. */
async function linkedRows(w: World, memberId: number): Promise<number> {
  return await readStored(w.ctx, async (db) => {
    const rows = await db.all(
      `SELECT count(*) AS n FROM audit_log WHERE action = 'member.linked' AND subject_id = '${memberId}'`,
    );
    return Number(rows[0]?.n);
  });
}

/** A member who arrived before the directory knew them (an administrator added them). */
async function unlinkedMember(w: World, email: string) {
  return await w.ctx.c.members.admit(w.orgId, { email, role: 'user' }, 'manual', HIGHEST, OPERATOR);
}

describe('SCIM creates racing on one userName', () => {
  let w: World;
  beforeAll(async () => {
    w = await world({ standard: 60, premium: 0 });
  });
  afterAll(() => close(w));

  test(`When ${N} creates of the same userName arrive at once, then exactly one is 201, the rest 409, one user is stored and one seat more is held`, async () => {
    const held = await heldStandard(w);
    const responses = await Promise.all(
      Array.from({ length: N }, () => w.scim.send(oktaCreateUser('same@acme.example'))),
    );
    const created = expectOneCreated(responses);
    assert.deepEqual(
      (await usersNamed(w, 'same@acme.example')).map((u) => u.id),
      [created.body.id],
    );
    assert.equal(await heldStandard(w), held + 1);
  });

  test(`When ${N} creates of one userName spelt in different case arrive at once, then exactly one is 201, the rest 409, and one user is stored`, async () => {
    const held = await heldStandard(w);
    const spellings = Array.from({ length: N }, (_, i) =>
      [...'mixed.case@acme.example'].map((ch, j) => ((i >> (j % 4)) & 1 ? ch.toUpperCase() : ch)).join(''),
    );
    assert.equal(new Set(spellings).size > 1, true);
    const responses = await Promise.all(spellings.map((name) => w.scim.send(oktaCreateUser(name))));
    const created = expectOneCreated(responses);
    assert.deepEqual(
      (await usersNamed(w, 'MIXED.CASE@acme.example')).map((u) => u.id),
      [created.body.id],
    );
    assert.equal(await heldStandard(w), held + 1);
  });

  test(`When ${N} creates with different userNames but one email address arrive at once, then all are 201: email is not unique for directory users`, async () => {
    const held = await heldStandard(w);
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        w.scim.send({
          method: 'POST',
          path: '/Users',
          body: {
            schemas: [USER_SCHEMA],
            userName: `shared-mail-${i}`,
            emails: [{ primary: true, type: 'work', value: 'shared@acme.example' }],
            active: true,
          },
        }),
      ),
    );
    for (const res of responses) expectStatus(res, 201);
    assert.equal(new Set(responses.map((r) => r.body.id as string)).size, N);
    assert.equal(await heldStandard(w), held + N);
  });
});

describe('SCIM creates racing to take over one member the directory did not push', () => {
  let w: World;
  beforeAll(async () => {
    w = await world({ standard: 60, premium: 0 });
  });
  afterAll(() => close(w));

  test(`When ${N} creates name a member by its address as userName at once, then one links it (201, the same member) and the rest are 409 uniqueness`, async () => {
    const member = await unlinkedMember(w, 'early@acme.example');
    const held = await heldStandard(w);
    const responses = await Promise.all(
      Array.from({ length: N }, () => w.scim.send(oktaCreateUser('early@acme.example'))),
    );
    const created = expectOneCreated(responses);
    assert.equal(created.body.id, member.publicId, 'the member was linked, not copied');
    assert.equal(await linkedRows(w, member.id), 1);
    assert.equal(await heldStandard(w), held, 'the linked member keeps the seat it had');
  });

  test(`When ${N} creates with different userNames carry one member's address at once, then one links it and the rest are new users, each findable by its userName`, async () => {
    const member = await unlinkedMember(w, 'shared-early@acme.example');
    const held = await heldStandard(w);
    const names = Array.from({ length: N }, (_, i) => `linker-${i}`);
    const responses = await Promise.all(
      names.map((userName) =>
        w.scim.send({
          method: 'POST',
          path: '/Users',
          body: {
            schemas: [USER_SCHEMA],
            userName,
            emails: [{ primary: true, type: 'work', value: 'shared-early@acme.example' }],
            active: true,
          },
        }),
      ),
    );
    for (const res of responses) expectStatus(res, 201);
    const ids = responses.map((r) => r.body.id as string);
    assert.equal(new Set(ids).size, N, `ids: ${ids.join(' ')}`);
    assert.equal(ids.filter((id) => id === member.publicId).length, 1, 'exactly one linked the member');
    assert.equal(await linkedRows(w, member.id), 1);
    for (const [i, userName] of names.entries()) {
      assert.deepEqual(
        (await usersNamed(w, userName)).map((u) => u.id),
        [ids[i]],
      );
    }
    assert.equal(await heldStandard(w), held + N - 1, 'a seat for each new user, none for the linked one');
  });
});

describe('SCIM creates of one userName racing over two server processes on one database', () => {
  let ctx: TestContext;
  let organisationId: number;
  let token: string;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    ctx = await setup(WORKER_NOW);
    organisationId = (await createExample(ctx, { seats: { standard: 20, premium: 0 } })).organisation.id;
    token = await scimToken(ctx, organisationId);
    const target = ctx.databaseUrl ?? ctx.databasePath;
    servers.push(...(await Promise.all([startServer(target), startServer(target)])));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map(stop));
    await ctx.cleanup();
  });

  test(`When each process gets ${N / 2} creates of the same userName at once, then exactly one is 201 over both, the rest 409, and one seat more is held`, async () => {
    const before = (await seatCounts(ctx, organisationId)).standard!.held;
    const responses: ScimResponse[] = await Promise.all(
      servers.flatMap((server) =>
        Array.from({ length: N / 2 }, async () => {
          const res = await fetch(`${server.url}/scim/v2/Users`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
            body: JSON.stringify(oktaUserBody('twice@acme.example')),
          });
          return { status: res.status, headers: res.headers, body: await res.json() };
        }),
      ),
    );
    const created = expectOneCreated(responses);
    const found = await fetch(
      `${servers[1]!.url}/scim/v2/Users?filter=${encodeURIComponent('userName eq "twice@acme.example"')}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    const { Resources } = (await found.json()) as { Resources: { id: string }[] };
    assert.deepEqual(
      Resources.map((u) => u.id),
      [created.body.id],
    );
    const stored = await ctx.c.store.read((q) =>
      q.directoryUsers.byUserName(organisationId, 'twice@acme.example'),
    );
    assert.equal(stored?.seatState, 'seated');
    assert.equal((await seatCounts(ctx, organisationId)).standard!.held, before + 1);
    assert.ok(await heldMatchesMembers(ctx, organisationId));
  });
});
