-- The SAML service provider's own key pairs, one set per SAML connection: the IdP encrypts
-- assertions to the certificate (SAML core §2.3.4 EncryptedAssertion, XML Encryption 1.1) and
-- checks AuthnRequest signatures with it (SAML bindings §3.4.4.1). Rotation overlaps: a `next`
-- key is published in the metadata beside the `current` one, then promoted; the one it replaces
-- stays `previous`, decrypting only, until `retire_at`.

/** A key pair of a SAML connection; at most one of each status per connection. */
CREATE TABLE saml_sp_keys (
  id               INTEGER PRIMARY KEY,
  connection_id    INTEGER NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
  /**
   * current: signs AuthnRequests, published in the metadata, decrypts. next: published, decrypts
   * (an IdP may encrypt to any certificate the metadata lists). previous: decrypts until retire_at.
   */
  status           TEXT NOT NULL CHECK (status IN ('current', 'next', 'previous')),
  /** The self-signed X.509 certificate, PEM; public. */
  certificate      TEXT NOT NULL,
  /** SHA-256 of the certificate's DER, lower-case hex: how administrators tell keys apart. */
  fingerprint      TEXT NOT NULL,
  /** The certificate's notAfter (ISO 8601, UTC). */
  not_after        TEXT NOT NULL,
  /** The PKCS#8 private key, sealed (db/secret-box.ts) for this row; never returned or logged. */
  private_key      TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  promoted_at      TEXT,
  /** For a previous key: from this instant it no longer decrypts. */
  retire_at        TEXT
);
CREATE UNIQUE INDEX saml_sp_keys_one_per_status ON saml_sp_keys (connection_id, status);
