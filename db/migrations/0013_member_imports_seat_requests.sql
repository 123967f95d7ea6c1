-- Member CSV imports (the dry-run report kept until it is applied, so "Send N invitations" sends
-- what was reviewed, once) and seat requests (a person asking the administrators for a seat).

CREATE TABLE member_imports (
  id               INTEGER PRIMARY KEY,
  /** The report id the console applies: `imp_` and 128 random bits. */
  public_id        TEXT NOT NULL UNIQUE,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  created_at       TEXT NOT NULL,
  /** A report older than this is refused: the seats it counted may have moved. */
  expires_at       TEXT NOT NULL,
  /** The parsed rows as JSON, in file order. */
  rows             TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'reviewed' CHECK (status IN ('reviewed', 'applied')),
  applied_at       TEXT,
  /** What applying did, row by row (JSON): a second apply answers it again. */
  result           TEXT
);

CREATE TABLE seat_requests (
  id               INTEGER PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  /** The member asking; null for a person refused at sign-in, who has no member account. */
  member_id        INTEGER REFERENCES members (id),
  email            TEXT NOT NULL,
  /** fold_key(email): one open request per person and tier. */
  email_key        TEXT NOT NULL,
  display_name     TEXT,
  tier_id          TEXT NOT NULL REFERENCES tiers (id),
  note             TEXT,
  /** `member`: asked from the console; `sign_in`: asked from the page refusing an SSO sign-in. */
  origin           TEXT NOT NULL CHECK (origin IN ('member', 'sign_in')),
  status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'granted', 'declined')),
  created_at       TEXT NOT NULL,
  decided_at       TEXT,
  /** The deciding actor as audited (JSON). */
  decided_by       TEXT,
  /** An optional reason given with a decline. */
  reason           TEXT
);

CREATE UNIQUE INDEX seat_requests_one_open ON seat_requests (organisation_id, email_key, tier_id)
  WHERE status = 'open';
CREATE INDEX seat_requests_by_org ON seat_requests (organisation_id, status, created_at);

-- A person refused at sign-in for want of a seat may ask for one from the refusal page: the page
-- carries a single-use secret standing for the identity the provider asserted in that sign-in.
CREATE TABLE seat_request_tickets (
  id               INTEGER PRIMARY KEY,
  /** SHA-256 of the secret; the secret itself is only in the refusal page's link. */
  token_hash       TEXT NOT NULL UNIQUE,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  connection_id    INTEGER NOT NULL,
  email            TEXT NOT NULL,
  display_name     TEXT,
  created_at       TEXT NOT NULL,
  expires_at       TEXT NOT NULL,
  used_at          TEXT
);
CREATE INDEX seat_request_tickets_by_expiry ON seat_request_tickets (expires_at);
