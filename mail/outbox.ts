// Enqueueing mail: the one way code sends email. A mail is an outbox row written inside the
// caller's write transaction, so it exists exactly when the change that caused it committed; the
// delivery worker (mail/worker.ts) sends it afterwards, at least once.
import { randomUUID } from 'node:crypto';
import { parseInstant } from '../domain/clock.js';
import { ValidationError } from '../domain/errors.js';
import type { Queries } from '../db/port.js';

/** What a mail is; stored with it, so the outbox can be read by kind. */
export type MailKind =
  | 'invitation'
  | 'sign_in_link'
  | 'ownership_transfer'
  | 'seat_threshold'
  | 'no_seats_for_sign_in'
  | 'seat_request'
  | 'seat_request_decided';

export interface OutgoingMail {
  /** The organisation the mail is about, or null. */
  readonly organisationId: number | null;
  readonly kind: MailKind;
  /** One address (addr-spec, RFC 5322 §3.4.1); one mail per recipient. */
  readonly to: string;
  readonly subject: string;
  /** The plain-text body, complete on its own. */
  readonly text: string;
  /** An HTML alternative of the same content (mail/messages.ts escapes what it interpolates). */
  readonly html?: string;
}

/**
 * The right-hand side of every Message-ID. RFC 5322 §3.6.4 asks only that the whole id be
 * globally unique; the random left part carries that, and a reserved domain (RFC 2606 `.invalid`)
 * can never collide with anyone else's ids.
 */
const MESSAGE_ID_DOMAIN = 'outbox.seatkeeper.invalid';

// A practical addr-spec: one local part, one domain with a dot, nothing that could end a header
// line or start another address (RFC 5322 §2.2: header fields must not contain a bare CR or LF).
const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/** True when `address` can be a recipient as given. */
export function isMailAddress(address: string): boolean {
  return address.length <= 254 && ADDRESS.test(address);
}

/** A fresh RFC 5322 Message-ID, angle brackets included. */
export function newMessageId(): string {
  return `<${randomUUID()}@${MESSAGE_ID_DOMAIN}>`;
}

/**
 * Writes `mail` to the outbox inside the caller's transaction (it never opens one of its own: call
 * it from within `store.write`) and returns the outbox id. If that transaction rolls back, the
 * mail is never sent. `at` is the instant of the change (ISO 8601); the mail is due at once.
 */
export async function enqueueMail(q: Queries, mail: OutgoingMail, at: string): Promise<number> {
  if (!isMailAddress(mail.to)) {
    throw new ValidationError(`"${mail.to}" is not an email address mail can be sent to.`, {
      to: mail.to,
    });
  }
  if (/[\r\n]/.test(mail.subject)) {
    throw new ValidationError('A mail subject must be one line.', { kind: mail.kind });
  }
  return await q.outbox.insert({
    organisationId: mail.organisationId,
    kind: mail.kind,
    recipient: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html ?? null,
    messageId: newMessageId(),
    // Normalised to UTC, so the worker's text comparisons of instants are time comparisons.
    at: parseInstant(at).toISO()!,
  });
}
