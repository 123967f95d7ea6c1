// Cluster mode: workers share one port, so a scrape reaches one of them; it answers with the
// metrics of every worker: requests summed over the workers, database gauges counted once.
import { test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { get } from 'node:http';
import { tempDir } from '../../helpers/fixtures.js';
import { sample } from '../../helpers/operations.js';
import { organisationWithToken, startServer, waitForLogs } from '../../helpers/server-main-process.js';

/** One GET on a connection of its own (the cluster hands out connections, not requests). */
function getOnce(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}

test('When two workers answer requests, then /metrics on either counts the requests of both, and the seat gauges once', async () => {
  const t = perTest();
  const dir = tempDir();
  try {
    organisationWithToken(dir, 12);
    const server = await startServer({ DATA_DIR: dir, WORKERS: '2' }, 2);
    t.after(() => server.child.kill('SIGKILL'));
    const requests = 30;
    for (let i = 0; i < requests; i++)
      assert.equal((await getOnce(server.port, `/nowhere/${i}`)).status, 404);
    const served = new Set(
      (await waitForLogs(server, (l) => l.msg === 'request', requests)).map((l) => l.pid),
    );
    assert.equal(served.size, 2, 'both workers answered requests');

    for (let scrape = 0; scrape < 3; scrape++) {
      const metrics = await getOnce(server.port, '/metrics');
      assert.equal(metrics.status, 200, metrics.text);
      assert.equal(
        sample(metrics.text, 'seatkeeper_http_requests_total', {
          route: 'unmatched',
          method: 'GET',
          status: '404',
        }),
        requests,
        'the requests of both workers, summed',
      );
      assert.equal(
        sample(metrics.text, 'seatkeeper_seats_allocation', { organisation: 'acme', tier: 'standard' }),
        12,
      );
      assert.ok((sample(metrics.text, 'process_cpu_user_seconds_total') ?? 0) > 0, 'process metrics too');
    }
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
