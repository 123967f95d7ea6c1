// The identity and access routes: provisioning settings, SSO connections (SAML by hand and from
// metadata, OIDC with a write-only secret), SCIM tokens, and group mappings with their
// confirmation rule, through the real app with a real database.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import request from 'supertest';
import { OPERATOR } from '../../../domain/model.js';
import type { Member } from '../../../provisioning/directory.js';
import { apiWorld, problem, type ApiWorld, pointers } from '../../helpers/api.js';
import { createExample } from '../../helpers/fixtures.js';
import { storedState } from '../../helpers/org-state.js';
import { inspect } from '../../helpers/inspect.js';

const CERT = 'MIIC8DCCAdigAwIBAgIQExampleCertificateBodyOnlyForTests0123456789==';
const METADATA = `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
      ${CERT}
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/saml/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;

const OIDC = {
  protocol: 'oidc',
  name: 'Entra',
  issuer: 'https://login.example/tenant/v2.0',
  clientId: 'seatkeeper-console',
  clientSecret: 'very-secret-client-secret-1',
  scopes: ['openid', 'email', 'profile'],
};

interface Connection {
  id: number;
  linkedIdentities: number;
}

describe('admin API: provisioning settings', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an owner opens identity settings, then mode, policy, mappings flag and domains are shown', async () => {
    const res = await w.as.owner.get('/identity');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      provisioningMode: 'invite_only',
      seatExhaustion: 'reject',
      requireSso: false,
      groupMappingsEnabled: false,
      domains: [{ domain: 'acme.example', verified: true, verifiedAt: '2026-03-01T09:00:00.000Z' }],
    });
  });

  test('When an owner changes mode and policy together, then both are stored and audited', async () => {
    const res = await w.as.owner.patch('/identity', { provisioningMode: 'scim', seatExhaustion: 'hold' });
    assert.equal(res.status, 200);
    assert.equal(res.body.provisioningMode, 'scim');
    assert.equal(res.body.seatExhaustion, 'hold');
    const actions = (await inspect(w.c.store).audit(w.organisationId)).map((e) => e.action);
    assert.ok(actions.includes('organisation.provisioning_mode_changed'));
    assert.ok(actions.includes('organisation.seat_exhaustion_changed'));
    assert.equal((await w.as.primary_owner.get('/identity')).body.provisioningMode, 'scim');
  });

  test('When a setting is unknown, mistyped or read-only, then 400 points at it and nothing changes', async () => {
    const stateBefore = await storedState(w);
    for (const [body, expected] of [
      [{ provisioningMode: 'ldap' }, ['/provisioningMode']],
      [{ seatExhaustion: true }, ['/seatExhaustion']],
      [{ provisioningMode: 'jit', domains: ['evil.example'] }, ['/domains']],
      [{ groupMappingsEnabled: true }, ['/groupMappingsEnabled']],
    ] as const) {
      const res = await w.as.owner.patch('/identity', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(pointers(res), expected);
    }
    assert.deepEqual(await storedState(w), stateBefore);
  });

  test('When an admin opens or changes identity settings, then 403 names owner', async () => {
    const stateBefore = await storedState(w);
    for (const res of [
      await w.as.admin.get('/identity'),
      await w.as.admin.patch('/identity', { provisioningMode: 'jit' }),
    ]) {
      assert.equal(res.status, 403);
      assert.equal(problem(res).requiredRole, 'owner');
    }
    assert.deepEqual(await storedState(w), stateBefore);
  });
});

describe('admin API: single sign-on connections', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an owner adds an OIDC connection, then the secret is stored but never returned, listed or audited', async () => {
    const res = await w.as.owner.post('/sso-connections', OIDC);
    assert.equal(res.status, 201);
    assert.equal(res.headers.location, `/api/v1/sso-connections/${res.body.id}`);
    assert.equal(res.body.protocol, 'oidc');
    assert.equal(res.body.enabled, true);
    assert.equal(res.body.clientSecretSet, true);
    assert.deepEqual(res.body.settings.scopes, ['openid', 'email', 'profile']);
    assert.deepEqual(res.body.serviceProvider, { redirectUri: 'http://127.0.0.1/sso/oidc/callback' });
    assert.ok(!res.text.includes(OIDC.clientSecret));

    const list = await w.as.owner.get('/sso-connections');
    assert.equal(list.status, 200);
    assert.equal(list.body.connections.length, 1);
    assert.equal(list.body.connections[0].clientSecretSet, true);
    assert.ok(!list.text.includes(OIDC.clientSecret));
    assert.equal(await w.c.sso.secret(res.body.id), OIDC.clientSecret, 'kept for talking to the provider');

    const patched = await w.as.owner.patch(`/sso-connections/${res.body.id}`, {
      clientSecret: 'rotated-secret-2',
    });
    assert.equal(patched.status, 200);
    assert.ok(!patched.text.includes('rotated-secret-2'));
    assert.equal(await w.c.sso.secret(res.body.id), 'rotated-secret-2');
    const audit = JSON.stringify(await inspect(w.c.store).audit(w.organisationId));
    assert.ok(!audit.includes(OIDC.clientSecret) && !audit.includes('rotated-secret-2'));
    assert.ok(audit.includes('"clientSecretChanged":true'));
  });

  test('When an owner adds a SAML connection by hand, then it is listed with what to give the identity provider', async () => {
    const res = await w.as.owner.post('/sso-connections', {
      protocol: 'saml',
      name: 'Okta',
      idpEntityId: 'http://www.okta.com/exk1',
      idpSsoUrl: 'https://acme.okta.example/app/sso/saml',
      idpCerts: [CERT],
      attributeMap: { email: 'mail', groups: 'memberOf' },
    });
    assert.equal(res.status, 201, res.text);
    const { publicId } = res.body;
    assert.deepEqual(res.body.serviceProvider, {
      entityId: `http://127.0.0.1/sso/saml/${publicId}`,
      metadataUrl: `http://127.0.0.1/sso/saml/${publicId}`,
      acsUrl: `http://127.0.0.1/sso/saml/${publicId}/acs`,
    });
    assert.equal(res.body.clientSecretSet, false);
    assert.deepEqual(res.body.settings.attributeMap, { email: 'mail', groups: 'memberOf' });
    assert.equal(res.body.settings.responseSigned, true);
    const metadata = await request(w.app).get(`/sso/saml/${publicId}`);
    assert.equal(metadata.status, 200, 'the SP metadata the console links to exists');
  });

  test('When an owner imports IdP metadata, then entity id, sign-in URL and certificate come from it', async () => {
    const res = await w.as.owner.post('/sso-connections', {
      protocol: 'saml',
      name: 'From metadata',
      metadata: METADATA,
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.settings.idpEntityId, 'https://idp.example/saml');
    assert.equal(res.body.settings.idpSsoUrl, 'https://idp.example/saml/sso');
    assert.deepEqual(res.body.settings.idpCerts, [CERT]);
  });

  test('When SAML input is incomplete, contradictory or unreadable, then 400 points at the field and nothing is added', async () => {
    const stateBefore = await storedState(w);
    const cases: [unknown, string[]][] = [
      [{ protocol: 'saml', name: 'x', idpEntityId: 'e', idpSsoUrl: 'https://i.example/sso' }, ['/idpCerts']],
      [{ protocol: 'saml', name: 'x', metadata: METADATA, idpEntityId: 'e' }, ['/idpEntityId']],
      [{ protocol: 'saml', name: 'x', metadata: '<not-metadata/>' }, ['/metadata']],
      [{ protocol: 'saml', name: 'x', metadata: '<<<' }, ['/metadata']],
      [{ protocol: 'saml', name: '', metadata: METADATA }, ['/name']],
      [{ protocol: 'saml', name: 'x', metadata: METADATA, clientSecret: 's' }, ['/clientSecret']],
      [{ protocol: 'ldap', name: 'x' }, ['/protocol']],
      [{ ...OIDC, scopes: ['email'] }, ['/scopes']],
      [{ ...OIDC, clientSecret: 42 }, ['/clientSecret']],
      [{ ...OIDC, claimMap: { email: 'upn', role: 'x' } }, ['/claimMap/role']],
    ];
    for (const [body, expected] of cases) {
      const res = await w.as.owner.post('/sso-connections', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(pointers(res), expected, JSON.stringify(body));
      assert.ok(!res.text.includes('very-secret'), 'a refused secret is not echoed');
    }
    const badUrl = await w.as.owner.post('/sso-connections', { ...OIDC, issuer: 'not a url' });
    assert.equal(badUrl.status, 400);
    assert.equal(problem(badUrl).code, 'validation_failed');
    assert.deepEqual(await storedState(w), stateBefore);
  });

  test('When an owner disables a connection, then sign-in cannot start through it and the change is audited as such', async () => {
    const made = (await w.as.owner.post('/sso-connections', { ...OIDC, name: 'Only one' })).body;
    // Every other connection off, so this is the organisation's only way in.
    for (const c of (await w.as.owner.get('/sso-connections')).body.connections as { id: number }[]) {
      if (c.id !== made.id)
        assert.equal((await w.as.owner.patch(`/sso-connections/${c.id}`, { enabled: false })).status, 200);
    }
    assert.equal((await w.c.sso.connectionFor({ slug: 'acme' })).id, made.id);
    const off = await w.as.owner.patch(`/sso-connections/${made.id}`, { enabled: false });
    assert.equal(off.status, 200);
    assert.equal(off.body.enabled, false);
    await assert.rejects(() => w.c.sso.connectionFor({ slug: 'acme' }), /No single sign-on/);
    const last = (await inspect(w.c.store).audit(w.organisationId)).at(-1)!;
    assert.equal(last.action, 'sso_connection.disabled');
    assert.equal(
      (await w.as.owner.patch(`/sso-connections/${made.id}`, { enabled: true })).body.enabled,
      true,
    );
  });

  test('When an owner renames a SAML connection or re-imports its metadata, then the rest of its settings stay', async () => {
    const made = (
      await w.as.owner.post('/sso-connections', {
        protocol: 'saml',
        name: 'Before',
        idpEntityId: 'old',
        idpSsoUrl: 'https://old.example/sso',
        idpCerts: [CERT],
        idpInitiated: true,
      })
    ).body;
    const res = await w.as.owner.patch(`/sso-connections/${made.id}`, { name: 'After', metadata: METADATA });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.name, 'After');
    assert.equal(res.body.settings.idpEntityId, 'https://idp.example/saml');
    assert.equal(res.body.settings.idpInitiated, true);
    const audit = (await inspect(w.c.store).audit(w.organisationId)).at(-1)!;
    assert.equal(audit.action, 'sso_connection.updated');
  });

  test('When a change names another protocol’s setting or empties a required one, then 400 and nothing changes', async () => {
    const saml = (
      await w.as.owner.post('/sso-connections', { protocol: 'saml', name: 'S', metadata: METADATA })
    ).body;
    const stateBefore = await storedState(w);
    const foreign = await w.as.owner.patch(`/sso-connections/${saml.id}`, { issuer: 'https://x.example' });
    assert.equal(foreign.status, 400);
    assert.deepEqual(pointers(foreign), ['/issuer']);
    const emptied = await w.as.owner.patch(`/sso-connections/${saml.id}`, { idpSsoUrl: 'nowhere' });
    assert.equal(emptied.status, 400);
    const unknown = await w.as.owner.patch(`/sso-connections/${saml.id}`, { secret: 'x' });
    assert.deepEqual(pointers(unknown), ['/secret']);
    assert.deepEqual(await storedState(w), stateBefore);
  });

  test('When an owner deletes a connection, then its linked identities go but the member keeps seat and role', async () => {
    const made = (await w.as.owner.post('/sso-connections', { ...OIDC, name: 'Going' })).body;
    await w.c.store.write((q) => q.sso.link(made.id, 'sub-123', w.as.admin.memberId, w.clock.now().toISO()!));
    const listed = (await w.as.owner.get('/sso-connections')).body.connections as Connection[];
    assert.equal(listed.find((c) => c.id === made.id)!.linkedIdentities, 1);

    const res = await w.as.owner.delete(`/sso-connections/${made.id}`);
    assert.equal(res.status, 204);
    const left = (await w.as.owner.get('/sso-connections')).body.connections as Connection[];
    assert.ok(!left.some((c) => c.id === made.id));
    assert.equal(await w.c.store.read((q) => q.sso.linkedMember(made.id, 'sub-123')), undefined);
    const admin = (await inspect(w.c.store).member(w.organisationId, w.as.admin.memberId))!;
    assert.deepEqual([admin.role, admin.seatState], ['admin', 'seated']);
    const audit = (await inspect(w.c.store).audit(w.organisationId)).at(-1)!;
    assert.equal(audit.action, 'sso_connection.deleted');
    assert.deepEqual(audit.after, { unlinkedIdentities: 1 });
    assert.equal((await w.as.owner.delete(`/sso-connections/${made.id}`)).status, 404);
  });

  test('When the connection belongs to another organisation, then 404 and it is untouched', async () => {
    const other = await createExample(w, { slug: 'other' });
    const theirs = await w.c.sso.createConnection(
      other.organisation.id,
      { ...OIDC, protocol: 'oidc' },
      OPERATOR,
    );
    const stateBefore = await storedState(w);
    assert.equal((await w.as.owner.patch(`/sso-connections/${theirs.id}`, { name: 'mine' })).status, 404);
    assert.equal((await w.as.owner.delete(`/sso-connections/${theirs.id}`)).status, 404);
    assert.deepEqual(await storedState(w), stateBefore);
    const ours = (await w.as.owner.get('/sso-connections')).body.connections as Connection[];
    assert.ok(!ours.some((c) => c.id === theirs.id));
  });
});

describe('admin API: SCIM tokens', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  test('When an owner creates a SCIM token, then it is shown once, works for SCIM, and stops when revoked', async () => {
    const made = await w.as.owner.post('/scim-tokens', { name: 'Okta' });
    assert.equal(made.status, 201);
    assert.match(made.body.token, /^skscim_[\w-]{43}$/);
    assert.equal(made.body.scimBaseUrl, 'http://127.0.0.1/scim/v2');
    assert.equal(made.headers.location, `/api/v1/scim-tokens/${made.body.id}`);

    const list = await w.as.owner.get('/scim-tokens');
    assert.equal(list.status, 200);
    assert.equal(list.body.tokens.length, 1);
    assert.equal(list.body.tokens[0].name, 'Okta');
    assert.equal(list.body.tokens[0].tokenHash, undefined);
    assert.ok(!list.text.includes(made.body.token));

    const scim = () => request(w.app).get('/scim/v2/Users').set('authorization', `Bearer ${made.body.token}`);
    assert.equal((await scim()).status, 200);
    assert.equal((await w.as.owner.delete(`/scim-tokens/${made.body.id}`)).status, 204);
    assert.equal((await scim()).status, 401);
    assert.equal((await w.as.owner.delete(`/scim-tokens/${made.body.id}`)).status, 404);
    assert.ok((await w.as.owner.get('/scim-tokens')).body.tokens[0].revokedAt);
  });

  test('When the name is missing, empty or too long, then 400 and no token exists', async () => {
    const stateBefore = await storedState(w);
    for (const body of [{}, { name: '  ' }, { name: 'x'.repeat(101) }, { name: 'ok', role: 'owner' }]) {
      const res = await w.as.owner.post('/scim-tokens', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(pointers(res).length > 0);
    }
    assert.equal((await w.as.owner.delete('/scim-tokens/abc')).status, 400);
    assert.deepEqual(await storedState(w), stateBefore);
  });
});

describe('admin API: group mappings', () => {
  let w: ApiWorld;
  let dana: Member;
  let owner: Member;
  beforeAll(async () => {
    w = await apiWorld();
    const directoryUser = (email: string) =>
      w.c.directory.createUser(
        w.organisationId,
        {
          userName: email,
          externalId: null,
          active: true,
          displayName: null,
          email,
          tier: null,
          resource: {},
        },
        OPERATOR,
      );
    dana = await directoryUser('dana@acme.example');
    // The primary owner, invited by hand, is linked when the directory first sends the address.
    owner = await directoryUser('owner@acme.example');
    assert.equal(owner.role, 'primary_owner');
    await w.c.directory.configureGroupMappings(
      w.organisationId,
      { enabled: true, set: [{ groupName: 'Owners', role: 'owner', tierId: null }] },
      OPERATOR,
    );
    await w.c.directory.createGroup(
      w.organisationId,
      { displayName: 'Owners', externalId: null, members: [dana.publicId] },
      OPERATOR,
    );
    await w.c.directory.createGroup(
      w.organisationId,
      { displayName: 'Staff', externalId: null, members: [owner.publicId] },
      OPERATOR,
    );
    dana = (await inspect(w.c.store).member(w.organisationId, dana.id))!;
    assert.equal(dana.role, 'owner');
  });
  afterAll(() => w.cleanup());

  const OWNERS = { groupName: 'Owners', role: 'owner', tier: null };

  test('When an owner opens group mappings, then whether they are on and every mapping is shown', async () => {
    const res = await w.as.owner.get('/group-mappings');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      enabled: true,
      mappings: [{ groupName: 'owners', role: 'owner', tier: null }],
    });
  });

  test('When a change would demote the owner making it, then 409 confirmation_required lists it and nothing changes', async () => {
    const asDana = await w.signedIn(dana.id);
    const stateBefore = await storedState(w);
    const res = await asDana.put('/group-mappings', {
      enabled: true,
      mappings: [{ groupName: 'Owners', role: 'admin', tier: null }],
    });
    assert.equal(res.status, 409);
    const body = problem(res);
    assert.equal(body.code, 'confirmation_required');
    assert.deepEqual(body.reasons, ['demotes_you']);
    const consequences = body.consequences as { changes: Record<string, unknown>[] };
    assert.deepEqual(consequences.changes, [
      {
        memberId: dana.id,
        email: 'dana@acme.example',
        you: true,
        primaryOwner: false,
        role: { from: 'owner', to: 'admin' },
        seatState: null,
        tier: null,
      },
    ]);
    assert.deepEqual(await storedState(w), stateBefore, 'the measured change was rolled back');

    const confirmed = await asDana.put('/group-mappings', {
      enabled: true,
      mappings: [{ groupName: 'Owners', role: 'admin', tier: null }],
      confirm: true,
    });
    assert.equal(confirmed.status, 200);
    assert.deepEqual(confirmed.body.consequences.reasons, ['demotes_you']);
    assert.equal((await inspect(w.c.store).member(w.organisationId, dana.id))!.role, 'admin');
    const refused = await asDana.get('/group-mappings');
    assert.equal(refused.status, 403, 'now an admin, Dana may no longer see them');
    // Put things back for the next tests, as the operator would.
    await w.c.directory.configureGroupMappings(
      w.organisationId,
      { set: [{ groupName: 'Owners', role: 'owner', tierId: null }] },
      OPERATOR,
    );
  });

  test('When a change concerns the primary owner, then 409 until confirmed, and the primary owner keeps role and seat', async () => {
    const mappings = [OWNERS, { groupName: 'Staff', role: 'user', tier: null }];
    const stateBefore = await storedState(w);
    const res = await w.as.owner.put('/group-mappings', { enabled: true, mappings });
    assert.equal(res.status, 409);
    const body = problem(res);
    assert.deepEqual(body.reasons, ['primary_owner']);
    const primary = (body.consequences as { primaryOwner: Record<string, unknown> }).primaryOwner;
    assert.deepEqual(primary, {
      memberId: owner.id,
      email: 'owner@acme.example',
      mappedBefore: { role: null, tier: null },
      mappedAfter: { role: 'user', tier: null },
    });
    assert.deepEqual(await storedState(w), stateBefore);

    const ok = await w.as.owner.put('/group-mappings', { enabled: true, mappings, confirm: true });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.mappings, [
      { groupName: 'owners', role: 'owner', tier: null },
      { groupName: 'staff', role: 'user', tier: null },
    ]);
    const after = (await inspect(w.c.store).member(w.organisationId, owner.id))!;
    assert.deepEqual([after.role, after.seatState], ['primary_owner', 'seated']);
  });

  test('When a change affects neither the caller nor the primary owner, then it applies at once and reports what it did', async () => {
    const res = await w.as.owner.put('/group-mappings', {
      enabled: true,
      mappings: [
        OWNERS,
        { groupName: 'Staff', role: 'user', tier: null },
        { groupName: 'Contractors', role: 'user', tier: 'standard' },
      ],
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.consequences.reasons, []);
    assert.equal(res.body.mappings.length, 3);
    // PUT replaces the whole list: what is left out is removed.
    const removed = await w.as.owner.put('/group-mappings', {
      enabled: true,
      mappings: [OWNERS, { groupName: 'Staff', role: 'user', tier: null }],
    });
    assert.equal(removed.status, 200);
    assert.deepEqual(
      (removed.body.mappings as { groupName: string }[]).map((m) => m.groupName),
      ['owners', 'staff'],
    );
  });

  test('When mappings are malformed, then 400 points at each problem and nothing changes', async () => {
    const stateBefore = await storedState(w);
    const cases: [unknown, string[]][] = [
      [{ enabled: true, mappings: [{ groupName: 'A', role: null, tier: null }] }, ['/mappings/0']],
      [
        { enabled: true, mappings: [{ groupName: 'A', role: 'primary_owner', tier: null }] },
        ['/mappings/0/role'],
      ],
      [{ enabled: true, mappings: [OWNERS, { ...OWNERS, groupName: 'OWNERS' }] }, ['/mappings/1/groupName']],
      [{ enabled: 'yes', mappings: [] }, ['/enabled']],
      [{ mappings: [] }, ['/enabled']],
      [{ enabled: true, mappings: [], force: true }, ['/force']],
    ];
    for (const [body, expected] of cases) {
      const res = await w.as.owner.put('/group-mappings', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(pointers(res), expected, JSON.stringify(body));
    }
    const unknownTier = await w.as.owner.put('/group-mappings', {
      enabled: true,
      mappings: [{ groupName: 'A', role: null, tier: 'gold' }],
    });
    assert.equal(unknownTier.status, 400);
    assert.equal(problem(unknownTier).code, 'unknown_tier');
    assert.deepEqual(await storedState(w), stateBefore);
  });
});
