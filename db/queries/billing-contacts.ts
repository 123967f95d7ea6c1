// Queries on billing contacts: whom an organisation's invoices are addressed to (one row each).
import type { Sql } from '../sql.js';
import type { BillingContact } from '../../domain/records.js';
import type { BillingContactQueries } from '../port.js';

interface BillingContactRow {
  contact_name: string;
  contact_email: string;
  address_lines: string;
  country: string;
  vat_id: string | null;
  updated_at: string;
}

const toContact = (r: BillingContactRow): BillingContact => ({
  name: r.contact_name,
  email: r.contact_email,
  addressLines: JSON.parse(r.address_lines) as string[],
  country: r.country,
  vatId: r.vat_id,
  updatedAt: r.updated_at,
});

export function createBillingContactQueries(db: Sql): BillingContactQueries {
  const get = db.prepare<[number], BillingContactRow>(
    'SELECT * FROM billing_contacts WHERE organisation_id = ?',
  );
  const put = db.prepare(
    `INSERT INTO billing_contacts (organisation_id, contact_name, contact_email, address_lines, country, vat_id, updated_at)
     VALUES (@organisationId, @name, @email, @addressLines, @country, @vatId, @updatedAt)
     ON CONFLICT (organisation_id) DO UPDATE SET contact_name = excluded.contact_name,
       contact_email = excluded.contact_email, address_lines = excluded.address_lines,
       country = excluded.country, vat_id = excluded.vat_id, updated_at = excluded.updated_at`,
  );
  return {
    /** The organisation's billing contact, or null while none was saved. */
    async get(organisationId: number): Promise<BillingContact | null> {
      const row = await get.get(organisationId);
      return row ? toContact(row) : null;
    },
    /** Saves (creates or replaces) the organisation's billing contact. */
    async put(organisationId: number, contact: BillingContact): Promise<void> {
      await put.run({
        organisationId,
        name: contact.name,
        email: contact.email,
        addressLines: JSON.stringify(contact.addressLines),
        country: contact.country,
        vatId: contact.vatId,
        updatedAt: contact.updatedAt,
      });
    },
  };
}
