// A Seatkeeper server in a process of its own over the database named on the command line (a
// SQLite file's path or a PostgreSQL URL, protocol.ts databaseConfig): the real container and HTTP
// app (SCIM rate limit off), the clock at WORKER_NOW. Prints one line, {"port": N}, once it
// listens; exits when its stdin closes.
// Not a test file: scim-processes.test.ts spawns it.
//
//   node --import tsx test/helpers/processes/scim-app-server.ts DB_PATH_OR_URL
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../../server/app.js';
import { args, workerContainer } from './protocol.js';

const [target] = args(['DB_PATH_OR_URL']);
const { c } = await workerContainer(target!);
const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
server.on(
  'request',
  createApp({
    ...c,
    config: { publicBaseUrl: `http://127.0.0.1:${port}`, scimRateLimit: { perSecond: 0, burst: 1 } },
  }),
);
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void stop());
async function stop(): Promise<void> {
  server.closeAllConnections();
  server.close();
  await c.close();
  process.exit(0);
}
