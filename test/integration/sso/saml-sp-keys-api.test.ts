// The admin API for a SAML connection's service provider side: its metadata and keys, key
// rotation (add a next key, promote it), and the encryption and request-signing options, through
// the real app with a real database. Only owners; audited; a private key never leaves the server.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { DOMParser } from '@xmldom/xmldom';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { readStored } from '../../helpers/stored-rows.js';

const CERT = 'MIIC8DCCAdigAwIBAgIQExampleCertificateBodyOnlyForTests0123456789==';
const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';

interface SpKeyView {
  id: number;
  status: 'current' | 'next' | 'previous';
  certificate: string;
  fingerprint: string;
  retireAt: string | null;
  published: boolean;
}
interface ServiceProviderView {
  entityId: string;
  acsUrl: string;
  signAuthnRequests: boolean;
  requireEncryptedAssertions: boolean;
  metadata: string;
  keys: SpKeyView[];
}

const certificatesIn = (xml: string, use: string) =>
  Array.from(new DOMParser().parseFromString(xml, 'text/xml').getElementsByTagNameNS(MD, 'KeyDescriptor'))
    .filter((kd) => kd.getAttribute('use') === use)
    .map((kd) => (kd.textContent ?? '').replace(/\s+/g, ''));
const body = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');

describe('SAML service provider keys through the admin API', () => {
  let w: ApiWorld;
  let connectionId: number;
  const path = () => `/sso-connections/${connectionId}/service-provider`;

  beforeAll(async () => {
    w = await apiWorld();
    const made = await w.as.owner.post('/sso-connections', {
      protocol: 'saml',
      name: 'Okta',
      idpEntityId: 'https://idp.example/saml',
      idpSsoUrl: 'https://idp.example/saml/sso',
      idpCerts: [CERT],
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    connectionId = made.body.id as number;
  });
  afterAll(() => w.cleanup());

  test('When a SAML connection is created, then it has a current key whose certificate the metadata publishes for signing and encryption; no private key is ever returned', async () => {
    const keys = await w.c.store.read((q) => q.samlSpKeys.keys(connectionId));
    assert.deepEqual(
      keys.map((k) => k.status),
      ['current'],
      'made with the connection',
    );
    const res = await w.as.owner.get(path());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const sp = res.body as ServiceProviderView;
    assert.equal(sp.acsUrl, `${sp.entityId}/acs`);
    assert.equal(sp.signAuthnRequests, false);
    assert.equal(sp.requireEncryptedAssertions, false);
    assert.equal(sp.keys.length, 1);
    assert.equal(sp.keys[0]!.status, 'current');
    assert.match(sp.keys[0]!.fingerprint, /^[0-9a-f]{64}$/);
    assert.deepEqual(certificatesIn(sp.metadata, 'encryption'), [body(sp.keys[0]!.certificate)]);
    assert.deepEqual(certificatesIn(sp.metadata, 'signing'), [body(sp.keys[0]!.certificate)]);
    assert.doesNotMatch(JSON.stringify(res.body), /PRIVATE KEY/);
    // Sealed at rest: the stored value is not the PEM.
    const stored = (await readStored(w, (db) => db.all('SELECT private_key FROM saml_sp_keys'))) as {
      private_key: string;
    }[];
    assert.ok(stored.length > 0);
    assert.ok(stored.every((r) => r.private_key.startsWith('v1:') && !r.private_key.includes('PRIVATE KEY')));
  });

  test('When an admin or a user asks, then 403; an OIDC connection or another organisation’s id is 404', async () => {
    assert.equal((await w.as.admin.get(path())).status, 403);
    assert.equal((await w.as.user.post(`${path()}/keys`)).status, 403);
    assert.equal((await w.as.admin.post(`${path()}/keys/promote`, {})).status, 403);
    const oidc = await w.as.owner.post('/sso-connections', {
      protocol: 'oidc',
      name: 'Entra',
      issuer: 'https://login.example/tenant/v2.0',
      clientId: 'seatkeeper',
      clientSecret: 'very-secret-client-secret-1',
    });
    assert.equal(oidc.status, 201, JSON.stringify(oidc.body));
    assert.equal((await w.as.owner.get(`/sso-connections/${oidc.body.id}/service-provider`)).status, 404);
    assert.equal((await w.as.owner.post(`/sso-connections/999999/service-provider/keys`)).status, 404);
  });

  test('When an owner rotates the key, then a next key is published beside the current one; promoting it leaves the old one decrypting until the overlap ends; both audited', async () => {
    const noNext = await w.as.owner.post(`${path()}/keys/promote`, {});
    assert.equal(noNext.status, 409);
    assert.equal(problem(noNext).code, 'sp_key_no_next');

    const added = await w.as.owner.post(`${path()}/keys`);
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const during = added.body as ServiceProviderView;
    assert.deepEqual(
      during.keys.map((k) => [k.status, k.published]),
      [
        ['current', true],
        ['next', true],
      ],
    );
    assert.deepEqual(
      certificatesIn(during.metadata, 'encryption'),
      during.keys.map((k) => body(k.certificate)),
    );
    const again = await w.as.owner.post(`${path()}/keys`);
    assert.equal(again.status, 409);
    assert.equal(problem(again).code, 'sp_key_rotation_pending');

    const bad = await w.as.owner.post(`${path()}/keys/promote`, { overlapHours: -1 });
    assert.equal(bad.status, 400);

    const promoted = await w.as.owner.post(`${path()}/keys/promote`, { overlapHours: 2 });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    const after = promoted.body as ServiceProviderView;
    const next = during.keys.find((k) => k.status === 'next')!;
    const old = during.keys.find((k) => k.status === 'current')!;
    assert.equal(after.keys.find((k) => k.status === 'current')?.id, next.id);
    const previous = after.keys.find((k) => k.status === 'previous')!;
    assert.equal(previous.id, old.id);
    assert.equal(previous.published, false);
    assert.equal(Date.parse(previous.retireAt!) - Date.parse(w.clock.now().toISO()!), 2 * 3_600_000);
    assert.deepEqual(certificatesIn(after.metadata, 'encryption'), [body(next.certificate)]);
    assert.equal(
      (await w.c.sso.decryptionKeys(connectionId)).length,
      2,
      'the old key decrypts during the overlap',
    );
    w.clock.advance({ hours: 2 });
    assert.equal((await w.c.sso.decryptionKeys(connectionId)).length, 1, 'and not after it');

    const audit = await w.as.owner.get('/audit');
    const actions = (audit.body.entries as { action: string }[]).map((e) => e.action);
    assert.ok(actions.includes('sso_connection.sp_key_added'), actions.join());
    assert.ok(actions.includes('sso_connection.sp_key_promoted'), actions.join());
    assert.doesNotMatch(JSON.stringify(audit.body), /PRIVATE KEY/);
  });

  test('When an owner turns on signed requests and required encryption, then the metadata says AuthnRequestsSigned="true" and the view shows both', async () => {
    const patched = await w.as.owner.patch(`/sso-connections/${connectionId}`, {
      signAuthnRequests: true,
      requireEncryptedAssertions: true,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.settings.signAuthnRequests, true);
    const sp = (await w.as.owner.get(path())).body as ServiceProviderView;
    assert.equal(sp.signAuthnRequests, true);
    assert.equal(sp.requireEncryptedAssertions, true);
    const descriptor = new DOMParser()
      .parseFromString(sp.metadata, 'text/xml')
      .getElementsByTagNameNS(MD, 'SPSSODescriptor')[0]!;
    assert.equal(descriptor.getAttribute('AuthnRequestsSigned'), 'true');
    const wrong = await w.as.owner.patch(`/sso-connections/${connectionId}`, { signAuthnRequests: 'yes' });
    assert.equal(wrong.status, 400);
  });

  test('When a SAML connection with keys is deleted, then its keys go with it', async () => {
    const made = await w.as.owner.post('/sso-connections', {
      protocol: 'saml',
      name: 'Short-lived',
      idpEntityId: 'https://idp.example/other',
      idpSsoUrl: 'https://idp.example/other/sso',
      idpCerts: [CERT],
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.id as number;
    assert.equal((await w.as.owner.post(`/sso-connections/${id}/service-provider/keys`)).status, 201);
    assert.equal((await w.c.store.read((q) => q.samlSpKeys.keys(id))).length, 2);
    assert.equal((await w.as.owner.delete(`/sso-connections/${id}`)).status, 204);
    assert.deepEqual(await w.c.store.read((q) => q.samlSpKeys.keys(id)), []);
    assert.equal((await w.as.owner.get(`/sso-connections/${id}/service-provider`)).status, 404);
  });
});
