-- Whom an organisation's invoices are addressed to: a billing contact and a postal address, shown
-- on every invoice (page and PDF). One row per organisation, written by its owners; no row until
-- one is saved.

CREATE TABLE billing_contacts (
  organisation_id  INTEGER PRIMARY KEY REFERENCES organisations (id),
  /** The person (or department) invoices are for. */
  contact_name     TEXT NOT NULL,
  contact_email    TEXT NOT NULL,
  /** The postal address, one line per element of this JSON array of strings (1 to 5 lines). */
  address_lines    TEXT NOT NULL,
  /** ISO 3166-1 alpha-2, upper-case. */
  country          TEXT NOT NULL CHECK (length(country) = 2 AND country = upper(country)),
  /** The buyer's VAT identification number, when it has one. */
  vat_id           TEXT,
  updated_at       TEXT NOT NULL
);
