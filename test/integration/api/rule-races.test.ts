// Rules that read the state and then write, met by requests that arrive at once. On SQLite write
// transactions take turns; on PostgreSQL each request has its own connection and, without the
// organisation's lock (or a conditional write, or a unique index), two can read the same state and
// both act on it. Each test fires the competing requests together through the real server.
import assert from '../../helpers/assert.js';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import request from 'supertest';
import { API_PATH } from '../../../api/router.js';
import { OPERATOR } from '../../../domain/model.js';
import { DateTime } from 'luxon';
import { SIGN_IN_LINKS_PER_WINDOW } from '../../../provisioning/console-sign-in.js';
import { issueSeatRequestTicket, SIGN_IN_REQUESTS_PER_HOUR } from '../../../provisioning/seat-requests.js';
import { MAX_WEBHOOK_ENDPOINTS } from '../../../webhooks/endpoints.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { outbox } from '../../helpers/people.js';

const NOW = '2026-03-01T09:00:00.000Z';

async function addConnection(w: ApiWorld, name: string) {
  return await w.c.sso.createConnection(
    w.organisationId,
    {
      protocol: 'oidc',
      name,
      issuer: `https://idp.acme.example/${encodeURIComponent(name)}`,
      clientId: 'seatkeeper',
      clientSecret: 'client-secret-for-tests',
    },
    OPERATOR,
  );
}

describe('rules that hold when the requests that meet them arrive at once', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW, { webhooks: { allowHttp: true, pollIntervalSeconds: 0 } });
  });
  afterEach(() => w.cleanup());

  test('When SSO is required and owners turn off its two enabled connections at once, then one stays enabled', async () => {
    const a = await addConnection(w, 'IdP A');
    const b = await addConnection(w, 'IdP B');
    assert.equal((await w.as.owner.patch('/identity', { requireSso: true })).status, 200);
    const answers = await Promise.all([
      w.as.owner.patch(`/sso-connections/${a.id}`, { enabled: false }),
      w.as.primary_owner.patch(`/sso-connections/${b.id}`, { enabled: false }),
    ]);
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 409], answers.map((r) => r.text).join('\n'));
    assert.equal(problem(answers.find((r) => r.status === 409)!).code, 'sso_required_in_use');
    const enabled = (await w.c.sso.connections(w.organisationId)).filter((c) => c.enabled);
    assert.equal(enabled.length, 1);
  });

  test('When SSO is required and owners delete its two enabled connections at once, then one stays', async () => {
    const a = await addConnection(w, 'IdP A');
    const b = await addConnection(w, 'IdP B');
    assert.equal((await w.as.owner.patch('/identity', { requireSso: true })).status, 200);
    const answers = await Promise.all([
      w.as.owner.delete(`/sso-connections/${a.id}`),
      w.as.primary_owner.delete(`/sso-connections/${b.id}`),
    ]);
    const statuses = answers.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 409).length, 1, answers.map((r) => r.text).join('\n'));
    assert.equal((await w.c.sso.connections(w.organisationId)).filter((c) => c.enabled).length, 1);
  });

  test('When one owner requires SSO while another turns off its only connection, then SSO is never required without an enabled connection', async () => {
    for (let round = 0; round < 5; round++) {
      const connection = await addConnection(w, `IdP ${round}`);
      const [required, off] = await Promise.all([
        w.as.owner.patch('/identity', { requireSso: true }),
        w.as.primary_owner.patch(`/sso-connections/${connection.id}`, { enabled: false }),
      ]);
      const settings = (await w.as.owner.get('/identity')).body as { requireSso: boolean };
      const enabled = (await w.c.sso.connections(w.organisationId)).filter((c) => c.enabled).length;
      assert.ok(
        !settings.requireSso || enabled > 0,
        `round ${round}: required ${required.status}, off ${off.status}: SSO required with no enabled connection`,
      );
      if (settings.requireSso) {
        assert.equal((await w.as.owner.patch('/identity', { requireSso: false })).status, 200);
      }
      await w.c.sso.updateConnection(w.organisationId, connection.id, { enabled: false }, OPERATOR);
    }
  });

  test('When an owner adds more webhook endpoints than the cap allows all at once, then exactly the cap is made', async () => {
    const answers = await Promise.all(
      Array.from({ length: MAX_WEBHOOK_ENDPOINTS + 5 }, (_, i) =>
        w.as.owner.post('/webhooks', { url: `http://127.0.0.1:9/hook-${i}`, events: ['*'] }),
      ),
    );
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, MAX_WEBHOOK_ENDPOINTS, statuses.join(' '));
    for (const refused of answers.filter((r) => r.status !== 201)) {
      assert.equal(problem(refused).code, 'too_many_endpoints', refused.text);
    }
    assert.equal((await w.as.owner.get('/webhooks')).body.endpoints.length, MAX_WEBHOOK_ENDPOINTS);
  });

  test('When a member asks for many sign-in links at once, then at most the window allows are mailed', async () => {
    const answers = await Promise.all(
      Array.from({ length: SIGN_IN_LINKS_PER_WINDOW + 7 }, () =>
        request(w.app)
          .post(`${API_PATH}/sign-in-links`)
          .send({ organisation: 'acme', email: 'user@acme.example' }),
      ),
    );
    for (const answer of answers) assert.equal(answer.status, 202, answer.text);
    const mailed = (await outbox(w)).filter(
      (m) => m.kind === 'sign_in_link' && m.recipient === 'user@acme.example',
    );
    assert.equal(mailed.length, SIGN_IN_LINKS_PER_WINDOW);
  });

  test('When more people refused at sign-in ask for a seat at once than an hour allows, then exactly the hourly cap of requests is made', async () => {
    const connection = await addConnection(w, 'IdP');
    const at = DateTime.fromISO(NOW, { zone: 'utc' });
    const count = SIGN_IN_REQUESTS_PER_HOUR + 5;
    const tickets = await w.c.store.write(async (q) => {
      const made: string[] = [];
      for (let i = 0; i < count; i++) {
        const identity = {
          email: `refused${i}@acme.example`,
          displayName: null,
          connectionId: connection.id,
        };
        made.push(await issueSeatRequestTicket(q, identity, w.organisationId, at));
      }
      return made;
    });
    const answers = await Promise.all(
      tickets.map((token) => request(w.app).post(`${API_PATH}/seat-requests/from-sign-in`).send({ token })),
    );
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, SIGN_IN_REQUESTS_PER_HOUR, statuses.join(' '));
    for (const refused of answers.filter((r) => r.status !== 201)) {
      assert.equal(problem(refused).code, 'too_many_requests', refused.text);
    }
  });

  test('When two owners replace the group mappings at once, then the list is one of the two, never a mix', async () => {
    const put = (mappings: { groupName: string; role: string; tier: null }[]) =>
      w.as.owner.put('/group-mappings', { enabled: false, mappings });
    assert.equal((await put([{ groupName: 'old', role: 'user', tier: null }])).status, 200);
    for (let round = 0; round < 5; round++) {
      const a = [{ groupName: `a${round}`, role: 'user', tier: null }];
      const b = [{ groupName: `b${round}`, role: 'admin', tier: null }];
      const answers = await Promise.all([put(a), put(b)]);
      for (const answer of answers) assert.equal(answer.status, 200, answer.text);
      const names = (
        (await w.as.owner.get('/group-mappings')).body as { mappings: { groupName: string }[] }
      ).mappings
        .map((m) => m.groupName)
        .sort();
      assert.ok(
        JSON.stringify(names) === JSON.stringify([`a${round}`]) ||
          JSON.stringify(names) === JSON.stringify([`b${round}`]),
        `round ${round}: ${names.join(', ')}`,
      );
    }
  });

  test('When two admins invite the same new address at once, then one member is made and the other is 409 member_exists', async () => {
    for (let round = 0; round < 3; round++) {
      const email = `twice${round}@acme.example`;
      const answers = await Promise.all([
        w.as.admin.post('/invitations', { email, role: 'user' }),
        w.as.owner.post('/invitations', { email, role: 'user' }),
      ]);
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 409], answers.map((r) => r.text).join('\n'));
      assert.equal(problem(answers.find((r) => r.status === 409)!).code, 'member_exists');
      const rows = await w.c.store.read((q) => q.members.withEmail(w.organisationId, email));
      assert.equal(rows.length, 1, `round ${round}: ${rows.length} member rows`);
    }
  });
});
