// How a composed mail leaves the process: over SMTP to the configured server, or, without one,
// as an .eml file in the mail directory (so nothing is lost on a machine with no mail server, and
// a newcomer can open what would have been sent).
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { OutboxRow } from '../domain/records.js';

/** A mail as the worker hands it over: the outbox row, which fixes every header but From. */
export type OutboundMail = Pick<
  OutboxRow,
  'id' | 'recipient' | 'subject' | 'text' | 'html' | 'messageId' | 'createdAt'
>;

export interface MailTransport {
  /** For logs: where mail goes, never with credentials ("smtp mail.example.com:587"). */
  readonly description: string;
  /** Resolves once the server (or the file system) has accepted the message; throws otherwise. */
  send(mail: OutboundMail): Promise<void>;
  close(): void;
}

export interface TransportOptions {
  /** smtp:// or smtps:// URL, or null for the file transport. */
  readonly smtpUrl: string | null;
  /** From header and envelope sender. */
  readonly from: string;
  /** The file transport's directory. */
  readonly dir: string;
}

/** Bounds on one SMTP conversation; the worker's lease is longer than all of them together. */
export const SMTP_TIMEOUTS_MS = { connection: 30_000, greeting: 30_000, socket: 60_000 } as const;

export function createTransport(options: TransportOptions): MailTransport {
  return options.smtpUrl === null
    ? createFileTransport(options.dir, options.from)
    : createSmtpTransport(options.smtpUrl, options.from);
}

/** The SMTP server's address as it may be logged: scheme, host and port, no credentials. */
export function smtpHost(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

/** nodemailer's message options for one outbox row; every header is fixed by the row. */
function message(mail: OutboundMail, from: string) {
  return {
    from,
    to: mail.recipient,
    subject: mail.subject,
    text: mail.text,
    ...(mail.html === null ? {} : { html: mail.html }),
    // The same Message-ID on every attempt (RFC 5322 §3.6.4), so a receiver can tell a repeat.
    messageId: mail.messageId,
    // RFC 5322 §3.6.1: the origination date is when the message was ready to be sent, i.e. when
    // the change that caused it committed, not when a retry finally got through.
    date: new Date(mail.createdAt),
    headers: {
      // RFC 3834 §5: machine-generated, so auto-responders do not answer it.
      'Auto-Submitted': 'auto-generated',
    },
  };
}

export function createSmtpTransport(url: string, from: string): MailTransport {
  const secrets = credentialsOf(url);
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: SMTP_TIMEOUTS_MS.connection,
    greetingTimeout: SMTP_TIMEOUTS_MS.greeting,
    socketTimeout: SMTP_TIMEOUTS_MS.socket,
  });
  return {
    description: `smtp ${smtpHost(url)}`,
    async send(mail) {
      try {
        await transporter.sendMail(message(mail, from));
      } catch (error) {
        throw scrub(error, secrets);
      }
    },
    close: () => transporter.close(),
  };
}

/**
 * Writes each mail to `<dir>/<outbox id>.eml` (RFC 5322 text, CRLF line ends): to a temporary file
 * first, flushed to disk, then renamed over the final name, so the file is either complete or
 * absent, and a redelivery after a crash replaces it instead of adding a second copy.
 */
export function createFileTransport(dir: string, from: string): MailTransport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let made = false;
  return {
    description: `files ${dir}`,
    async send(mail) {
      const info = await composer.sendMail(message(mail, from));
      if (!made) {
        mkdirSync(dir, { recursive: true });
        made = true;
      }
      const name = `${String(mail.id).padStart(8, '0')}.eml`;
      const temp = join(dir, `.${name}.${process.pid}.tmp`);
      const fd = openSync(temp, 'w', 0o640);
      try {
        writeFileSync(fd, info.message as Buffer);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, join(dir, name));
      syncDirectory(dir);
    },
    close: () => composer.close(),
  };
}

/** Makes the rename itself durable (the directory entry), where the platform allows it. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * True when retrying cannot help: the server refused this recipient or this message with a
 * permanent (5yz) reply (RFC 5321 §4.2.1). Everything else, including 5yz replies to the
 * connection or login (a server or configuration problem an operator can fix), is retried.
 */
export function isPermanentFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  return (
    typeof responseCode === 'number' &&
    responseCode >= 500 &&
    responseCode < 600 &&
    (code === 'EENVELOPE' || code === 'EMESSAGE')
  );
}

/** The URL's password, as written and decoded (the user name is no secret, and too common a word). */
function credentialsOf(url: string): string[] {
  const { password } = new URL(url);
  return [...new Set([password, decodeURIComponent(password)])].filter((s) => s.length > 0);
}

/**
 * The error with any credential of the SMTP URL blanked out of its message and stack (errors get
 * logged and stored in the outbox row), keeping nodemailer's code and the server's reply code.
 */
function scrub(error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof Error) || secrets.length === 0) return error;
  const blank = (text: string) => secrets.reduce((t, secret) => t.split(secret).join('***'), text);
  if (blank(`${error.message}\n${error.stack ?? ''}`) === `${error.message}\n${error.stack ?? ''}`) {
    return error;
  }
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  const clean = Object.assign(new Error(blank(error.message)), { code, responseCode });
  clean.stack = blank(error.stack ?? clean.message);
  return clean;
}
