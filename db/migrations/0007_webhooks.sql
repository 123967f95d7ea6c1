-- Webhooks: events for downstream apps, delivered from a durable outbox like mail.
--
-- An event is written in the same transaction as the change it reports (webhooks/events.ts
-- derives it from the change's audit row), with one delivery row per endpoint that subscribes to
-- it; the delivery worker (webhooks/worker.ts) posts it afterwards, at least once, in order per
-- member and endpoint. Portability: valid PostgreSQL as written, except INTEGER PRIMARY KEY
-- (GENERATED ALWAYS AS IDENTITY there). Times are ISO 8601 instants in UTC: text order is time order.

/** An owner's receiving URL, and which event types it wants. */
CREATE TABLE webhook_endpoints (
  id               INTEGER PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  url              TEXT NOT NULL,
  description      TEXT NOT NULL DEFAULT '',
  /** JSON array of event types (webhooks/events.ts EVENT_TYPES), or ["*"] for every type. */
  events           TEXT NOT NULL,
  /**
   * The HMAC-SHA256 key deliveries are signed with. Unlike a bearer token it cannot be stored as a
   * hash: the server needs the key itself to sign. Shown to the owner once, never returned again.
   */
  secret           TEXT NOT NULL,
  enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  /** Deleted endpoints stay, so their delivery log can still be read; nothing is sent to them. */
  deleted_at       TEXT
);
CREATE INDEX webhook_endpoints_live ON webhook_endpoints (organisation_id, id) WHERE deleted_at IS NULL;

/** One event, with the exact body every endpoint receives for it. */
CREATE TABLE webhook_events (
  id               INTEGER PRIMARY KEY,
  /** The event id receivers deduplicate by (`evt_` + UUID); the same in every delivery of it. */
  public_id        TEXT NOT NULL UNIQUE,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  type             TEXT NOT NULL,
  /** The member the event is about, if any: deliveries about one member keep their order. */
  member_id        INTEGER REFERENCES members (id),
  body             TEXT NOT NULL,
  created_at       TEXT NOT NULL
);

/**
 * One event to one endpoint. Leased by one worker at a time with a conditional UPDATE, posted
 * outside any transaction, then marked delivered (a 2xx answer), retried with backoff, or given up.
 * A redelivery asked for by an owner is a new row for the same event.
 */
CREATE TABLE webhook_deliveries (
  id               INTEGER PRIMARY KEY,
  endpoint_id      INTEGER NOT NULL REFERENCES webhook_endpoints (id),
  event_id         INTEGER NOT NULL REFERENCES webhook_events (id),
  /** Copied from the event: a delivery waits for the endpoint's earlier unfinished ones of the same member. */
  member_id        INTEGER,
  created_at       TEXT NOT NULL,
  next_attempt_at  TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  lease_until      TEXT,
  delivered_at     TEXT,
  failed_at        TEXT,
  /** The last attempt's HTTP status (null: no answer) and error, for the owner's delivery log. */
  last_status      INTEGER,
  last_error       TEXT,
  CHECK (delivered_at IS NULL OR failed_at IS NULL)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
  WHERE delivered_at IS NULL AND failed_at IS NULL;
/** The order check: is an earlier delivery of this member to this endpoint still unfinished? */
CREATE INDEX webhook_deliveries_unfinished ON webhook_deliveries (endpoint_id, member_id, id)
  WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);

/** Every attempt of a delivery: when, how long, what the receiver answered. */
CREATE TABLE webhook_attempts (
  id               INTEGER PRIMARY KEY,
  delivery_id      INTEGER NOT NULL REFERENCES webhook_deliveries (id),
  started_at       TEXT NOT NULL,
  duration_ms      INTEGER NOT NULL CHECK (duration_ms >= 0),
  /** The HTTP status the receiver answered; null when it did not (refused, timed out). */
  status           INTEGER,
  error            TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
