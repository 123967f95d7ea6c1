// Two server processes on one database apply two member imports at the same instant: each import
// was reviewed against the same free seats, yet together they never hold more seats than were
// bought; the rows that find no seat are refused, and the pool counters match the member rows.
import assert from '../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { OPERATOR } from '../../domain/model.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../helpers/fixtures.js';
import { startServer, type ServerProcess } from '../helpers/server-main-process.js';
import { inspect } from '../helpers/inspect.js';

describe('When two server processes apply member imports at once', () => {
  let ctx: TestContext;
  let servers: ServerProcess[] = [];
  let token = '';
  let orgId = 0;

  beforeAll(async () => {
    const today = new Date().toISOString().slice(0, 10);
    ctx = await setup(new Date().toISOString());
    // Five standard seats; the primary owner's invitation holds one: four are free.
    orgId = (await createExample(ctx, { termStart: today, seats: { standard: 5, premium: 0 } })).organisation
      .id;
    token = (await ctx.c.apiTokens.create(orgId, { name: 'import script', role: 'admin' }, OPERATOR)).token;
    servers = await Promise.all([
      startServer({ DATABASE_PATH: ctx.databasePath }),
      startServer({ DATABASE_PATH: ctx.databasePath }),
    ]);
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) {
      s.child.kill('SIGTERM');
      await s.exited;
    }
    await ctx.cleanup();
  }, 120_000);

  const call = (server: ServerProcess, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${server.port}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  test('then the seats bought are never exceeded', async () => {
    const file = (prefix: string) =>
      ['email', ...Array.from({ length: 4 }, (_, i) => `${prefix}${i}@acme.example`)].join('\r\n');
    const reports = await Promise.all([
      call(servers[0]!, '/members/import', { csv: file('a') }),
      call(servers[1]!, '/members/import', { csv: file('b') }),
    ]);
    const ids = await Promise.all(
      reports.map(async (r) => {
        assert.equal(r.status, 201);
        const report = (await r.json()) as { id: string; invitations: number };
        assert.equal(report.invitations, 4, 'each was reviewed against the same four free seats');
        return report.id;
      }),
    );
    const applied = await Promise.all([
      call(servers[0]!, `/members/import/${ids[0]}/apply`),
      call(servers[1]!, `/members/import/${ids[1]}/apply`),
    ]);
    const results = await Promise.all(
      applied.map(async (r) => {
        assert.equal(r.status, 200);
        return (await r.json()) as { invited: number; refused: number; rows: { outcome: string }[] };
      }),
    );
    assert.equal(results[0]!.invited + results[1]!.invited, 4);
    assert.equal(results[0]!.refused + results[1]!.refused, 4);
    assert.ok(
      results.flatMap((r) => r.rows).every((row) => row.outcome === 'invited' || row.outcome === 'no_seat'),
    );
    const pool = (await inspect(ctx.c.store).pool(orgId)).find((t) => t.tierId === 'standard')!;
    assert.deepEqual([pool.held, pool.allocation], [5, 5]);
    assert.ok(await heldMatchesMembers(ctx, orgId));
  }, 120_000);
});
