// Requests refused by Node's HTTP parser before any route, against the real server process:
// oversized headers get a complete 431 with a problem document and a log line; a request that is
// not HTTP gets a 400 the same way.
import { afterAll, beforeAll, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tempDir } from '../../helpers/fixtures.js';
import { startServer, waitForLogs, type ServerProcess } from '../../helpers/server-main-process.js';

let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = tempDir();
  server = await startServer({ DATA_DIR: dir, DATABASE_PATH: '', LOG_LEVEL: 'info' });
});
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
});

/** Sends raw bytes and returns everything the server answered before closing. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.end(request);
  });
}

function parse(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...headers] = head.split('\r\n');
  const header = (name: string) =>
    headers
      .find((h) => h.toLowerCase().startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim();
  return { statusLine, header, body };
}

test('When request headers are larger than the server accepts, then it answers a complete 431 with a problem body and logs it', async () => {
  const answer = await raw(
    server.port,
    `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`,
  );
  const { statusLine, header, body } = parse(answer);
  assert.equal(statusLine, 'HTTP/1.1 431 Request Header Fields Too Large');
  assert.equal(header('content-type'), 'application/problem+json');
  assert.equal(Number(header('content-length')), Buffer.byteLength(body));
  const problem = JSON.parse(body) as { status: number; code: string; detail: string };
  assert.equal(problem.status, 431);
  assert.equal(problem.code, 'headers_too_large');
  assert.match(problem.detail, /headers are larger/);
  await waitForLogs(server, (l) => l.msg === 'request refused before routing' && l['status'] === 431, 1);
});

test('When a request is not HTTP, then it answers 400 with a problem body and logs it', async () => {
  const { statusLine, body } = parse(await raw(server.port, 'HELLO THERE\r\n\r\n'));
  assert.equal(statusLine, 'HTTP/1.1 400 Bad Request');
  assert.equal((JSON.parse(body) as { code: string }).code, 'malformed_request');
  await waitForLogs(server, (l) => l.msg === 'request refused before routing' && l['status'] === 400, 1);
});
