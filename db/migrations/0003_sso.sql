-- Single sign-on: SAML 2.0 and OpenID Connect connections, the identities they assert, the
-- server-side state of sign-ins in flight, replay caches, sessions, and rate-limited notices.

/** An identity provider connection of an organisation. Any number per organisation. */
CREATE TABLE sso_connections (
  id               INTEGER PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  /** Opaque id used in URLs (ACS, callback, metadata). */
  public_id        TEXT NOT NULL UNIQUE,
  protocol         TEXT NOT NULL CHECK (protocol IN ('saml', 'oidc')),
  name             TEXT NOT NULL,
  enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  /**
   * JSON, per protocol. SAML: idpEntityId, idpSsoUrl, idpCerts[], responseSigned, nameIdFormat,
   * attributeMap, idpInitiated. OIDC: issuer, clientId, scopes, claimMap. Never a secret.
   */
  config           TEXT NOT NULL,
  /** The OIDC client secret; read only to talk to the provider, never returned or logged. */
  secret           TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX sso_connections_by_org ON sso_connections (organisation_id);

/** Who an identity provider says someone is, linked to one member. (connection, subject) is unique. */
CREATE TABLE sso_identities (
  connection_id    INTEGER NOT NULL REFERENCES sso_connections (id),
  /** SAML NameID or OIDC `sub` (the issuer is the connection's). */
  subject          TEXT NOT NULL,
  member_id        INTEGER NOT NULL REFERENCES members (id),
  created_at       TEXT NOT NULL,
  last_sign_in_at  TEXT,
  PRIMARY KEY (connection_id, subject)
);
CREATE INDEX sso_identities_by_member ON sso_identities (member_id);

/**
 * A sign-in in flight, looked up by the `state` / RelayState the provider sends back (a SameSite
 * cookie does not travel on the identity provider's cross-site POST). Consumed exactly once.
 */
CREATE TABLE sso_login_states (
  state            TEXT PRIMARY KEY,
  connection_id    INTEGER NOT NULL REFERENCES sso_connections (id),
  /** JSON: nonce, PKCE verifier, SAML request id, where to return. */
  data             TEXT NOT NULL,
  expires_at       TEXT NOT NULL
);

/** The SAML InResponseTo cache, namespaced per connection (a response answers its own request). */
CREATE TABLE saml_requests (
  connection_id    INTEGER NOT NULL REFERENCES sso_connections (id),
  request_id       TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  PRIMARY KEY (connection_id, request_id)
);

/** Assertion ids already used, kept until they expire, so none is accepted twice. */
CREATE TABLE saml_consumed_assertions (
  connection_id    INTEGER NOT NULL REFERENCES sso_connections (id),
  assertion_id     TEXT NOT NULL,
  expires_at       TEXT NOT NULL,
  PRIMARY KEY (connection_id, assertion_id)
);

/** Signed-in sessions; only the SHA-256 of the cookie's secret is stored. */
CREATE TABLE sessions (
  id_hash          TEXT PRIMARY KEY,
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  member_id        INTEGER NOT NULL REFERENCES members (id),
  created_at       TEXT NOT NULL,
  expires_at       TEXT NOT NULL,
  revoked_at       TEXT
);
CREATE INDEX sessions_by_member ON sessions (member_id);

/** Notices to owners that must not repeat too often (no seats for a sign-in: once an hour). */
CREATE TABLE owner_notices (
  organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
  kind             TEXT NOT NULL,
  last_sent_at     TEXT NOT NULL,
  PRIMARY KEY (organisation_id, kind)
);
