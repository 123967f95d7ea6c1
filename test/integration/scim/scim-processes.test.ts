// Two server processes on one database (the SQLite file, or in the PostgreSQL run the test's
// PostgreSQL database), each answering SCIM creates with group commit (concurrent requests share a
// transaction): together they never give out more seats than the pool has, every 201 is a stored,
// seated user, and every refusal is a 403 for want of a seat.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { startServer, stop, type ServerProcess } from '../../helpers/scim-server-process.js';
import { WORKER_NOW } from '../../helpers/processes/protocol.js';
import {
  createExample,
  heldMatchesMembers,
  scimToken,
  setup,
  type TestContext,
} from '../../helpers/fixtures.js';
import { oktaUserBody } from '../../helpers/scim-requests.js';

describe('SCIM creates from two server processes on one database', () => {
  const STANDARD_SEATS = 40; // the primary owner's invitation holds one of them
  const PER_SERVER = 45;
  const IN_FLIGHT = 15;
  let ctx: TestContext;
  let organisationId: number;
  let token: string;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    ctx = await setup(WORKER_NOW);
    organisationId = (await createExample(ctx, { seats: { standard: STANDARD_SEATS, premium: 0 } }))
      .organisation.id;
    token = await scimToken(ctx, organisationId);
    const target = ctx.databaseUrl ?? ctx.databasePath;
    servers.push(...(await Promise.all([startServer(target), startServer(target)])));
  });
  afterAll(async () => {
    await Promise.all(servers.map(stop));
    await ctx.cleanup();
  });

  test('When both answer concurrent creates for more users than seats, then exactly the free seats are given, each 201 is stored and seated, and the rest are refused with 403', async () => {
    const statuses: number[] = [];
    const created: string[] = [];
    await Promise.all(
      servers.map(async (server, s) => {
        let next = 0;
        // IN_FLIGHT requests at a time per server, so that each server commits them in groups.
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            while (next < PER_SERVER) {
              const userName = `p${s}-${next++}@acme.example`;
              const res = await fetch(`${server.url}/scim/v2/Users`, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
                body: JSON.stringify(oktaUserBody(userName)),
              });
              const body = (await res.json()) as { detail?: string };
              statuses.push(res.status);
              if (res.status === 201) created.push(userName);
              else assert.match(body.detail ?? '', /seat/i, `${res.status}: ${JSON.stringify(body)}`);
            }
          }),
        );
      }),
    );
    const free = STANDARD_SEATS - 1;
    assert.equal(statuses.length, 2 * PER_SERVER);
    assert.equal(statuses.filter((s) => s === 201).length, free);
    assert.equal(statuses.filter((s) => s === 403).length, 2 * PER_SERVER - free);
    // What the database holds, read by a third connection: the pool is full, never over.
    const usage = (await ctx.c.seats.usage(organisationId)).find((t) => t.tierId === 'standard')!;
    assert.equal(usage.held, STANDARD_SEATS);
    assert.equal(usage.seated, free);
    assert.ok(await heldMatchesMembers(ctx, organisationId));
    const stored = await ctx.c.store.read(async (q) => {
      const states = [];
      for (const userName of created)
        states.push((await q.directoryUsers.byUserName(organisationId, userName))?.seatState);
      return states;
    });
    assert.deepEqual(new Set(stored), new Set(['seated']));
    const refusedRecorded = (await ctx.c.directory.waiting(organisationId)).refused.length;
    assert.equal(refusedRecorded, 2 * PER_SERVER - free, 'every refusal is on the waiting list');
  });
});
