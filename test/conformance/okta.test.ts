// Okta's own SCIM 2.0 SPEC test (the Runscope export Okta asks integrators to pass), run unchanged
// by ../shared/conformance/okta/run-spec-test.mjs against the real server.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import { join } from 'node:path';
import {
  CONFORMANCE_DIR,
  freeSeats,
  runNode,
  seedUser,
  startProviderServer,
  type ProviderServer,
} from '../helpers/conformance-server.js';

const SUITE = join(CONFORMANCE_DIR, 'okta', 'Okta-SCIM-20-SPEC-Test.json');
const RUNNER = join(CONFORMANCE_DIR, 'okta', 'run-spec-test.mjs');
/** Requests in the SPEC test; the runner prints one PASS or FAIL line for each. */
const REQUESTS = 12;

describe('Okta SCIM 2.0 SPEC test', () => {
  let p: ProviderServer;
  beforeAll(async () => {
    p = await startProviderServer();
    // Preconditions. The test reads the first listed user and expects emails[0].value on it.
    await seedUser(p, 'seed@acme.example');
    // It creates one user (a random Runscope…@atko.com: SCIM creates are not bound to the
    // organisation's email domains) and each active user holds a seat.
    assert.ok((await freeSeats(p)) >= 1, 'the contract has a seat for the user the test creates');
  });
  afterAll(() => p.close());

  test('When the SPEC test runs against the server, then all 12 requests pass', async () => {
    const run = await runNode([RUNNER, SUITE, p.base, `Bearer ${p.token}`], 50_000);
    const report = `exit ${run.code}\n${run.stdout}${run.stderr}`;
    assert.match(run.stdout, new RegExp(`^${REQUESTS} passed, 0 failed$`, 'm'), report);
    assert.equal(run.code, 0, report);
  }, 60_000);
});
