// Queries on invitations: the pending one holds its member's seat until it ends.
import type { Sql } from '../sql.js';
import type { Role } from '../../domain/model.js';
import { mapOptional } from './organisations.js';
import type {
  Invitation,
  InvitationFilter,
  InvitationListing,
  InvitationStatus,
} from '../../domain/records.js';
import type { InvitationQueries } from '../port.js';

interface InvitationRow {
  id: number;
  organisation_id: number;
  member_id: number;
  sent_at: string;
  expires_at: string;
  status: InvitationStatus;
  ended_at: string | null;
}

const toInvitation = (r: InvitationRow): Invitation => ({
  id: r.id,
  organisationId: r.organisation_id,
  memberId: r.member_id,
  sentAt: r.sent_at,
  expiresAt: r.expires_at,
  status: r.status,
  endedAt: r.ended_at,
});

const LISTING = `SELECT i.*, m.email, m.display_name, m.role,
       CASE WHEN i.status = 'pending' THEN m.tier_id END AS tier_id
     FROM invitations i JOIN members m ON m.id = i.member_id AND m.organisation_id = i.organisation_id`;

interface ListingRow extends InvitationRow {
  email: string;
  display_name: string | null;
  role: Role;
  tier_id: string | null;
}

const toListing = (r: ListingRow): InvitationListing => ({
  ...toInvitation(r),
  email: r.email,
  displayName: r.display_name,
  role: r.role,
  tierId: r.tier_id,
});

export function createInvitationQueries(db: Sql): InvitationQueries {
  const insert = db.prepare<[number, number, string | null, string, string], { id: number }>(
    `INSERT INTO invitations (organisation_id, member_id, token_hash, sent_at, expires_at, status)
     VALUES (?, ?, ?, ?, ?, 'pending') RETURNING id`,
  );
  const pendingFor = db.prepare<[number, number], InvitationRow>(
    "SELECT * FROM invitations WHERE organisation_id = ? AND member_id = ? AND status = 'pending'",
  );
  const end = db.prepare<[InvitationStatus, string, number]>(
    "UPDATE invitations SET status = ?, ended_at = ? WHERE id = ? AND status = 'pending'",
  );
  const due = db.prepare<[string], InvitationRow>(
    "SELECT * FROM invitations WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at, id",
  );

  const byId = db.prepare<[number, number], InvitationRow>(
    'SELECT * FROM invitations WHERE organisation_id = ? AND id = ?',
  );
  const byTokenHash = db.prepare<[string], InvitationRow>('SELECT * FROM invitations WHERE token_hash = ?');
  const latestFor = db.prepare<[number, number], InvitationRow>(
    'SELECT * FROM invitations WHERE organisation_id = ? AND member_id = ? ORDER BY id DESC LIMIT 1',
  );
  // A resent invitation gets a new secret and a new term; the old secret stops matching at once.
  const renew = db.prepare<[string, string, string, number]>(
    "UPDATE invitations SET token_hash = ?, sent_at = ?, expires_at = ? WHERE id = ? AND status = 'pending'",
  );
  // Two listings: one status, or the pending ones with those ended recently.
  const byStatus = {
    page: db.prepare<[number, string, number, number], ListingRow>(
      `${LISTING} WHERE i.organisation_id = ? AND i.status = ? ORDER BY i.sent_at DESC, i.id DESC LIMIT ? OFFSET ?`,
    ),
    count: db.prepare<[number, string], { n: number }>(
      'SELECT count(*) AS n FROM invitations i WHERE i.organisation_id = ? AND i.status = ?',
    ),
  };
  const recent = {
    page: db.prepare<[number, string, number, number], ListingRow>(
      `${LISTING} WHERE i.organisation_id = ? AND (i.status = 'pending' OR i.ended_at >= ?)
       ORDER BY i.sent_at DESC, i.id DESC LIMIT ? OFFSET ?`,
    ),
    count: db.prepare<[number, string], { n: number }>(
      "SELECT count(*) AS n FROM invitations i WHERE i.organisation_id = ? AND (i.status = 'pending' OR i.ended_at >= ?)",
    ),
  };

  return {
    byId: async (organisationId: number, id: number) =>
      mapOptional(await byId.get(organisationId, id), toInvitation),
    /** The invitation whose link carries this secret's hash, whatever its status. */
    byTokenHash: async (tokenHash: string) => mapOptional(await byTokenHash.get(tokenHash), toInvitation),
    /** The member's most recent invitation. */
    latestFor: async (organisationId: number, memberId: number) =>
      mapOptional(await latestFor.get(organisationId, memberId), toInvitation),
    /** Gives a pending invitation a new secret and a new term; false if it is no longer pending. */
    renew: async (id: number, tokenHash: string, sentAt: string, expiresAt: string): Promise<boolean> =>
      (await renew.run(tokenHash, sentAt, expiresAt, id)).changes === 1,
    /** One page of the organisation's invitations, most recently sent first, and how many match. */
    async list(
      organisationId: number,
      filter: InvitationFilter,
      page: { readonly limit: number; readonly offset: number },
    ): Promise<{ invitations: InvitationListing[]; total: number }> {
      const { page: pageOf, count } = filter.status !== undefined ? byStatus : recent;
      const value = filter.status ?? filter.endedSince;
      return {
        invitations: (await pageOf.all(organisationId, value, page.limit, page.offset)).map(toListing),
        total: (await count.get(organisationId, value))!.n,
      };
    },
    async insert(
      organisationId: number,
      memberId: number,
      tokenHash: string | null,
      sentAt: string,
      expiresAt: string,
    ): Promise<number> {
      return (await insert.get(organisationId, memberId, tokenHash, sentAt, expiresAt))!.id;
    },
    pendingFor: async (organisationId: number, memberId: number) =>
      mapOptional(await pendingFor.get(organisationId, memberId), toInvitation),
    /** Ends a pending invitation; false if it had already ended. */
    end: async (id: number, status: Exclude<InvitationStatus, 'pending'>, at: string): Promise<boolean> =>
      (await end.run(status, at, id)).changes === 1,
    dueForExpiry: async (now: string): Promise<Invitation[]> => (await due.all(now)).map(toInvitation),
  };
}
