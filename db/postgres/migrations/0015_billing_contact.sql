-- PostgreSQL form of the SQLite migration 0015_billing_contact.sql. Where the form differs, and
-- why:
-- - organisation_id is a plain bigint primary key, no identity: it is the organisation's id,
--   always given by the insert, never generated.
-- - upper(country COLLATE "C"): SQLite's upper() folds ASCII only; the C collation folds the same
--   letters in PostgreSQL whatever the database's locale.
--
-- Whom an organisation's invoices are addressed to: a billing contact and a postal address, shown
-- on every invoice (page and PDF). One row per organisation, written by its owners; no row until
-- one is saved.

CREATE TABLE billing_contacts (
  organisation_id  bigint PRIMARY KEY REFERENCES organisations (id),
  -- The person (or department) invoices are for.
  contact_name     text NOT NULL,
  contact_email    text NOT NULL,
  -- The postal address, one line per element of this JSON array of strings (1 to 5 lines).
  address_lines    text NOT NULL,
  -- ISO 3166-1 alpha-2, upper-case.
  country          text NOT NULL CHECK (length(country) = 2 AND country = upper(country COLLATE "C")),
  -- The buyer's VAT identification number, when it has one.
  vat_id           text,
  updated_at       text NOT NULL
);
