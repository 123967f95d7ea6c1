// One organisation's worst-case user PATCH (MAX_USER_PATCH_OPERATIONS value-filtered operations on
// a user at MAX_USER_BYTES) is applied on a PATCH thread (scim/patch-pool.ts): the server's event
// loop, which every organisation shares, stays free meanwhile, and another organisation's lookups
// are answered while it runs.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { performance } from 'node:perf_hooks';
import {
  MAX_STRING_LENGTH,
  MAX_USER_BYTES,
  MAX_USER_PATCH_OPERATIONS,
  MAX_VALUES,
} from '../../../scim/limits.js';
import { createExample, scimToken } from '../../helpers/fixtures.js';
import {
  close,
  expectStatus,
  scimClient,
  world,
  type ScimClient,
  type World,
} from '../../helpers/scim-world.js';
import { oktaCreateUser, oktaFindUser, PATCH_OP } from '../../helpers/scim-requests.js';

/** Room per email of a user at the limits: MAX_VALUES of them and a longest displayName fill MAX_USER_BYTES. */
const DISPLAY_LENGTH = Math.floor((MAX_USER_BYTES - MAX_STRING_LENGTH - 1500) / MAX_VALUES) - 80;

function fatUser(key: string) {
  const userName = `${key}@acme.example`;
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    displayName: key.padEnd(MAX_STRING_LENGTH, '.'),
    emails: Array.from({ length: MAX_VALUES }, (_, j) => ({
      value: j === 0 ? userName : `${key}.${j}@acme.example`,
      type: 'work',
      primary: j === 0,
      display: `${key}.${j}`.padEnd(DISPLAY_LENGTH, '.'),
    })),
  };
}

const worstPatch = (key: string, n: number) => ({
  schemas: [PATCH_OP],
  Operations: Array.from({ length: MAX_USER_PATCH_OPERATIONS }, (_, i) => ({
    op: 'replace',
    path: `emails[value eq "${key}.${(i % (MAX_VALUES - 1)) + 1}@acme.example"].display`,
    value: `${n}.${i}`.padEnd(DISPLAY_LENGTH, '.'),
  })),
});

describe('A worst-case user PATCH runs off the event loop', () => {
  let w: World;
  let other: ScimClient;
  let fatId: string;

  beforeAll(async () => {
    w = await world({ standard: 20, premium: 0 });
    const created = await w.scim.send({ method: 'POST', path: '/Users', body: fatUser('fat') });
    expectStatus(created, 201);
    fatId = created.body.id as string;
    const { organisation } = await createExample(w.ctx, {
      slug: 'globex',
      seats: { standard: 5, premium: 0 },
    });
    other = scimClient(w.server, await scimToken(w.ctx, organisation.id));
    expectStatus(await other.send(oktaCreateUser('lookup@globex.example')), 201);
    // Likewise the reader threads, at the first list.
    expectStatus(await other.send(oktaFindUser('lookup@globex.example')), 200);
    // The PATCH threads start at the first PATCH; the measurement is of the work, not of that.
    expectStatus(
      await w.scim.send({ method: 'PATCH', path: `/Users/${fatId}`, body: worstPatch('fat', 0) }),
      200,
    );
  });
  afterAll(() => close(w));

  test("When an organisation sends PATCHes at the limits, then the server's event loop is mostly idle while they are applied", async () => {
    // Applied on the event loop, the operations keep it busy nearly all the time (utilisation near
    // 1); on a thread, the loop only reads the user and writes the result. Generous: a loaded
    // machine slows both alike.
    const start = performance.eventLoopUtilization();
    for (let n = 1; n <= 3; n++) {
      const res = await w.scim.send({ method: 'PATCH', path: `/Users/${fatId}`, body: worstPatch('fat', n) });
      expectStatus(res, 200);
      assert.match(String((res.body.emails as { display: string }[])[1]!.display), new RegExp(`^${n}\\.`));
    }
    const used = performance.eventLoopUtilization(start);
    assert.ok(
      used.utilization < 0.5,
      `event-loop utilisation ${used.utilization.toFixed(2)} during the PATCHes`,
    );
  });

  test("When one organisation's PATCH at the limits is being applied, then another organisation's lookups are answered meanwhile", async () => {
    let patched = false;
    const patch = w.scim
      .send({ method: 'PATCH', path: `/Users/${fatId}`, body: worstPatch('fat', 9) })
      .finally(() => {
        patched = true;
      });
    let answered = 0;
    while (!patched && answered < 1000) {
      const res = await other.send(oktaFindUser('lookup@globex.example'));
      expectStatus(res, 200);
      assert.equal(res.body.totalResults, 1);
      if (!patched) answered++;
    }
    expectStatus(await patch, 200);
    assert.ok(answered >= 1, 'no lookup was answered while the PATCH was applied');
  });
});
