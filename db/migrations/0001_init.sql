-- Organisations, their annual contracts, the tiered seat pool, members, invitations, quotes,
-- invoices and the audit log. Invariants that must hold under concurrency and after a crash are
-- written as constraints here, so no code path can break them.
--
-- Portability: every statement below is also valid PostgreSQL except the audit-log triggers
-- (PostgreSQL needs a trigger function) and INTEGER PRIMARY KEY (GENERATED ALWAYS AS IDENTITY).

/** Seat tiers as ordered data: a third tier is a row, not a code change. Higher rank = more. */
CREATE TABLE tiers (
  id    TEXT PRIMARY KEY,
  name  TEXT NOT NULL,
  rank  INTEGER NOT NULL UNIQUE
);

INSERT INTO tiers (id, name, rank) VALUES ('standard', 'Standard', 10), ('premium', 'Premium', 20);

CREATE TABLE organisations (
  id                 INTEGER PRIMARY KEY,
  /** URL-safe, unique, used to start sign-in and in the CLI. */
  slug               TEXT NOT NULL UNIQUE,
  name               TEXT NOT NULL,
  /** How members arrive beyond manual invitations. */
  provisioning_mode  TEXT NOT NULL DEFAULT 'invite_only'
                     CHECK (provisioning_mode IN ('invite_only', 'jit', 'scim')),
  /** What a directory push does when no seat is free: refuse it, or keep the user awaiting a seat. */
  seat_exhaustion    TEXT NOT NULL DEFAULT 'reject' CHECK (seat_exhaustion IN ('reject', 'hold')),
  created_at         TEXT NOT NULL
);

/** Email domains of an organisation; lower-case. A verified domain belongs to one organisation only. */
CREATE TABLE organisation_domains (
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  domain           TEXT NOT NULL CHECK (domain = lower(domain)),
  verified_at      TEXT,
  PRIMARY KEY (organisation_id, domain)
);
CREATE UNIQUE INDEX organisation_domains_verified_once ON organisation_domains (domain)
  WHERE verified_at IS NOT NULL;

/** The organisation's annual invoiced contract; one row, rolled forward term by term. */
CREATE TABLE contracts (
  organisation_id  INTEGER PRIMARY KEY REFERENCES organisations (id),
  currency         TEXT NOT NULL CHECK (length(currency) = 3),
  /** IANA zone in which the term's dates and month boundaries are reckoned. */
  time_zone        TEXT NOT NULL,
  auto_renew       INTEGER NOT NULL CHECK (auto_renew IN (0, 1)),
  /** 1 for the first term; the renewal job increments it exactly once per term. */
  term_number      INTEGER NOT NULL CHECK (term_number >= 1),
  /** First day of the current term, an ISO date in time_zone. The term lasts 12 months. */
  term_start       TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('active', 'expired')),
  created_at       TEXT NOT NULL
);

/**
 * The seat pool: per organisation and tier, the seats bought (allocation) and the seats held by
 * seated members and pending invitations (held). A claim is one conditional UPDATE
 * (held = held + 1 WHERE held < allocation); the CHECK makes over-allocation impossible even for a
 * statement that forgot the condition.
 */
CREATE TABLE seat_pools (
  organisation_id   INTEGER NOT NULL REFERENCES contracts (organisation_id),
  tier_id           TEXT NOT NULL REFERENCES tiers (id),
  /** Monthly price of one seat of this tier, in the currency's minor unit. Fixed for a term. */
  unit_price_minor  INTEGER NOT NULL CHECK (unit_price_minor >= 0),
  allocation        INTEGER NOT NULL CHECK (allocation >= 0),
  held              INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (organisation_id, tier_id),
  CHECK (held >= 0 AND held <= allocation)
);

CREATE TABLE members (
  id               INTEGER PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  email            TEXT NOT NULL,
  /** foldKey(email) (domain/fold.ts): addresses are compared case-insensitively. */
  email_key        TEXT NOT NULL,
  display_name     TEXT,
  role             TEXT NOT NULL CHECK (role IN ('primary_owner', 'owner', 'admin', 'user')),
  seat_state       TEXT NOT NULL
                   CHECK (seat_state IN ('seated', 'invited', 'unassigned', 'deactivated', 'awaiting_seat', 'unmapped', 'removed')),
  /** The tier of the seat held; present exactly when the state holds a seat. */
  tier_id          TEXT REFERENCES tiers (id),
  source           TEXT NOT NULL CHECK (source IN ('manual', 'jit', 'scim')),
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  CHECK ((seat_state IN ('seated', 'invited')) = (tier_id IS NOT NULL))
);
/**
 * Not unique: identity providers may give two directory users one address (RFC 7644 makes only
 * userName unique). Invitations refuse an address a live member already has (provisioning/members.ts).
 */
CREATE INDEX members_by_email ON members (organisation_id, email_key);
CREATE UNIQUE INDEX members_one_primary_owner ON members (organisation_id) WHERE role = 'primary_owner';
-- (no index on seat_state: every claim and release would rewrite it; per-tier counts scan the
-- organisation's rows through members_by_email, and only administrators ask for them)

/** An invitation holds its member's seat (state 'invited') until accepted, revoked or expired. */
CREATE TABLE invitations (
  id               INTEGER PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  member_id        INTEGER NOT NULL REFERENCES members (id),
  /** SHA-256 of the single-use link's secret; the secret itself is never stored. */
  token_hash       TEXT UNIQUE,
  sent_at          TEXT NOT NULL,
  expires_at       TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
  ended_at         TEXT
);
CREATE UNIQUE INDEX invitations_one_pending ON invitations (member_id) WHERE status = 'pending';
CREATE INDEX invitations_by_expiry ON invitations (status, expires_at);

/** A priced proposal to add or upgrade seats. No side effect until confirmed; expires. */
CREATE TABLE quotes (
  id               TEXT PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  term_number      INTEGER NOT NULL,
  actor_type       TEXT NOT NULL,
  actor_id         TEXT,
  created_at       TEXT NOT NULL,
  expires_at       TEXT NOT NULL,
  /** JSON: what was asked (adds per tier, upgrade count, members to move). */
  request          TEXT NOT NULL,
  /** JSON: the pool as priced (allocation and held per tier); a different pool makes the quote stale. */
  basis            TEXT NOT NULL,
  /** JSON: the invoice lines the confirm will issue. */
  lines            TEXT NOT NULL,
  total_minor      INTEGER NOT NULL,
  currency         TEXT NOT NULL,
  /** Caller-chosen key: the same key returns the same quote instead of a second one. */
  idempotency_key  TEXT,
  UNIQUE (organisation_id, idempotency_key)
);

CREATE TABLE invoices (
  id               INTEGER PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  /** Human-facing number, unique: SLUG-0001, counted per organisation. */
  number           TEXT NOT NULL UNIQUE,
  kind             TEXT NOT NULL CHECK (kind IN ('initial', 'purchase', 'renewal')),
  term_number      INTEGER NOT NULL,
  issued_at        TEXT NOT NULL,
  currency         TEXT NOT NULL,
  total_minor      INTEGER NOT NULL,
  /** The quote this purchase invoice confirms; unique, so a quote is bought at most once. */
  quote_id         TEXT UNIQUE REFERENCES quotes (id)
);
/** One term invoice (initial or renewal) per organisation and term, however often the job runs. */
CREATE UNIQUE INDEX invoices_one_per_term ON invoices (organisation_id, term_number)
  WHERE kind IN ('initial', 'renewal');

CREATE TABLE invoice_lines (
  invoice_id        INTEGER NOT NULL REFERENCES invoices (id),
  line_no           INTEGER NOT NULL,
  tier_id           TEXT NOT NULL REFERENCES tiers (id),
  action            TEXT NOT NULL CHECK (action IN ('term', 'add', 'upgrade')),
  description       TEXT NOT NULL,
  quantity          INTEGER NOT NULL CHECK (quantity > 0),
  /** Per seat per month: the tier's price, or for an upgrade the price difference. */
  unit_price_minor  INTEGER NOT NULL,
  /** Months billed, exactly: months_num / months_den. */
  months_num        INTEGER NOT NULL,
  months_den        INTEGER NOT NULL CHECK (months_den > 0),
  period_start      TEXT NOT NULL,
  period_end        TEXT NOT NULL,
  /** quantity × unit price × months, rounded once, half up. */
  amount_minor      INTEGER NOT NULL,
  PRIMARY KEY (invoice_id, line_no)
);

/**
 * Append-only record of every seat, member, role, billing and configuration change: who, what,
 * before and after (JSON), when, and the invoice where money moved. Ids give the order of events.
 */
CREATE TABLE audit_log (
  id               INTEGER PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  at               TEXT NOT NULL,
  actor_type       TEXT NOT NULL CHECK (actor_type IN ('member', 'scim_token', 'jit', 'operator', 'system')),
  actor_id         TEXT,
  action           TEXT NOT NULL,
  subject_type     TEXT NOT NULL,
  subject_id       TEXT NOT NULL,
  before           TEXT,
  after            TEXT,
  invoice_id       INTEGER REFERENCES invoices (id)
);
CREATE INDEX audit_log_by_org ON audit_log (organisation_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
