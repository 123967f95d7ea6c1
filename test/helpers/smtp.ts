// A real SMTP server on 127.0.0.1 for tests: it records every message it accepts, decoded (headers
// with RFC 2047 encoded words, text and HTML parts in quoted-printable or base64), and can be told
// to refuse, to stall, or to be down for a while. Also a small MIME reader for .eml files.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ParsedMail {
  /** Header fields by lower-case name, unfolded and decoded; the first occurrence of each. */
  readonly headers: Readonly<Record<string, string>>;
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  readonly messageId: string;
  readonly date: string;
  /** The text/plain part, decoded; '' if none. */
  readonly text: string;
  /** The text/html part, decoded; '' if none. */
  readonly html: string;
  /** Every http(s) URL in the text part, in order: the links a recipient would follow. */
  readonly links: readonly string[];
}

export interface ReceivedMail extends ParsedMail {
  /** MAIL FROM, RCPT TO: what the server was asked, whatever the headers say. */
  readonly envelopeFrom: string;
  readonly envelopeTo: readonly string[];
  /** The message as received (dot-unstuffed), CRLF line ends. */
  readonly raw: string;
  /** The user the client authenticated as, if it did. */
  readonly user: string | null;
}

export interface TestSmtpServer {
  /** smtp://[user:pass@]127.0.0.1:PORT, ready for SMTP_URL. */
  readonly url: string;
  readonly port: number;
  /** Messages accepted so far, in order. */
  readonly messages: readonly ReceivedMail[];
  /** Recipients refused (RCPT TO answered with an error) so far. */
  readonly refusals: number;
  /** Resolves with the messages once `count` have been accepted; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<readonly ReceivedMail[]>;
  /** Refuses every recipient from now on with `code` (4yz: try later; 5yz: for good). */
  refuse(code?: number, text?: string): void;
  /** Takes messages but never answers the end of DATA (a stuck server), until accept() or close(). */
  stall(): void;
  /**
   * Runs `hook` for each message after it is recorded and before the server answers 250 (say, to
   * kill the client in the window between the server taking a message and the client hearing so).
   */
  beforeReply(hook: ((mail: ReceivedMail) => void | Promise<void>) | null): void;
  /** Back to accepting. */
  accept(): void;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

export interface SmtpOptions {
  /** Require AUTH PLAIN/LOGIN with these credentials (they end up in `url`). */
  readonly auth?: { readonly user: string; readonly pass: string };
  /** Port to listen on; 0 (default) picks a free one. Reuse a closed server's port to bring it "back up". */
  readonly port?: number;
}

/** Starts a plain-text SMTP server (no STARTTLS: tests need no certificates) on 127.0.0.1. */
export async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const stalled = new Set<() => void>();
  let mode: { kind: 'accept' } | { kind: 'refuse'; code: number; text: string } | { kind: 'stall' } = {
    kind: 'accept',
  };
  let refusals = 0;
  let hook: ((mail: ReceivedMail) => void | Promise<void>) | null = null;

  const serverOptions: SMTPServerOptions = {
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.auth,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.auth?.user && auth.password === options.auth?.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
      }
    },
    onRcptTo(_address, _session, callback) {
      if (mode.kind === 'refuse') {
        refusals += 1;
        callback(Object.assign(new Error(mode.text), { responseCode: mode.code }));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const finish = () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const mail: ReceivedMail = {
            ...parseMail(raw),
            raw,
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            user: typeof session.user === 'string' ? session.user : null,
          };
          messages.push(mail);
          for (const wake of waiters) wake();
          void Promise.resolve(hook?.(mail)).finally(() => callback(null, 'Queued'));
        };
        if (mode.kind === 'stall') stalled.add(finish);
        else finish();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  // A client that vanishes mid-conversation (a test killed it) is expected, not a failure.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : '';

  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    port,
    messages,
    get refusals() {
      return refusals;
    },
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(messages);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} messages within ${timeoutMs} ms, got ${messages.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    refuse(code = 451, text = 'Try again later') {
      mode = { kind: 'refuse', code, text };
    },
    stall() {
      mode = { kind: 'stall' };
    },
    beforeReply(next) {
      hook = next;
    },
    accept() {
      mode = { kind: 'accept' };
      for (const finish of stalled) finish();
      stalled.clear();
    },
    close() {
      stalled.clear(); // a stalled client sees its connection dropped, not an answer
      return new Promise<void>((resolve) => {
        for (const connection of server.connections as Set<{ close?: () => void }>) connection.close?.();
        server.close(() => resolve());
      });
    },
  };
}

/** Decodes a quoted-printable body (RFC 2045 §6.7) into UTF-8 text. */
export function decodeQuotedPrintable(body: string): string {
  const bytes: number[] = [];
  const text = body.replace(/=\r?\n/g, ''); // soft line breaks
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Decodes RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=) in a header value. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?)/g, '$1') // whitespace between encoded words is not text
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_all, _charset: string, encoding: string, data: string) =>
      encoding.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

interface Part {
  readonly headers: Record<string, string>;
  readonly body: string;
}

function splitPart(raw: string): Part {
  const normalised = raw.replace(/\r\n/g, '\n');
  const end = normalised.indexOf('\n\n');
  const head = end === -1 ? normalised : normalised.slice(0, end);
  const body = end === -1 ? '' : normalised.slice(end + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = decodeEncodedWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(part: Part): string {
  const encoding = (part.headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body);
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return part.body;
}

/** Every leaf part of a (possibly nested) multipart message. */
function leaves(part: Part): Part[] {
  const type = part.headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!/^multipart\//i.test(type) || boundary === undefined) return [part];
  const sections = part.body.split(`--${boundary}`);
  // Before the first delimiter is the preamble; from "--boundary--" on, the epilogue.
  return sections
    .slice(1)
    .filter((s) => !s.startsWith('--'))
    .flatMap((s) => leaves(splitPart(s.replace(/^\n/, '').replace(/\n$/, ''))));
}

/** Reads an RFC 5322 message (as received, or an .eml file). */
export function parseMail(raw: string): ParsedMail {
  const top = splitPart(raw);
  const parts = leaves(top);
  const ofType = (type: string) =>
    parts.find((p) => (p.headers['content-type'] ?? 'text/plain').toLowerCase().startsWith(type));
  const textPart = ofType('text/plain');
  const htmlPart = ofType('text/html');
  const text = textPart ? decodeBody(textPart).replace(/\r\n/g, '\n') : '';
  return {
    headers: top.headers,
    subject: top.headers['subject'] ?? '',
    from: top.headers['from'] ?? '',
    to: top.headers['to'] ?? '',
    messageId: top.headers['message-id'] ?? '',
    date: top.headers['date'] ?? '',
    text,
    html: htmlPart ? decodeBody(htmlPart).replace(/\r\n/g, '\n') : '',
    links: text.match(/https?:\/\/[^\s<>"]+/g) ?? [],
  };
}
