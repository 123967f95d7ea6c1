// The outbound guard against real servers on 127.0.0.1 and 127.0.0.2: refused without the
// allow-list and reached with it, by address and by a host name that resolves to loopback; a
// redirect from an allowed receiver to a refused one is not followed; an IPv4-mapped IPv6 literal is
// refused; the connection goes to the address that was checked. Then the same rules where owners
// meet them: adding a webhook endpoint or an OIDC connection (problem JSON, nothing stored), a
// delivery (refused, logged, never sent), and a sign-in whose provider is refused (the SSO error page).
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import assert from '../../helpers/assert.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../../domain/clock.js';
import { OutboundRefusedError } from '../../../domain/errors.js';
import { OPERATOR } from '../../../domain/model.js';
import { createOutboundGuard } from '../../../net/outbound.js';
import { ssoErrorStatus } from '../../../sso/error-page.js';
import { SsoError } from '../../../sso/errors.js';
import { discover, forgetOidcConnection } from '../../../sso/oidc.js';
import { apiWorld, problem } from '../../helpers/api.js';
import { createExample, listen, setup } from '../../helpers/fixtures.js';
import { startOidcProvider, type OidcTestProvider } from '../../helpers/oidc-provider.js';

interface Receiver {
  readonly port: number;
  readonly url: string;
  readonly hits: string[];
  close(): Promise<void>;
}

async function receiver(
  host: string,
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok'),
): Promise<Receiver> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url} host=${req.headers.host}`);
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host}:${port}/hook`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function refused(promise: Promise<unknown>, reason: string): Promise<OutboundRefusedError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return error instanceof OutboundRefusedError && error.reason === reason;
  });
  return caught as OutboundRefusedError;
}

describe('Outbound guard against real receivers', () => {
  let allowed: Receiver;
  let other: Receiver;
  beforeAll(async () => {
    allowed = await receiver('127.0.0.1');
    other = await receiver('127.0.0.2');
  });
  afterAll(async () => {
    await Promise.all([allowed.close(), other.close()]);
  });

  test('When a receiver is on 127.0.0.1, then it is refused without the allow-list and reached with it', async () => {
    const strict = createOutboundGuard({ allowlist: [] });
    const error = await refused(strict.fetch(allowed.url, { method: 'POST', body: '{}' }), 'loopback');
    assert.match(error.message, /"127\.0\.0\.1" are refused: it is a loopback address/);
    assert.equal(allowed.hits.length, 0, 'nothing was sent');

    const lenient = createOutboundGuard({ allowlist: ['127.0.0.1'] });
    const res = await lenient.fetch(allowed.url, { method: 'POST', body: '{}' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
    assert.deepEqual(allowed.hits, [`POST /hook host=127.0.0.1:${allowed.port}`]);
    allowed.hits.length = 0;

    const ranged = createOutboundGuard({ allowlist: ['127.0.0.0/30'] });
    assert.equal((await ranged.fetch(allowed.url)).status, 200, 'a CIDR range allows it too');
    allowed.hits.length = 0;
  });

  test('When a host name resolves to loopback, then it is refused without the allow-list and reached when the name is allowed', async () => {
    const url = `http://localhost:${allowed.port}/hook`;
    const error = await refused(createOutboundGuard({ allowlist: [] }).fetch(url), 'loopback');
    assert.match(error.message, /"localhost" are refused: it resolves to a loopback address/);
    assert.equal(allowed.hits.length, 0);

    const res = await createOutboundGuard({ allowlist: ['localhost'] }).fetch(url);
    assert.equal(res.status, 200);
    assert.deepEqual(
      allowed.hits,
      [`GET /hook host=localhost:${allowed.port}`],
      'the Host header is the name',
    );
    allowed.hits.length = 0;
  });

  test('When an allowed receiver redirects to a refused one, then the redirect is not followed', async () => {
    const redirecting = await receiver('127.0.0.1', (_req, res) => {
      res.writeHead(307, { location: other.url }).end();
    });
    try {
      const guard = createOutboundGuard({ allowlist: ['127.0.0.1'] });
      const res = await guard.fetch(redirecting.url, { method: 'POST', body: 'signed', redirect: 'follow' });
      assert.equal(res.status, 307, 'the 3xx comes back as it is');
      assert.equal(res.headers.get('location'), other.url);
      assert.equal(redirecting.hits.length, 1);
      assert.equal(other.hits.length, 0, 'the refused receiver heard nothing');
      await refused(guard.fetch(other.url), 'loopback');
    } finally {
      await redirecting.close();
    }
  });

  test('When an answer is larger than the limit, then it fails as a network failure: at once by its Content-Length, else while it is read', async () => {
    const limit = 10_000;
    const guard = createOutboundGuard({ allowlist: ['127.0.0.1'], maxResponseBytes: limit });
    const tooLarge = (error: unknown) =>
      error instanceof TypeError &&
      (error.cause as { code?: unknown } | undefined)?.code === 'ERESPONSETOOLARGE';

    const declared = await receiver('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'content-length': String(limit + 1) }).end('x'.repeat(limit + 1));
    });
    // No Content-Length: chunks that never end, until the connection is closed.
    let closedEarly = false;
    const endless = await receiver('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'y'.repeat(4096);
      const timer = setInterval(() => res.write(chunk), 1);
      res.on('close', () => {
        clearInterval(timer);
        closedEarly = !res.writableEnded;
      });
    });
    const exact = await receiver('127.0.0.1', (_req, res) => {
      res.write('z'.repeat(limit - 1));
      res.end('z');
    });
    try {
      await assert.rejects(guard.fetch(declared.url), tooLarge);

      const res = await guard.fetch(endless.url);
      assert.equal(res.status, 200, 'the status and headers come back');
      await assert.rejects(res.arrayBuffer(), tooLarge);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(closedEarly, true, 'the connection was closed: nothing more is read');

      const body = await (await guard.fetch(exact.url)).text();
      assert.equal(body.length, limit, 'an answer of exactly the limit is read whole');
    } finally {
      await Promise.all([declared.close(), endless.close(), exact.close()]);
    }
  });

  test('When the URL is an IPv4-mapped IPv6 literal of loopback, then it is refused', async () => {
    const guard = createOutboundGuard({ allowlist: [] });
    await refused(guard.fetch(`http://[::ffff:127.0.0.1]:${allowed.port}/hook`), 'loopback');
    await refused(guard.fetch(`http://[::ffff:7f00:2]:${other.port}/hook`), 'loopback');
    await refused(guard.fetch('http://[::ffff:169.254.169.254]/latest/meta-data/'), 'link_local');
    await refused(guard.fetch('http://[::1]:9/'), 'loopback');
    assert.equal(allowed.hits.length + other.hits.length, 0);
  });

  test('When a name resolves elsewhere after the check (DNS rebinding), then the connection still goes to the address checked', async () => {
    let lookups = 0;
    const guard = createOutboundGuard({
      allowlist: ['127.0.0.1'],
      // First answer: an allowed address. Any later one: a refused address with a listener on it.
      resolve: () => Promise.resolve([{ address: lookups++ === 0 ? '127.0.0.1' : '127.0.0.2', family: 4 }]),
    });
    const res = await guard.fetch(`http://rebind.test:${allowed.port}/hook`);
    assert.equal(res.status, 200);
    assert.equal(lookups, 1, 'resolved once, for the check');
    assert.deepEqual(allowed.hits, [`GET /hook host=rebind.test:${allowed.port}`]);
    assert.equal(other.hits.length, 0);
    allowed.hits.length = 0;

    // Had it resolved to both, one refused address refuses the name: the connection could go there.
    const mixed = createOutboundGuard({
      allowlist: ['127.0.0.1'],
      resolve: () =>
        Promise.resolve([
          { address: '127.0.0.1', family: 4 },
          { address: '10.0.0.7', family: 4 },
        ]),
    });
    await refused(mixed.fetch(`http://mixed.test:${allowed.port}/hook`), 'private');
    assert.equal(allowed.hits.length, 0);
  });

  test('When a URL is not http(s), then it is refused; a host that does not resolve passes the configuration check', async () => {
    const guard = createOutboundGuard({ allowlist: [] });
    await refused(guard.check('ftp://files.example/x'), 'not_http');
    await guard.check('https://hooks.invalid/x');
    await refused(guard.check('https://169.254.169.254/latest'), 'link_local');
  });
});

describe('Outbound guard where owners meet it', () => {
  let hook: Receiver;
  let op: OidcTestProvider;
  beforeAll(async () => {
    hook = await receiver('127.0.0.1');
    op = await startOidcProvider({
      accounts: { ada: { email: 'ada@acme.example', email_verified: true } },
      clients: [
        { client_id: 'seatkeeper', client_secret: 'op-secret', redirect_uris: ['http://127.0.0.1:9/cb'] },
      ],
    });
  });
  afterAll(async () => {
    await Promise.all([hook.close(), op.close()]);
  });

  test('When an owner adds a webhook endpoint at a loopback, link-local or private address, then it is refused as problem JSON naming the reason and nothing is stored', async () => {
    const t = perTest();
    const w = await apiWorld('2026-03-01T09:00:00Z', {
      webhooks: { allowHttp: true, pollIntervalSeconds: 0 },
      outbound: { allowlist: [] },
    });
    t.after(() => w.cleanup());
    const cases: [string, string][] = [
      [hook.url, 'loopback'],
      [`http://localhost:${hook.port}/hook`, 'loopback'],
      ['http://169.254.169.254/latest/meta-data/', 'link_local'],
      ['https://10.20.30.40/hook', 'private'],
      ['https://[::ffff:127.0.0.1]/hook', 'loopback'],
      ['https://[fd12::1]/hook', 'unique_local'],
    ];
    for (const [url, reason] of cases) {
      const res = await w.as.owner.post('/webhooks', { url, events: ['*'] });
      assert.equal(res.status, 400, `${url}: ${res.text}`);
      const body = problem(res);
      assert.equal(body.code, 'outbound_refused');
      assert.equal(body['reason'], reason, url);
      assert.match(String(body.detail), /OUTBOUND_ALLOWLIST/);
    }
    assert.deepEqual((await w.as.owner.get('/webhooks')).body.endpoints, [], 'nothing stored');

    // A public name is accepted; changing it to a refused one is refused as well.
    const made = await w.as.owner.post('/webhooks', { url: 'https://hooks.invalid/x', events: ['*'] });
    assert.equal(made.status, 201, made.text);
    const changed = await w.as.owner.patch(`/webhooks/${made.body.id}`, { url: hook.url });
    assert.equal(problem(changed).code, 'outbound_refused');
    assert.equal((await w.as.owner.get(`/webhooks/${made.body.id}`)).body.url, 'https://hooks.invalid/x');
  });

  test('When the allow-list names the receiver, then the same endpoint is accepted and delivered to', async () => {
    const t = perTest();
    const w = await apiWorld('2026-03-01T09:00:00Z', {
      webhooks: { allowHttp: true, pollIntervalSeconds: 0 },
      outbound: { allowlist: ['127.0.0.1'] },
    });
    t.after(() => w.cleanup());
    const made = await w.as.owner.post('/webhooks', { url: hook.url, events: ['*'] });
    assert.equal(made.status, 201, made.text);
    hook.hits.length = 0;
    await w.as.admin.post('/invitations', { email: 'nina@acme.example', role: 'user' });
    const run = await w.c.webhookWorker.runOnce();
    assert.ok(run.delivered > 0);
    assert.equal(hook.hits.length, run.delivered);
  });

  test('When an endpoint stored earlier points at a refused address, then each delivery is refused, logged and never sent', async () => {
    const t = perTest();
    const w = await apiWorld('2026-03-01T09:00:00Z', {
      webhooks: { allowHttp: true, pollIntervalSeconds: 0 },
      outbound: { allowlist: [] },
    });
    t.after(() => w.cleanup());
    // As an earlier release (without the check) stored it.
    const id = await w.c.store.write((q) =>
      q.webhooks.insertEndpoint({
        organisationId: w.organisationId,
        url: hook.url,
        description: '',
        events: ['*'],
        secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0',
        at: '2026-03-01T09:00:00Z',
      }),
    );
    hook.hits.length = 0;
    await w.as.admin.post('/invitations', { email: 'nina@acme.example', role: 'user' });
    const run = await w.c.webhookWorker.runOnce();
    assert.equal(run.delivered, 0);
    assert.ok(run.retried > 0);
    assert.equal(hook.hits.length, 0, 'the receiver heard nothing');
    const log = await w.as.owner.get(`/webhooks/${id}/deliveries`);
    const tried = (log.body.deliveries as { lastError: string | null }[]).filter((d) => d.lastError);
    assert.ok(tried.length > 0);
    const lastError = String(tried[0]!.lastError);
    assert.match(lastError, /^refused: Requests to "127\.0\.0\.1" are refused: it is a loopback address/);
  });

  test('When OIDC discovery goes to a refused host, then it fails with its own code and nothing is cached', async () => {
    const config = {
      connectionId: 9001,
      issuer: op.issuer,
      clientId: 'seatkeeper',
      clientSecret: 'op-secret',
      redirectUri: 'http://127.0.0.1:9/cb',
      scopes: ['email'],
      claimMap: {},
      allowInsecureHttp: true,
    };
    await assert.rejects(discover(config, { clock: systemClock }), (error: unknown) => {
      assert.ok(error instanceof SsoError);
      assert.equal(error.code, 'oidc_provider_refused');
      assert.equal(ssoErrorStatus(error), 502);
      return true;
    });
    const allowedFetch = createOutboundGuard({ allowlist: ['127.0.0.1'] }).fetch;
    const found = await discover(config, { clock: systemClock, fetch: allowedFetch });
    assert.equal(found.serverMetadata().issuer, op.issuer, 'the refusal was not cached');
    forgetOidcConnection(9001);
  });

  test('When an owner adds an OIDC connection whose issuer is refused, then the API answers problem JSON and stores nothing; a sign-in through one stored earlier shows the SSO error page', async () => {
    const t = perTest();
    const ctx = await setup(new Date().toISOString(), { outbound: { allowlist: [] } });
    t.after(() => ctx.cleanup());
    const { organisation } = await createExample(ctx, { termStart: new Date().toISOString().slice(0, 10) });
    const w = await apiWorld(new Date().toISOString(), { outbound: { allowlist: [] } });
    t.after(() => w.cleanup());
    const res = await w.as.owner.post('/sso-connections', {
      protocol: 'oidc',
      name: 'Local',
      issuer: op.issuer,
      clientId: 'seatkeeper',
      clientSecret: 'op-secret',
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(problem(res).code, 'outbound_refused');
    assert.equal(problem(res)['reason'], 'loopback');
    assert.deepEqual((await w.as.owner.get('/sso-connections')).body.connections, []);

    // The operator's command line does not check; the sign-in does.
    await ctx.c.sso.createConnection(
      organisation.id,
      {
        protocol: 'oidc',
        name: 'Local',
        issuer: op.issuer,
        clientId: 'seatkeeper',
        clientSecret: 'op-secret',
      },
      OPERATOR,
    );
    await ctx.c.directory.setProvisioningMode(organisation.id, 'jit', OPERATOR);
    const server = await listen(ctx);
    t.after(() => server.close());
    const page = await fetch(`${server.url}/sso/start?org=acme`, { redirect: 'manual' });
    assert.equal(page.status, 502);
    assert.match(await page.text(), /at an address this service does not call/);
  });
});
