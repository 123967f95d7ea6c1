// Cluster mode: several server processes on one port and one database file. The seat pool must
// stay exact when both processes take SCIM creates for the last seats at once.
import { test } from '@jest/globals';
import { perTest } from '../helpers/per-test.js';
import assert from '../helpers/assert.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../helpers/fixtures.js';
import { organisationWithToken, startServer, waitForLogs } from '../helpers/server-main-process.js';

test('When two workers race SCIM creates for the last seats, then exactly the free seats are claimed, both workers serve, and SIGTERM stops them all', async () => {
  const t = perTest();
  const dir = tempDir();
  try {
    // 12 seats, one held by the primary owner's invitation: 11 free.
    const token = organisationWithToken(dir, 12);
    const server = await startServer({ DATA_DIR: dir, WORKERS: '2' }, 2);
    t.after(() => server.child.kill('SIGKILL'));
    const listeners = server.logs.filter((l) => l.msg.startsWith('listening'));
    assert.equal(new Set(listeners.map((l) => l.pid)).size, 2, 'two processes listen');
    assert.equal(new Set(listeners.map((l) => l.port)).size, 1, 'on one port');

    const attempts = 60;
    const statuses = await Promise.all(
      Array.from({ length: attempts }, async (_, i) => {
        const res = await fetch(`http://127.0.0.1:${server.port}/scim/v2/Users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
          body: JSON.stringify({
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName: `racer${i}@acme.example`,
            emails: [{ value: `racer${i}@acme.example`, primary: true }],
          }),
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    assert.equal(statuses.filter((s) => s === 201).length, 11, `statuses: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 403).length, attempts - 11);

    const requests = await waitForLogs(server, (l) => l.msg === 'request', attempts);
    const served = new Set(requests.map((l) => l.pid));
    assert.equal(served.size, 2, 'both workers answered requests');

    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);

    const db = new Database(join(dir, 'seatkeeper.db'), { readonly: true });
    const pool = db.prepare("SELECT allocation, held FROM seat_pools WHERE tier_id = 'standard'").get() as {
      allocation: number;
      held: number;
    };
    const holding = db
      .prepare(
        "SELECT count(*) AS n FROM members WHERE seat_state IN ('seated', 'invited') AND tier_id = 'standard'",
      )
      .get() as { n: number };
    db.close();
    assert.deepEqual(pool, { allocation: 12, held: 12 });
    assert.equal(holding.n, 12, 'the counter matches the member rows');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
