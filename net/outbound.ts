// Requests to addresses that organisations configure (webhook receivers, an OpenID Provider's
// discovery, JWKS, token and UserInfo endpoints): the host is resolved once, every address it
// resolves to is judged, and the request is sent to the very address that was judged, so a name
// that resolves to a public address for the check and to this host's own for the connection (DNS
// rebinding) gains nothing. Redirects are never followed: the caller gets the 3xx as it came.
//
// Refused unless OUTBOUND_ALLOWLIST names the host or the address: loopback, the private networks
// (RFC 1918), carrier-grade NAT (RFC 6598), link-local (RFC 3927, which holds the cloud metadata
// endpoint 169.254.169.254), unique-local and link-local IPv6 (RFC 4193, RFC 4291 §2.5.6),
// multicast, unspecified and reserved addresses. IPv6 addresses that carry an IPv4 address
// (IPv4-mapped ::ffff:0:0/96, RFC 4291 §2.5.5.2; NAT64 64:ff9b::/96, RFC 6052; 6to4 2002::/16,
// RFC 3056) are judged by the IPv4 address they carry.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { Readable, Transform, pipeline } from 'node:stream';
import { OutboundRefusedError, type OutboundRefusal } from '../domain/errors.js';

/** The ranges refused, by the reason an owner is told. The first match names the reason. */
const REFUSED: readonly (readonly [OutboundRefusal, 'ipv4' | 'ipv6', string, number])[] = [
  ['unspecified', 'ipv4', '0.0.0.0', 8], // RFC 1122 §3.2.1.3 "this network"
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['private', 'ipv4', '10.0.0.0', 8], // RFC 1918
  ['private', 'ipv4', '172.16.0.0', 12],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['carrier_grade_nat', 'ipv4', '100.64.0.0', 10], // RFC 6598
  ['link_local', 'ipv4', '169.254.0.0', 16], // RFC 3927; cloud metadata endpoints live here
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4], // RFC 1112 §4, with the broadcast address
  ['reserved', 'ipv4', '192.0.0.0', 24], // RFC 6890 IETF protocol assignments
  ['reserved', 'ipv4', '198.18.0.0', 15], // RFC 2544 benchmarking
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['reserved', 'ipv6', '::', 96], // IPv4-compatible addresses, deprecated (RFC 4291 §2.5.5.1)
  ['unique_local', 'ipv6', 'fc00::', 7], // RFC 4193
  ['link_local', 'ipv6', 'fe80::', 10], // RFC 4291 §2.5.6
  ['reserved', 'ipv6', 'fec0::', 10], // site-local, deprecated (RFC 3879)
  ['multicast', 'ipv6', 'ff00::', 8],
];

const DESCRIBED: Readonly<Record<OutboundRefusal, string>> = {
  loopback: 'a loopback address (this server itself)',
  private: 'a private network address (RFC 1918)',
  carrier_grade_nat: 'a carrier-grade NAT address (RFC 6598)',
  link_local: 'a link-local address (where cloud metadata services live)',
  unique_local: 'a unique-local IPv6 address (RFC 4193)',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  reserved: 'a reserved address',
  not_http: 'not an http(s) URL',
};

const refusedLists = (() => {
  const lists = new Map<OutboundRefusal, BlockList>();
  for (const [reason, type, network, prefix] of REFUSED) {
    const list = lists.get(reason) ?? new BlockList();
    list.addSubnet(network, prefix, type);
    lists.set(reason, list);
  }
  return lists;
})();

/** The 8 16-bit words of an IPv6 address (valid by isIP), a trailing dotted IPv4 part included. */
function ipv6Words(address: string): number[] {
  let text = address.split('%')[0]!;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const first = head === '' ? [] : head.split(':');
  const last = tail === undefined || tail === '' ? [] : tail.split(':');
  const gap = tail === undefined ? 0 : 8 - first.length - last.length;
  return [...first, ...Array<string>(gap).fill('0'), ...last].map((w) => parseInt(w, 16));
}

const v4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;

/** The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4), or the address itself. */
export function unwrapAddress(address: string): { address: string; family: 4 | 6 } {
  const family = isIP(address);
  if (family === 4) return { address, family: 4 };
  const w = ipv6Words(address);
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && w[5] === 0xffff) return { address: v4(w[6]!, w[7]!), family: 4 };
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return { address: v4(w[6]!, w[7]!), family: 4 };
  if (w[0] === 0x2002) return { address: v4(w[1]!, w[2]!), family: 4 };
  return { address: address.split('%')[0]!, family: 6 };
}

/** Why an address may not be reached (before the allow-list is asked), or null for a public one. */
export function refusalOf(address: string): OutboundRefusal | null {
  const unwrapped = unwrapAddress(address);
  const type = unwrapped.family === 4 ? 'ipv4' : 'ipv6';
  for (const [reason, list] of refusedLists) {
    if (list.check(unwrapped.address, type)) return reason;
  }
  return null;
}

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * OUTBOUND_ALLOWLIST → its entries (host names, addresses, CIDR ranges), or a problem text naming
 * the entries that are none of those.
 */
export function parseOutboundAllowlist(text: string): readonly string[] | string {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const bad = entries.filter((entry) => {
    const [address = '', prefix, ...more] = entry.split('/');
    const family = isIP(address);
    if (family === 0) return prefix !== undefined || !HOST_NAME.test(entry);
    if (more.length > 0) return true;
    if (prefix === undefined) return false;
    const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    return !(bits >= 0 && bits <= (family === 4 ? 32 : 128));
  });
  return bad.length === 0
    ? Object.freeze(entries.map((e) => e.toLowerCase()))
    : `not a host name, address or CIDR range: ${bad.map((b) => JSON.stringify(b)).join(', ')}`;
}

/** Resolves a host name to every address (dns.lookup with all, as the system resolver answers). */
export type Resolver = (host: string) => Promise<readonly LookupAddress[]>;

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * The most an answer's body may hold. Everything fetched here is small (a discovery document, a
 * JWKS, a token or UserInfo answer, a webhook receiver's reply, which is read only to free the
 * connection); a server that streams more would otherwise grow this process's memory for as long
 * as a timeout allows, at every organisation's expense.
 */
export const OUTBOUND_MAX_RESPONSE_BYTES = 1024 * 1024;

export interface OutboundOptions {
  /** OUTBOUND_ALLOWLIST's entries: host names, addresses and CIDR ranges reachable although private. */
  readonly allowlist: readonly string[];
  /** Name resolution; the system's by default. */
  readonly resolve?: Resolver;
  /** Largest answer body read (default OUTBOUND_MAX_RESPONSE_BYTES). */
  readonly maxResponseBytes?: number;
}

/** The system-error-like cause a too-large answer fails with, as fetch's network failures do. */
function tooLarge(limit: number): Error & { code: string } {
  return Object.assign(new Error(`the answer is larger than ${limit} bytes`), {
    code: 'ERESPONSETOOLARGE',
  });
}

export interface OutboundTarget {
  /** The first address, the one a single connection attempt uses. */
  readonly address: string;
  readonly family: 4 | 6;
  /** Every address the host resolved to, each judged: what happy eyeballs may try in turn. */
  readonly addresses: readonly { readonly address: string; readonly family: 4 | 6 }[];
}

export interface OutboundGuard {
  /**
   * Resolves the URL's host and judges every address it resolves to: the address to connect to,
   * or OutboundRefusedError. A name that does not resolve throws the resolver's error.
   */
  readonly resolve: (url: URL) => Promise<OutboundTarget>;
  /**
   * The check when an owner configures a URL: refused (OutboundRefusedError) if it is not http(s)
   * or its host resolves to a refused address. A host that does not resolve (yet) passes, and so
   * does text that is no URL (the caller validates it); every request checks again.
   */
  readonly check: (url: string | URL) => Promise<void>;
  /**
   * fetch() that connects only to the address `resolve` judged, follows no redirect (a 3xx comes
   * back as it is) and refuses as `resolve` does. Network failures reject as fetch's do (a
   * TypeError whose `cause` has the system error `code`); an aborted signal rejects with its reason.
   * An answer whose body is larger than the limit fails the same way (cause code
   * ERESPONSETOOLARGE): at once when its Content-Length says so, else when reading passes it.
   */
  readonly fetch: (input: string | URL, init?: RequestInit) => Promise<Response>;
}

export function createOutboundGuard(options: OutboundOptions): OutboundGuard {
  const resolver = options.resolve ?? systemResolver;
  const maxResponseBytes = options.maxResponseBytes ?? OUTBOUND_MAX_RESPONSE_BYTES;
  const allowedHosts = new Set<string>();
  const allowedAddresses = new BlockList();
  for (const entry of options.allowlist) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) allowedHosts.add(entry.toLowerCase().replace(/\.$/, ''));
    else {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) allowedAddresses.addAddress(address, type);
      else allowedAddresses.addSubnet(address, Number(prefix), type);
    }
  }

  const hostOf = (url: URL) =>
    url.hostname
      .replace(/^\[|\]$/g, '')
      .toLowerCase()
      .replace(/\.$/, '');

  function allowed(address: string): boolean {
    const plain = address.split('%')[0]!;
    const unwrapped = unwrapAddress(plain);
    return (
      allowedAddresses.check(plain, isIP(plain) === 4 ? 'ipv4' : 'ipv6') ||
      allowedAddresses.check(unwrapped.address, unwrapped.family === 4 ? 'ipv4' : 'ipv6')
    );
  }

  function judge(host: string, address: string): void {
    const reason = refusalOf(address);
    if (reason === null || allowedHosts.has(host) || allowed(address)) return;
    const resolved = isIP(host) === 0 ? ` resolves to ${DESCRIBED[reason]}` : ` is ${DESCRIBED[reason]}`;
    throw new OutboundRefusedError(
      reason,
      host,
      `Requests to "${host}" are refused: it${resolved}. Seatkeeper does not call addresses inside ` +
        'its own host or private networks unless the operator allows them (OUTBOUND_ALLOWLIST).',
    );
  }

  function requireHttp(url: URL): void {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new OutboundRefusedError(
        'not_http',
        hostOf(url),
        `Only http(s) URLs are called, not ${url.protocol}.`,
      );
    }
  }

  async function resolve(url: URL): Promise<OutboundTarget> {
    requireHttp(url);
    const host = hostOf(url);
    const literal = isIP(host);
    // Every address must pass: the connection could otherwise be steered to a refused one.
    const addresses: readonly LookupAddress[] =
      literal === 0 ? await resolver(host) : [{ address: host, family: literal }];
    if (addresses.length === 0)
      throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
    for (const { address } of addresses) judge(host, address);
    const judged = addresses.map((a) => ({
      address: a.address,
      family: a.family === 6 ? (6 as const) : (4 as const),
    }));
    return { ...judged[0]!, addresses: judged };
  }

  async function check(input: string | URL): Promise<void> {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return; // not a URL at all: the caller's own validation names that, with the field
    }
    requireHttp(url);
    try {
      await resolve(url);
    } catch (error) {
      if (error instanceof OutboundRefusedError) throw error;
      // Does not resolve (yet): accepted now, judged again at every request.
    }
  }

  // Dedicated agents: a kept-alive socket goes back only to requests of this guard, whose
  // addresses were judged when the socket was opened.
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };

  async function guardedFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input);
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const target = await resolve(url);
    signal?.throwIfAborted();
    const request = new Request(url, { ...init, redirect: 'manual' });
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    if (body) headers['content-length'] = String(body.length);
    if (!('user-agent' in headers)) headers['user-agent'] = 'Seatkeeper';
    // The connection goes to the judged address whatever the name resolves to by now; the Host
    // header and the TLS server name stay the URL's host (RFC 9110 §7.2, RFC 6066 §3).
    const lookup = (
      _host: string,
      opts: LookupOptions,
      callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
    ) => {
      if (opts.all)
        callback(
          null,
          target.addresses.map((a) => ({ ...a })),
        );
      else callback(null, target.address, target.family);
    };
    const lib = url.protocol === 'https:' ? https : http;

    return new Promise<Response>((resolvePromise, reject) => {
      let answered: http.IncomingMessage | undefined;
      const onAbort = () => {
        const reason: unknown = signal?.reason;
        req.destroy();
        answered?.destroy(reason instanceof Error ? reason : undefined);
        reject(reason instanceof Error ? reason : new Error('aborted'));
      };
      const req = lib.request(url, {
        method: request.method,
        headers,
        agent: agents[url.protocol as 'http:' | 'https:'],
        lookup,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new TypeError('fetch failed', { cause: error }));
      });
      req.on('response', (res) => {
        answered = res;
        res.on('end', () => signal?.removeEventListener('abort', onAbort));
        res.on('close', () => signal?.removeEventListener('abort', onAbort));
        try {
          const responseHeaders = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          }
          const status = res.statusCode ?? 0;
          const noBody = request.method === 'HEAD' || [204, 205, 304].includes(status);
          if (noBody) res.resume();
          const declared = Number(res.headers['content-length']);
          if (!noBody && declared > maxResponseBytes) {
            res.destroy();
            reject(new TypeError('fetch failed', { cause: tooLarge(maxResponseBytes) }));
            return;
          }
          resolvePromise(
            new Response(noBody ? null : (Readable.toWeb(bounded(res)) as ReadableStream<Uint8Array>), {
              status,
              statusText: res.statusMessage ?? '',
              headers: responseHeaders,
            }),
          );
        } catch (error) {
          res.destroy();
          reject(new TypeError('fetch failed', { cause: error }));
        }
      });
      req.end(body);
    });
  }

  /**
   * The answer's body, failing once more than the limit has arrived (chunked answers, or a
   * Content-Length that understated); the connection is then closed, so nothing more is read.
   */
  function bounded(res: http.IncomingMessage): Readable {
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        if (received > maxResponseBytes) {
          res.destroy();
          callback(new TypeError('fetch failed', { cause: tooLarge(maxResponseBytes) }));
        } else callback(null, chunk);
      },
    });
    // A connection that breaks or closes early fails the body too (premature close), as it would
    // without the counter.
    pipeline(res, counter, () => undefined);
    return counter;
  }

  return { resolve, check, fetch: guardedFetch };
}
