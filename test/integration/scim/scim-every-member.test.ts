// Every member is a SCIM User (docs/scim.md, "Every member is a SCIM User"): people who signed in
// just in time through a real OpenID Provider, or accepted an invitation, are listed with their
// seat and found by the providers' matching queries (Okta's import and `userName eq`, Entra's
// matching attribute), and a later push links to them: one member, one seat, audited as linked.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { LOWEST, OPERATOR } from '../../../domain/model.js';
import {
  createExample,
  listen,
  scimToken,
  setup,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import { oidcSignIn, startOidcConnection, type OidcTestProvider } from '../../helpers/oidc-provider.js';
import {
  expectEmptyList,
  expectScimError,
  expectSeats,
  expectStatus,
  refValues,
  resourcesOf,
  scimClient,
  seatOf,
  type ScimClient,
} from '../../helpers/scim-world.js';
import {
  deleteUser,
  entraCreateUser,
  entraFindUser,
  entraGetUser,
  entraPatchUser,
  entraReplaceOp,
  entraTestConnection,
  getGroupWithMembers,
  oktaAddMember,
  oktaCreateUser,
  oktaDeactivate,
  oktaFindUser,
  oktaGetUser,
  oktaListUsers,
  oktaPushGroup,
  oktaReplaceUser,
} from '../../helpers/scim-requests.js';
import { inspect } from '../../helpers/inspect.js';

interface World {
  readonly ctx: TestContext;
  readonly server: RunningServer;
  readonly provider: OidcTestProvider;
  readonly scim: ScimClient;
  readonly orgId: number;
}

/**
 * An organisation in JIT mode inside its term (today: ID tokens carry the real time), one premium
 * and eight standard seats (the primary owner's invitation holds one), signing people in through
 * a real OpenID Provider, and a SCIM client for its identity provider.
 */
async function world(people: readonly string[]): Promise<World> {
  const ctx = await setup(new Date().toISOString());
  const orgId = (
    await createExample(ctx, {
      termStart: new Date().toISOString().slice(0, 10),
      seats: { standard: 8, premium: 1 },
    })
  ).organisation.id;
  await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
  const server = await listen(ctx);
  const { provider } = await startOidcConnection({
    sso: ctx.c.sso,
    organisationId: orgId,
    serverUrls: [server.url],
    accounts: Object.fromEntries(
      people.map((id) => [id, { email: `${id}@acme.example`, email_verified: true, name: `${id} Person` }]),
    ),
  });
  return { ctx, server, provider, orgId, scim: scimClient(server, await scimToken(ctx, orgId)) };
}

async function close(w: World): Promise<void> {
  await w.provider.close();
  await w.server.close();
  await w.ctx.cleanup();
}

/** The person signs in for the first time: the account is created just in time, with a seat. */
async function signIn(w: World, account: string) {
  const { response } = await oidcSignIn(w.provider, `${w.server.url}/sso/start?org=acme`, account);
  assert.equal(response.status, 303, await response.text());
  return await member(w, `${account}@acme.example`);
}

/**
 * An administrator invites the person, whose invitation holds a seat; the person accepts it (the
 * seat pool's step behind the mailed link): a seated member.
 */
async function inviteAndAccept(w: World, email: string, displayName: string) {
  const { member: invited } = await w.ctx.c.members.invite(
    w.orgId,
    { email, displayName, role: 'user' },
    LOWEST,
    OPERATOR,
  );
  await w.ctx.c.seats.acceptInvitation(w.orgId, invited.id, OPERATOR);
  return await member(w, email);
}

/** The one member with this address (there must be exactly one). */
async function member(w: World, email: string) {
  const rows = await w.ctx.c.store.read((q) => q.members.withEmail(w.orgId, email));
  assert.equal(rows.length, 1, `members with the address ${email}`);
  return rows[0]!;
}

/** The audit rows about one member, oldest first. */
async function auditOf(w: World, memberId: number) {
  return (await inspect(w.ctx.c.store).audit(w.orgId)).filter(
    (e) => e.subjectType === 'member' && e.subjectId === String(memberId),
  );
}

describe('A member who signed in just in time, then Okta imports and pushes them', () => {
  let w: World;
  let erin: Awaited<ReturnType<typeof member>>;

  beforeAll(async () => {
    w = await world(['erin']);
  });
  afterAll(() => close(w));

  test("When Erin signs in, then Okta's import lists her with her seat and its userName lookup finds her, and no seat moves", async () => {
    erin = await signIn(w, 'erin');
    assert.deepEqual([erin.source, erin.seatState, erin.tierId], ['jit', 'seated', 'premium']);
    const seats = { standard: { held: 1, seated: 0 }, premium: { held: 1, seated: 1 } };
    await expectSeats(w.ctx, w.orgId, seats, 'after the sign-in');

    const page = await w.scim.send(oktaListUsers());
    expectStatus(page, 200);
    // The primary owner's invitation is still pending: not an account yet, so not listed.
    assert.equal(page.body.totalResults, 1);
    const listed = resourcesOf(page).find((u) => u.id === erin.publicId);
    assert.ok(listed, 'Erin is in the import');
    assert.equal(listed.userName, 'erin@acme.example');
    assert.deepEqual(listed.emails, [{ value: 'erin@acme.example', type: 'work', primary: true }]);
    assert.equal(listed.displayName, 'erin Person');
    assert.deepEqual(listed.name, { formatted: 'erin Person', givenName: 'erin', familyName: 'Person' });
    assert.equal(listed.active, true);
    assert.deepEqual(seatOf(listed), { tier: 'premium', seatState: 'seated', role: 'user' });

    const found = await w.scim.send(oktaFindUser('Erin@ACME.example'));
    expectStatus(found, 200);
    assert.deepEqual(
      resourcesOf(found).map((u) => u.id),
      [erin.publicId],
    );
    const read = await w.scim.send(oktaGetUser(erin.publicId));
    expectStatus(read, 200);
    assert.equal(read.body.userName, 'erin@acme.example');
    await expectSeats(w.ctx, w.orgId, seats, 'after the import');
    assert.ok(!(await auditOf(w, erin.id)).some((e) => e.action === 'member.linked'), 'reading links nobody');
  });

  test('When Okta pushes her (POST), then it links to her: 201 with her id, one member, one seat, audited as linked', async () => {
    const res = await w.scim.send(
      oktaCreateUser('erin@acme.example', { givenName: 'Erin', familyName: 'Example' }),
    );
    expectStatus(res, 201);
    assert.equal(res.body.id, erin.publicId, 'the id the import read stays valid');
    assert.deepEqual(res.body.name, { givenName: 'Erin', familyName: 'Example' });
    assert.equal(typeof res.body.externalId, 'string');
    assert.deepEqual(seatOf(res.body), { tier: 'premium', seatState: 'seated', role: 'user' });

    const linked = await member(w, 'erin@acme.example');
    assert.equal(linked.id, erin.id);
    assert.equal(linked.source, 'jit', 'how she arrived does not change');
    assert.equal(linked.userName, 'erin@acme.example');
    await expectSeats(
      w.ctx,
      w.orgId,
      { standard: { held: 1, seated: 0 }, premium: { held: 1, seated: 1 } },
      'after the push',
    );
    const history = await auditOf(w, erin.id);
    const rows = history.filter((e) => e.action === 'member.linked');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.actorType, 'scim_token');
    assert.deepEqual(rows[0]!.after, {
      userName: 'erin@acme.example',
      externalId: res.body.externalId,
      source: 'jit',
    });
    assert.equal(history.filter((e) => e.action === 'seat.claimed').length, 1, 'one claim: the sign-in');

    const again = await w.scim.send(oktaCreateUser('ERIN@acme.example'));
    expectScimError(again, 409);
    assert.equal(again.body.scimType, 'uniqueness');
  });

  test('When Okta deactivates her, then her seat is released as for any directory user, and she stays listed, inactive', async () => {
    const res = await w.scim.send(oktaDeactivate(erin.publicId));
    assert.ok(res.status === 200 || res.status === 204, `got ${res.status}`);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 } }, 'after the deactivation');
    const found = await w.scim.send(oktaFindUser('erin@acme.example'));
    assert.deepEqual(
      resourcesOf(found).map((u) => [u.id, u.active]),
      [[erin.publicId, false]],
    );
  });
});

describe('Entra and members who arrived before it', () => {
  let w: World;
  let finn: Awaited<ReturnType<typeof member>>;
  const externalId = 'a6b1c2d3-0000-4000-8000-00000000f1nn';

  beforeAll(async () => {
    w = await world(['gail']);
    finn = await inviteAndAccept(w, 'finn@acme.example', 'Finn Field');
  });
  afterAll(() => close(w));

  test('When Entra tests the connection and matches by userName, then it finds the member who accepted an invitation', async () => {
    assert.deepEqual([finn.source, finn.seatState, finn.tierId], ['manual', 'seated', 'standard']);
    expectEmptyList(await w.scim.send(entraTestConnection()));
    for (const [attribute, value] of [
      ['userName', 'finn@acme.example'],
      ['emails[type eq "work"].value', 'FINN@acme.example'],
    ] as const) {
      const res = await w.scim.send(entraFindUser(attribute, value));
      expectStatus(res, 200);
      assert.deepEqual(
        resourcesOf(res).map((u) => u.id),
        [finn.publicId],
        attribute,
      );
      assert.deepEqual(seatOf(resourcesOf(res)[0]!), { tier: 'standard', seatState: 'seated', role: 'user' });
    }
    expectEmptyList(await w.scim.send(entraFindUser('externalId', externalId)));
  });

  test('When Entra updates the matched user (PATCH), then Finn is linked: same id, same seat, its externalId set', async () => {
    const res = await w.scim.send(
      entraPatchUser(finn.publicId, [
        entraReplaceOp('externalId', externalId),
        entraReplaceOp('name.givenName', 'Finn'),
        entraReplaceOp('name.familyName', 'Field'),
      ]),
    );
    assert.ok(res.status === 200 || res.status === 204, `got ${res.status}: ${JSON.stringify(res.body)}`);
    const found = await w.scim.send(entraFindUser('externalId', externalId));
    assert.deepEqual(
      resourcesOf(found).map((u) => u.id),
      [finn.publicId],
    );
    const user = (await w.scim.send(entraGetUser(finn.publicId))).body;
    assert.equal(user.userName, 'finn@acme.example');
    assert.deepEqual(user.emails, [{ value: 'finn@acme.example', type: 'work', primary: true }]);
    // What SCIM showed, patched: the PATCH edits the shown attributes, which are then stored.
    assert.deepEqual(user.name, { formatted: 'Finn Field', givenName: 'Finn', familyName: 'Field' });
    assert.equal((await member(w, 'finn@acme.example')).id, finn.id);
    assert.equal((await auditOf(w, finn.id)).filter((e) => e.action === 'member.linked').length, 1);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 2, seated: 1 } }, 'after the PATCH');
  });

  test("When Entra's userName (the UPN) is not the member's address, then its create links by the work email", async () => {
    const gail = await signIn(w, 'gail');
    await expectSeats(
      w.ctx,
      w.orgId,
      { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } },
      'after the sign-in',
    );
    // Entra matched by userName "g.lee@…" and found nobody, so it creates; the email is Gail's.
    expectEmptyList(await w.scim.send(entraFindUser('userName', 'g.lee@acme.example')));
    const create = entraCreateUser('g.lee@acme.example');
    const body = create.body as Record<string, unknown>;
    body.emails = [{ primary: true, type: 'work', value: 'gail@acme.example' }];
    const res = await w.scim.send(create);
    expectStatus(res, 201);
    assert.equal(res.body.id, gail.publicId);
    assert.equal(res.body.userName, 'g.lee@acme.example');
    assert.deepEqual(seatOf(res.body), { tier: 'premium', seatState: 'seated', role: 'user' });
    assert.equal((await member(w, 'gail@acme.example')).id, gail.id);
    await expectSeats(
      w.ctx,
      w.orgId,
      { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } },
      'after the create',
    );
    // From now on she is shown, and matched, by the userName Entra gave her.
    expectEmptyList(await w.scim.send(entraFindUser('userName', 'gail@acme.example')));
    const found = await w.scim.send(entraFindUser('userName', 'G.Lee@acme.example'));
    assert.deepEqual(
      resourcesOf(found).map((u) => u.id),
      [gail.publicId],
    );
  });

  test('When another user is renamed onto the address a not yet linked member shows as userName, then 409 uniqueness that says so', async () => {
    const kai = await w.scim.send(entraCreateUser('kai@acme.example'));
    expectStatus(kai, 201);
    const current = (await w.scim.send(oktaGetUser(kai.body.id))).body;
    const res = await w.scim.send(oktaReplaceUser(current, { userName: 'owner@acme.example' }));
    expectScimError(res, 409, /address of a member who signed in or was invited/);
    assert.equal(res.body.scimType, 'uniqueness');
    assert.equal((await w.scim.send(oktaGetUser(kai.body.id))).body.userName, 'kai@acme.example');
  });
});

describe('Groups and deletes that name members the directory did not push', () => {
  let w: World;

  beforeAll(async () => {
    w = await world(['hana', 'ivan']);
  });
  afterAll(() => close(w));

  test('When Okta puts an imported member in a pushed group, then the member is linked and in the group, and keeps the seat', async () => {
    const hana = await signIn(w, 'hana');
    const group = await w.scim.send(oktaPushGroup('Staff'));
    expectStatus(group, 201);
    const res = await w.scim.send(oktaAddMember(group.body.id, hana.publicId));
    assert.ok(res.status === 200 || res.status === 204, `got ${res.status}: ${JSON.stringify(res.body)}`);
    const members = (await w.scim.send(getGroupWithMembers(group.body.id))).body.members;
    assert.deepEqual(refValues(members), [hana.publicId]);
    const linked = await member(w, 'hana@acme.example');
    assert.deepEqual(
      [linked.id, linked.userName, linked.seatState],
      [hana.id, 'hana@acme.example', 'seated'],
    );
    assert.equal((await auditOf(w, hana.id)).filter((e) => e.action === 'member.linked').length, 1);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 }, premium: { held: 1, seated: 1 } });
  });

  test('When the provider deletes a member it never pushed, then the seat is released, and pushing the same userName again restores that member', async () => {
    const ivan = await signIn(w, 'ivan');
    assert.equal(ivan.tierId, 'standard');
    await expectSeats(w.ctx, w.orgId, { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } });
    expectStatus(await w.scim.send(deleteUser(ivan.publicId)), 204);
    expectScimError(await w.scim.send(oktaGetUser(ivan.publicId)), 404);
    await expectSeats(w.ctx, w.orgId, { standard: { held: 1, seated: 0 }, premium: { held: 1, seated: 1 } });
    const res = await w.scim.send(oktaCreateUser('ivan@acme.example'));
    expectStatus(res, 201);
    assert.equal(res.body.id, ivan.publicId, 'the member is restored with its history');
    assert.equal(
      (await w.ctx.c.store.read((q) => q.members.withEmail(w.orgId, 'ivan@acme.example'))).length,
      1,
    );
    await expectSeats(w.ctx, w.orgId, { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } });
  });
});

describe('Members who signed in are sorted and paged among pushed users', () => {
  let w: World;

  beforeAll(async () => {
    w = await world(['cleo']);
  });
  afterAll(() => close(w));

  test('When the provider sorts by userName and pages, then a member who signed in takes its place by address, with a stable total', async () => {
    for (const name of ['bea', 'dora']) {
      expectStatus(await w.scim.send(oktaCreateUser(`${name}@acme.example`)), 201);
    }
    const cleo = await signIn(w, 'cleo');
    const page = async (startIndex: number, order = 'ascending') => {
      const res = await w.scim.send({
        method: 'GET',
        path: `/Users?sortBy=userName&sortOrder=${order}&startIndex=${startIndex}&count=2`,
      });
      expectStatus(res, 200);
      assert.equal(res.body.totalResults, 3);
      return resourcesOf(res).map((u) => u.userName as string);
    };
    assert.deepEqual(await page(1), ['bea@acme.example', 'cleo@acme.example']);
    assert.deepEqual(await page(3), ['dora@acme.example']);
    assert.deepEqual(await page(1, 'descending'), ['dora@acme.example', 'cleo@acme.example']);
    const sw = await w.scim.send({
      method: 'GET',
      path: `/Users?filter=${encodeURIComponent('userName sw "C"')}`,
    });
    assert.deepEqual(
      resourcesOf(sw).map((u) => u.id),
      [cleo.publicId],
    );
  });
});
