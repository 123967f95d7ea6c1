-- Email: the durable outbox every mail goes through, and the owners' seat-threshold notices.
--
-- A mail is a row written in the same transaction as the change that causes it, so it exists
-- exactly when the change committed; the delivery worker (mail/worker.ts) sends it afterwards.
-- Portability: valid PostgreSQL as written, except INTEGER PRIMARY KEY (GENERATED ALWAYS AS
-- IDENTITY there). Times are ISO 8601 instants in UTC, so text order is time order.

/**
 * One email to one recipient. Delivered at least once: a row is leased (lease_until) by one
 * worker at a time with a conditional UPDATE, sent outside any transaction, then marked
 * delivered. A crash after the SMTP server accepted it and before delivered_at was written sends
 * it again, with the same Message-ID, so the receiver can recognise the repeat.
 */
CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  /** The organisation the mail is about; null for mail about no organisation. */
  organisation_id  INTEGER REFERENCES organisations (id),
  /** What the mail is (mail/outbox.ts MailKind): invitation, sign_in_link, seat_threshold, … */
  kind             TEXT NOT NULL,
  /** One addr-spec (RFC 5322 §3.4.1); one row per recipient, so each is retried on its own. */
  recipient        TEXT NOT NULL,
  subject          TEXT NOT NULL,
  /** The plain-text body; always present and readable on its own. */
  text_body        TEXT NOT NULL,
  /** The HTML alternative, if any (sent as multipart/alternative with the text). */
  html_body        TEXT,
  /** The RFC 5322 §3.6.4 Message-ID, `<left@right>`, fixed at enqueue and sent on every attempt. */
  message_id       TEXT NOT NULL UNIQUE,
  /** When the change that caused the mail committed; also the mail's Date header. */
  created_at       TEXT NOT NULL,
  /** Not tried before this instant (creation, then each retry's backoff). */
  next_attempt_at  TEXT NOT NULL,
  /** Delivery attempts begun so far (counted when a worker leases the row). */
  attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  /** A worker is sending the row until this instant; another may take it over only after it. */
  lease_until      TEXT,
  /** When the SMTP server (or the mail directory) accepted the message. */
  delivered_at     TEXT,
  /** When delivery was given up (attempts exhausted, or refused for good); the row is kept. */
  failed_at        TEXT,
  /** The last attempt's error, for the operator; never holds credentials. */
  last_error       TEXT,
  CHECK (delivered_at IS NULL OR failed_at IS NULL)
);
/** The worker's due query: undelivered, not given up, by next attempt. */
CREATE INDEX outbox_due ON outbox (next_attempt_at, id)
  WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_by_org ON outbox (organisation_id, id);

/**
 * Seat-usage percentages (of a tier's allocation) at which owners are mailed, a JSON array of
 * integers 1–100, ascending, at most five. Set by owners (seats/notices.ts validates it).
 */
ALTER TABLE organisations ADD COLUMN notice_thresholds TEXT NOT NULL DEFAULT '[80,90,100]';

/**
 * Thresholds a tier's usage has reached and the owners were told about. A row exists from the
 * claim that reaches the threshold until usage falls below it again (the notice re-arms), so each
 * crossing is mailed once; the primary key makes two concurrent crossings insert one row.
 */
CREATE TABLE threshold_crossings (
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  tier_id          TEXT NOT NULL REFERENCES tiers (id),
  /** Percent of the allocation, one of the organisation's notice_thresholds when recorded. */
  threshold        INTEGER NOT NULL CHECK (threshold BETWEEN 1 AND 100),
  crossed_at       TEXT NOT NULL,
  PRIMARY KEY (organisation_id, tier_id, threshold)
);
