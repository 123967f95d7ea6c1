// A real HTTP server on 127.0.0.1 that receives webhook deliveries: it keeps every request as it
// arrived (headers and raw body), and can be told to fail or be taken down and brought back on the
// same port, so tests can play a downstream app that is away for a while.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from './assert.js';
import { Webhook } from 'standardwebhooks';
import type { ApiWorld } from './api.js';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status this receiver answered. */
  readonly status: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: Received[];
  /** What the next requests are answered with (they are recorded whatever the status). */
  answer(status: number): void;
  /** Stops listening: connections are refused until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  let status = 200;
  let server: Server | undefined;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
          res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
        });
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
      server = undefined;
    });

  await listen();
  return {
    url: `http://127.0.0.1:${port}/hooks/seatkeeper`,
    received,
    answer: (s) => void (status = s),
    down: stop,
    up: listen,
    close: stop,
  };
}

/** An endpoint added by the world's owner through the admin API; its id and its signing secret. */
export async function addWebhookEndpoint(
  w: ApiWorld,
  url: string,
  events: readonly string[] = ['*'],
): Promise<{ id: number; secret: string }> {
  const res = await w.as.owner.post('/webhooks', { url, events });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: number; secret: string };
}

/**
 * Checks a delivery as a stock Standard Webhooks receiver does, with the specification's reference
 * verifier: the `webhook-*` headers, the signature over the raw body, and the timestamp within 5
 * minutes of `nowSeconds` (the verifier reads Date.now(), so it is set to the world's clock for the
 * call). Returns the parsed body; throws the verifier's error when the delivery is not genuine.
 */
export function verifyDelivery(secret: string, received: Received, nowSeconds: number): unknown {
  const verifier = new Webhook(secret);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(received.headers)) {
    if (typeof value === 'string') headers[name] = value;
  }
  // The verifier reads only Date.now(); lending it the world's clock for this synchronous call is
  // all a fake clock would do, and it works under any test runner.
  const realNow = Date.now;
  Date.now = () => nowSeconds * 1000;
  try {
    return verifier.verify(received.body, headers);
  } finally {
    Date.now = realNow;
  }
}
