// Load generators, both in this (the parent) process: autocannon for fixed-duration or
// fixed-count runs over N connections, and a keep-alive node:http client for request sequences
// that depend on the previous answer (the Okta import's GET-then-POST).
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import autocannon from 'autocannon';
import type { Timing } from '../scenario.js';

export interface NextRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: string;
}

export interface LoadResult {
  /** Wall time from the start of the run to its last response. */
  readonly seconds: number;
  /** Every response's latency (ms, as autocannon measures it: request written → response parsed). */
  readonly latenciesMs: Float64Array;
  /** Responses by status code. */
  readonly statuses: ReadonlyMap<number, number>;
  /** Connection errors and timeouts. */
  readonly errors: number;
}

export interface CannonOptions {
  readonly url: string;
  readonly connections: number;
  /** Seconds to run, or… */
  readonly seconds?: number;
  /** …requests to send (exactly; one `next()` per request). */
  readonly amount?: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly next: () => NextRequest;
}

export function scimHeaders(token: string): Record<string, string> {
  return {
    'content-type': 'application/scim+json',
    accept: 'application/scim+json',
    authorization: `Bearer ${token}`,
  };
}

/** One autocannon run. autocannon's own latency histogram has whole-millisecond buckets, so the
 * latencies are taken from its per-response events, at sub-millisecond resolution. */
export function cannon(options: CannonOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const started = performance.now();
  // autocannon notices the end of a run at its next sample tick; the run ends at its last response.
  let lastResponse = started;
  return new Promise<LoadResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        sampleInt: 100,
        ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.seconds ?? 1 }),
        headers: { ...options.headers },
        requests: [
          {
            setupRequest: (request) => {
              const next = options.next();
              return { ...request, method: next.method, path: next.path, body: next.body ?? '' };
            },
          },
        ],
      },
      (error, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve({
          seconds: (lastResponse - started) / 1000,
          latenciesMs: Float64Array.from(latencies),
          statuses,
          errors: result.errors + result.timeouts,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      lastResponse = performance.now();
      latencies.push(responseTime);
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    });
  });
}

/** Several runs against one server taken as one. */
export function merge(results: readonly LoadResult[]): LoadResult {
  const statuses = new Map<number, number>();
  for (const r of results) for (const [s, n] of r.statuses) statuses.set(s, (statuses.get(s) ?? 0) + n);
  const latenciesMs = new Float64Array(results.reduce((n, r) => n + r.latenciesMs.length, 0));
  let at = 0;
  for (const r of results) {
    latenciesMs.set(r.latenciesMs, at);
    at += r.latenciesMs.length;
  }
  return {
    seconds: results.reduce((s, r) => s + r.seconds, 0),
    latenciesMs,
    statuses,
    errors: results.reduce((n, r) => n + r.errors, 0),
  };
}

export const countOf = (r: LoadResult, status: number): number => r.statuses.get(status) ?? 0;

/** Responses of the given status per second. */
export const ratePerSecond = (r: LoadResult, status: number): number => countOf(r, status) / r.seconds;

/** As a Timing, for latencySummary and quantile. */
export const asTiming = (r: LoadResult): Timing => ({
  ops: r.latenciesMs.length,
  seconds: r.seconds,
  latenciesMs: r.latenciesMs,
});

/** "201 × 51,234, 409 × 2" */
export function describeStatuses(statuses: ReadonlyMap<number, number>): string {
  return [...statuses.entries()]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s} × ${n.toLocaleString('en-US')}`)
    .join(', ');
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly ms: number;
}

/** A keep-alive HTTP/1.1 client for one server, at most `sockets` connections. */
export function httpClient(baseUrl: string, headers: Readonly<Record<string, string>>, sockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const { hostname, port } = new URL(baseUrl);
  return {
    send(
      method: NextRequest['method'],
      path: string,
      body?: string,
      extra: Readonly<Record<string, string>> = {},
    ): Promise<HttpAnswer> {
      const started = performance.now();
      return new Promise<HttpAnswer>((resolve, reject) => {
        const req = httpRequest(
          {
            agent,
            hostname,
            port,
            method,
            path,
            headers: {
              ...headers,
              ...extra,
              ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                text: Buffer.concat(chunks).toString('utf8'),
                ms: performance.now() - started,
              }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    close(): void {
      agent.destroy();
    },
  };
}

export type HttpClient = ReturnType<typeof httpClient>;
