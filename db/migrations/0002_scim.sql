-- SCIM 2.0 directory sync (RFC 7643 / 7644): the identity provider's view of members, groups
-- with their memberships one row each, group mappings, bearer tokens, and the waiting list.

/** Opaque, stable, non-guessable id of the member in SCIM and the admin API. */
ALTER TABLE members ADD COLUMN public_id TEXT;
/** SCIM userName exactly as sent; NULL for members who never came through SCIM. */
ALTER TABLE members ADD COLUMN user_name TEXT;
/** foldKey(user_name): userName is caseExact=false (RFC 7643 §4.1.1), so uniqueness ignores case. */
ALTER TABLE members ADD COLUMN user_name_key TEXT;
/** The identity provider's own id for the user (caseExact, RFC 7643 §3.1). */
ALTER TABLE members ADD COLUMN external_id TEXT;
/**
 * JSON: the SCIM User as stored (core attributes at the top level, each extension under its
 * schema URN), without id, meta, password, groups and our read-only seat extension, which are
 * computed on the way out. Values are kept exactly as sent.
 */
ALTER TABLE members ADD COLUMN scim_resource TEXT;
/** Incremented on every change; the SCIM ETag is W/"<version>" (RFC 7644 §3.14). */
ALTER TABLE members ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
/** When the member started waiting for a seat (state awaiting_seat): first come, first served. */
ALTER TABLE members ADD COLUMN waiting_since TEXT;

UPDATE members SET public_id = lower(hex(randomblob(16))) WHERE public_id IS NULL;
CREATE UNIQUE INDEX members_public_id ON members (public_id);
CREATE UNIQUE INDEX members_user_name ON members (organisation_id, user_name_key) WHERE user_name_key IS NOT NULL;
/**
 * Not unique: RFC 7643 §3.1 leaves externalId's uniqueness to the client, and Entra's own test
 * collection gives several users one externalId. Indexed for Entra's `externalId eq` matching.
 */
CREATE INDEX members_external_id ON members (organisation_id, external_id) WHERE external_id IS NOT NULL;
/**
 * The directory's members in id order: exactly the rows a SCIM listing shows, so an unfiltered
 * page and its total read this index alone, at any depth of the directory.
 */
CREATE INDEX members_directory ON members (organisation_id, id)
  WHERE user_name_key IS NOT NULL AND seat_state <> 'removed';
CREATE INDEX members_waiting ON members (organisation_id, waiting_since) WHERE seat_state = 'awaiting_seat';

CREATE TABLE scim_groups (
  id                INTEGER PRIMARY KEY,
  organisation_id   INTEGER NOT NULL REFERENCES organisations (id),
  public_id         TEXT NOT NULL UNIQUE,
  display_name      TEXT NOT NULL,
  /** foldKey(display_name): group mappings and identity providers match groups by name. */
  display_name_key  TEXT NOT NULL,
  external_id       TEXT,
  version           INTEGER NOT NULL DEFAULT 1,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  UNIQUE (organisation_id, display_name_key)
);
CREATE INDEX scim_groups_external_id ON scim_groups (organisation_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX scim_groups_by_org ON scim_groups (organisation_id, id);

/** One row per membership, so adding one member to a huge group writes one row. */
CREATE TABLE scim_group_members (
  group_id   INTEGER NOT NULL REFERENCES scim_groups (id),
  member_id  INTEGER NOT NULL REFERENCES members (id),
  PRIMARY KEY (group_id, member_id)
);
CREATE INDEX scim_group_members_by_member ON scim_group_members (member_id);

/** Advanced group mappings are on for the organisation when this is 1. */
ALTER TABLE organisations ADD COLUMN group_mappings_enabled INTEGER NOT NULL DEFAULT 0
  CHECK (group_mappings_enabled IN (0, 1));

/** Group display name → role and/or tier. */
CREATE TABLE group_mappings (
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  /** foldKey(group display name). */
  group_name_key   TEXT NOT NULL,
  role             TEXT CHECK (role IN ('owner', 'admin', 'user')),
  tier_id          TEXT REFERENCES tiers (id),
  PRIMARY KEY (organisation_id, group_name_key),
  CHECK (role IS NOT NULL OR tier_id IS NOT NULL)
);

/** Bearer tokens for SCIM clients; only the SHA-256 of the secret is stored. */
CREATE TABLE scim_tokens (
  id               INTEGER PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  name             TEXT NOT NULL,
  token_hash       TEXT NOT NULL UNIQUE,
  /** First characters of the secret, shown in listings so owners can tell tokens apart. */
  prefix           TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  last_used_at     TEXT,
  revoked_at       TEXT
);

/**
 * Directory users refused for want of a seat (policy 'reject'), for administrators to see.
 * Resolved when the user is later created. Users kept under policy 'hold' wait as members in
 * state awaiting_seat instead.
 */
CREATE TABLE seat_waitlist (
  id                INTEGER PRIMARY KEY,
  organisation_id   INTEGER NOT NULL REFERENCES organisations (id),
  user_name_key     TEXT NOT NULL,
  user_name         TEXT NOT NULL,
  source            TEXT NOT NULL CHECK (source IN ('scim', 'jit')),
  first_attempt_at  TEXT NOT NULL,
  last_attempt_at   TEXT NOT NULL,
  attempts          INTEGER NOT NULL DEFAULT 1,
  resolved_at       TEXT,
  UNIQUE (organisation_id, user_name_key)
);
