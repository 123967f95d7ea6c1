-- The admin API and console: organisation-scoped API tokens, emailed one-time sign-in links, and
-- primary-ownership transfers awaiting the new owner's confirmation.

/** Bearer tokens for the admin API. A token acts with its own role, never above its creator's. */
CREATE TABLE api_tokens (
  id                   INTEGER PRIMARY KEY,
  organisation_id      INTEGER NOT NULL REFERENCES organisations (id),
  name                 TEXT NOT NULL,
  /** The role the token acts with; a primary owner's powers are never delegated to a token. */
  role                 TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'user')),
  /** SHA-256 of the secret; the secret is shown once and never stored. */
  token_hash           TEXT NOT NULL UNIQUE,
  /** First characters of the secret, shown in listings so owners can tell tokens apart. */
  prefix               TEXT NOT NULL,
  created_by_member_id INTEGER REFERENCES members (id),
  created_at           TEXT NOT NULL,
  last_used_at         TEXT,
  revoked_at           TEXT
);
CREATE INDEX api_tokens_by_org ON api_tokens (organisation_id, id);

/** Emailed one-time sign-in links for the console. Single use; only the hash is stored. */
CREATE TABLE sign_in_links (
  token_hash       TEXT PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  member_id        INTEGER NOT NULL REFERENCES members (id),
  created_at       TEXT NOT NULL,
  expires_at       TEXT NOT NULL,
  used_at          TEXT
);

/**
 * A primary owner handing the organisation to another member. Nothing changes until the new owner
 * confirms through the emailed single-use link; at most one transfer is pending per organisation.
 */
CREATE TABLE ownership_transfers (
  id               INTEGER PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  from_member_id   INTEGER NOT NULL REFERENCES members (id),
  to_member_id     INTEGER NOT NULL REFERENCES members (id),
  token_hash       TEXT NOT NULL UNIQUE,
  created_at       TEXT NOT NULL,
  expires_at       TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired')),
  ended_at         TEXT
);
CREATE UNIQUE INDEX ownership_transfers_one_pending ON ownership_transfers (organisation_id)
  WHERE status = 'pending';

/**
 * The audit log gains an actor: an admin API token. SQLite cannot alter a CHECK in place, so the
 * table is rebuilt with its rows, ids, index and append-only triggers (DROP TABLE's implicit
 * delete fires no trigger). Nothing references audit_log, so the foreign keys are unaffected.
 */
CREATE TABLE audit_log_next (
  id               INTEGER PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  at               TEXT NOT NULL,
  actor_type       TEXT NOT NULL
                   CHECK (actor_type IN ('member', 'api_token', 'scim_token', 'jit', 'operator', 'system')),
  actor_id         TEXT,
  action           TEXT NOT NULL,
  subject_type     TEXT NOT NULL,
  subject_id       TEXT NOT NULL,
  before           TEXT,
  after            TEXT,
  invoice_id       INTEGER REFERENCES invoices (id)
);
INSERT INTO audit_log_next SELECT id, organisation_id, at, actor_type, actor_id, action, subject_type,
  subject_id, before, after, invoice_id FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_next RENAME TO audit_log;
CREATE INDEX audit_log_by_org ON audit_log (organisation_id, id);
-- No index per action or subject: every seat claim writes an audit row, and each index would add
-- pages to every claim's commit. The audit page reads an organisation's log newest first through
-- audit_log_by_org and filters as it goes (keyset paging bounds each read).

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
