// The SAML verifier pool: real worker threads verifying real responses from a samlify IdP. The
// verdicts must be the calling thread's, and the pool must wait, refuse, fail and stop cleanly:
// never hang a sign-in, never keep a process alive.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { spawnSync } from 'node:child_process';
import { DateTime } from 'luxon';
import { FixedClock } from '../../../domain/clock.js';
import { ssoErrorStatus } from '../../../sso/error-page.js';
import { SsoError } from '../../../sso/errors.js';
import {
  inThreadSamlVerifier,
  readSamlResponse,
  startSamlLogin,
  type SamlConnectionConfig,
  type SamlRequestCache,
} from '../../../sso/saml.js';
import { samlServiceProviderMetadata } from '../../../sso/saml-metadata.js';
import { createSamlVerifierPool, type SamlVerifierPool } from '../../../sso/saml-verifier-pool.js';
import { startSamlIdp, type ResponseOverrides, type SamlIdp } from '../../helpers/saml-idp.js';

const NOW = '2026-03-02T10:00:00Z';
const EMAIL_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';

/** Request ids are not kept here: taking them is acceptSamlResponse's, not the pool's. */
const requests: Pick<SamlRequestCache, 'save'> = { save: () => undefined };

describe('SAML verifier pool', () => {
  const clock = new FixedClock(NOW);
  let idp: SamlIdp;
  let config: SamlConnectionConfig;
  const pools: SamlVerifierPool[] = [];

  const pool = (options: Parameters<typeof createSamlVerifierPool>[0]) => {
    const created = createSamlVerifierPool(options);
    pools.push(created);
    return created;
  };

  /** A response to a real AuthnRequest, as readSamlResponse hands it to a verifier. */
  async function response(n: number, overrides: ResponseOverrides = {}): Promise<string> {
    const { redirectUrl } = await startSamlLogin(config, 'relay', { clock, requests });
    const posted = await idp.respond(
      redirectUrl,
      { nameId: `person-${n}`, attributes: { [EMAIL_CLAIM]: `person-${n}@acme.test` } },
      overrides,
    );
    return readSamlResponse(config, posted);
  }

  const rejectsWith = async (promise: Promise<unknown>, check: (error: unknown) => boolean) =>
    assert.rejects(promise, (error: unknown) => {
      assert.ok(check(error), `unexpected rejection: ${String(error)}`);
      return true;
    });

  beforeAll(() => {
    const sp: SamlConnectionConfig = {
      connectionId: 7,
      spEntityId: 'https://seatkeeper.test/sso/saml/7',
      acsUrl: 'https://seatkeeper.test/sso/saml/7/acs',
      idpEntityId: 'https://idp.test/saml',
      idpSsoUrl: 'https://idp.test/saml/sso',
      idpCerts: [],
      responseSigned: true,
      nameIdFormat: null,
      attributeMap: {},
      idpInitiated: false,
    };
    idp = startSamlIdp({ spMetadata: samlServiceProviderMetadata(sp), now: () => clock.now() });
    config = { ...sp, idpCerts: [idp.certPem] };
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    idp.close();
  });

  test('When a response is verified in a worker, then the verdict is the one the calling thread reaches, for a valid and a tampered response', async () => {
    const verifier = pool({ size: 2 });
    const valid = await response(1);
    const inWorker = await verifier.verify(config, valid, clock.now());
    assert.deepEqual(inWorker, await inThreadSamlVerifier.verify(config, valid, clock.now()));
    assert.equal(inWorker.identity.subject, 'person-1');
    assert.equal(inWorker.identity.email, 'person-1@acme.test');
    assert.match(inWorker.inResponseTo ?? '', /^_/);

    const tampered = await response(2, { tamper: true });
    await rejectsWith(
      verifier.verify(config, tampered, clock.now()),
      (e) => e instanceof SsoError && e.code === 'saml_signature_invalid' && ssoErrorStatus(e) === 401,
    );
  });

  test('When responses break each rule, then the worker refuses them with the very code the calling thread gives', async () => {
    const verifier = pool({ size: 2 });
    const at = (seconds: number) => DateTime.fromISO(NOW).plus({ seconds });
    const cases: Record<string, ResponseOverrides> = {
      unsigned: { sign: 'none' },
      'response unsigned': { sign: 'assertion' },
      tampered: { tamper: true },
      'extra assertion': { sign: 'assertion', wrap: 'extra-assertion' },
      'moved signature': { sign: 'assertion', wrap: 'moved-signature' },
      'RSA-SHA1': { signatureAlgorithm: 'rsa-sha1' },
      audience: { audience: 'https://other-app.test/saml' },
      issuer: { issuer: 'https://evil-idp.test/saml' },
      recipient: { recipient: 'https://other-app.test/acs' },
      destination: { destination: 'https://other-app.test/acs' },
      expired: { notOnOrAfter: at(-60) },
      'not yet valid': { notBefore: at(61) },
      'subject expired': { subjectNotOnOrAfter: at(-61) },
      'requests differ': { subjectInResponseTo: '_another-request' },
    };
    const codeOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'accepted',
        (e: unknown) => (e instanceof SsoError ? e.code : String(e)),
      );
    let n = 100;
    for (const [name, overrides] of Object.entries(cases)) {
      const body = await response(n++, overrides);
      const inThread = await codeOf(inThreadSamlVerifier.verify(config, body, clock.now()));
      assert.notEqual(inThread, 'accepted', name);
      assert.equal(await codeOf(verifier.verify(config, body, clock.now())), inThread, name);
    }
  });

  test('When the worker is told the time, then it judges the response on that time, not its own clock', async () => {
    const verifier = pool({ size: 1 });
    const valid = await response(3);
    const late = DateTime.fromISO(NOW).plus({ hours: 1 });
    await rejectsWith(
      verifier.verify(config, valid, late),
      (e) => e instanceof SsoError && e.code === 'saml_expired',
    );
  });

  test('When more responses arrive than there are workers, then they wait their turn and each gets its own verdict', async () => {
    const verifier = pool({ size: 1 });
    const bodies = await Promise.all([4, 5, 6, 7, 8].map((n) => response(n)));
    const verdicts = await Promise.all(bodies.map((b) => verifier.verify(config, b, clock.now())));
    assert.deepEqual(
      verdicts.map((v) => v.identity.subject),
      ['person-4', 'person-5', 'person-6', 'person-7', 'person-8'],
    );
    assert.equal(verifier.threads, 1);
  });

  test('When the waiting line is full, then a further response is refused at once with sso_busy (503), and those waiting are still verified', async () => {
    const verifier = pool({ size: 1, maxQueued: 1 });
    const bodies = await Promise.all([9, 10, 11, 12].map((n) => response(n)));
    // Two go to the worker (the one it checks, and the next), one waits, the fourth is refused.
    const accepted = bodies.slice(0, 3).map((b) => verifier.verify(config, b, clock.now()));
    await rejectsWith(
      verifier.verify(config, bodies[3]!, clock.now()),
      (e) => e instanceof SsoError && e.code === 'sso_busy' && ssoErrorStatus(e) === 503,
    );
    assert.deepEqual(
      (await Promise.all(accepted)).map((v) => v.identity.subject),
      ['person-9', 'person-10', 'person-11'],
    );
  });

  test('When a worker dies (here: its memory limit is too small to start), then the response it held fails instead of hanging, and so does the next one, on a new worker', async () => {
    // 8 MB: too little to load the SAML libraries, enough to start the thread. Below about 3 MB,
    // Node.js 24 cannot even set up the thread's heap and aborts the whole process instead.
    const verifier = pool({ size: 1, maxHeapMb: 8 });
    const body = await response(13);
    for (let attempt = 0; attempt < 2; attempt++) {
      await rejectsWith(
        verifier.verify(config, body, clock.now()),
        (e) => !(e instanceof SsoError) && /worker stopped/.test((e as Error).message),
      );
    }
    assert.equal(verifier.threads, 0);
  });

  test('When a verification runs past the time limit, then it fails and its worker is stopped', async () => {
    const verifier = pool({ size: 1, timeoutMs: 1 });
    await rejectsWith(verifier.verify(config, await response(14), clock.now()), (e) =>
      /took longer than 1 ms/.test((e as Error).message),
    );
    assert.equal(verifier.threads, 0);
  });

  test('When workers have been idle for the idle time, then they stop, and the next response starts one again', async () => {
    const verifier = pool({ size: 2, idleMs: 50 });
    verifier.warm();
    assert.equal(verifier.threads, 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(verifier.threads, 0);
    assert.equal(
      (await verifier.verify(config, await response(15), clock.now())).identity.subject,
      'person-15',
    );
  });

  test('When the pool is closed, then waiting and running verifications fail, its threads stop, and later ones fail too', async () => {
    const verifier = createSamlVerifierPool({ size: 1 });
    const bodies = await Promise.all([16, 17].map((n) => response(n)));
    const outcomes = bodies.map((b) =>
      verifier.verify(config, b, clock.now()).then(
        () => 'verified',
        (e: Error) => e.message,
      ),
    );
    await verifier.close();
    assert.deepEqual(await Promise.all(outcomes), [
      'The SAML verifier pool is closed.',
      'The SAML verifier pool is closed.',
    ]);
    assert.equal(verifier.threads, 0);
    await rejectsWith(verifier.verify(config, bodies[0]!, clock.now()), (e) =>
      /closed/.test((e as Error).message),
    );
  });

  test('When a process has used the pool and has nothing else to do, then it exits: idle workers do not keep it alive', async () => {
    const body = await response(18);
    const script = `
      import { DateTime } from 'luxon';
      import { createSamlVerifierPool } from ${JSON.stringify(new URL('../../../sso/saml-verifier-pool.ts', import.meta.url).href)};
      const { config, body, now } = JSON.parse(process.argv[1]);
      const verified = await createSamlVerifierPool({ size: 2 }).verify(config, body, DateTime.fromISO(now));
      console.log(verified.identity.subject);`;
    const started = Date.now();
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, JSON.stringify({ config, body, now: NOW })],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'person-18');
    assert.ok(Date.now() - started < 30_000, 'it exited on its own');
  });
});
