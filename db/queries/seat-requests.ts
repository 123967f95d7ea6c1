// Queries on seat requests: a person asking the administrators for a seat of a tier. At most one
// request per person and tier is open (a partial unique index), so asking twice is one request.
import type { Sql } from '../sql.js';
import { foldKey } from '../../domain/fold.js';
import { mapOptional } from './organisations.js';
import type {
  NewSeatRequest,
  SeatRequest,
  SeatRequestOrigin,
  SeatRequestStatus,
  SeatRequestTicket,
} from '../../domain/records.js';
import type { SeatRequestQueries } from '../port.js';

interface Row {
  id: number;
  organisation_id: number;
  member_id: number | null;
  email: string;
  display_name: string | null;
  tier_id: string;
  note: string | null;
  origin: SeatRequestOrigin;
  status: SeatRequestStatus;
  created_at: string;
  decided_at: string | null;
  reason: string | null;
}

const toRequest = (r: Row): SeatRequest => ({
  id: r.id,
  organisationId: r.organisation_id,
  memberId: r.member_id,
  email: r.email,
  displayName: r.display_name,
  tierId: r.tier_id,
  note: r.note,
  origin: r.origin,
  status: r.status,
  createdAt: r.created_at,
  decidedAt: r.decided_at,
  reason: r.reason,
});

interface TicketRow {
  id: number;
  token_hash: string;
  organisation_id: number;
  connection_id: number;
  email: string;
  display_name: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

const toTicket = (r: TicketRow): SeatRequestTicket => ({
  id: r.id,
  tokenHash: r.token_hash,
  organisationId: r.organisation_id,
  connectionId: r.connection_id,
  email: r.email,
  displayName: r.display_name,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
});

export function createSeatRequestQueries(db: Sql): SeatRequestQueries {
  const insert = db.prepare<
    [number, number | null, string, string, string | null, string, string | null, SeatRequestOrigin, string],
    { id: number }
  >(
    `INSERT INTO seat_requests (organisation_id, member_id, email, email_key, display_name, tier_id, note, origin, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const openFor = db.prepare<[number, string, string], Row>(
    "SELECT * FROM seat_requests WHERE organisation_id = ? AND email_key = ? AND tier_id = ? AND status = 'open'",
  );
  const byId = db.prepare<[number, number], Row>(
    'SELECT * FROM seat_requests WHERE organisation_id = ? AND id = ?',
  );
  const list = db.prepare<[number, string], Row>(
    'SELECT * FROM seat_requests WHERE organisation_id = ? AND status = ? ORDER BY created_at, id LIMIT 500',
  );
  const listAll = db.prepare<[number], Row>(
    `SELECT * FROM seat_requests WHERE organisation_id = ?
     ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 500`,
  );
  const byMember = db.prepare<[number, number], Row>(
    'SELECT * FROM seat_requests WHERE organisation_id = ? AND member_id = ? ORDER BY created_at DESC, id DESC LIMIT 50',
  );
  const countSince = db.prepare<[number, SeatRequestOrigin, string], { n: number }>(
    'SELECT count(*) AS n FROM seat_requests WHERE organisation_id = ? AND origin = ? AND created_at >= ?',
  );
  // Conditional on the request still being open: two decisions never both apply.
  const decide = db.prepare<[SeatRequestStatus, string, string, string | null, number, number]>(
    "UPDATE seat_requests SET status = ?, decided_at = ?, decided_by = ?, reason = ? WHERE organisation_id = ? AND id = ? AND status = 'open'",
  );

  const insertTicket = db.prepare<[string, number, number, string, string | null, string, string]>(
    `INSERT INTO seat_request_tickets (token_hash, organisation_id, connection_id, email, display_name, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const ticketByHash = db.prepare<[string], TicketRow>(
    'SELECT * FROM seat_request_tickets WHERE token_hash = ?',
  );
  // Conditional: a ticket is used once, however many requests race with it.
  const useTicket = db.prepare<[string, number, string]>(
    'UPDATE seat_request_tickets SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?',
  );
  const pruneTickets = db.prepare<[string]>('DELETE FROM seat_request_tickets WHERE expires_at < ?');

  return {
    /** Stores a sign-in refusal's ticket (its secret's hash); expired ones are deleted first. */
    async insertTicket(t: Omit<SeatRequestTicket, 'id' | 'usedAt'>): Promise<void> {
      await pruneTickets.run(t.createdAt);
      await insertTicket.run(
        t.tokenHash,
        t.organisationId,
        t.connectionId,
        t.email,
        t.displayName,
        t.createdAt,
        t.expiresAt,
      );
    },
    ticketByHash: async (tokenHash: string) => mapOptional(await ticketByHash.get(tokenHash), toTicket),
    /** Marks the ticket used; false if it was used or had expired. */
    useTicket: async (id: number, at: string): Promise<boolean> =>
      (await useTicket.run(at, id, at)).changes === 1,
    async insert(r: NewSeatRequest): Promise<number> {
      return (await insert.get(
        r.organisationId,
        r.memberId,
        r.email,
        foldKey(r.email),
        r.displayName,
        r.tierId,
        r.note,
        r.origin,
        r.at,
      ))!.id;
    },
    openFor: async (organisationId: number, email: string, tierId: string) =>
      mapOptional(await openFor.get(organisationId, foldKey(email), tierId), toRequest),
    byId: async (organisationId: number, id: number) =>
      mapOptional(await byId.get(organisationId, id), toRequest),
    /** With a status: oldest first (a queue). Without: open ones first, then the rest newest first. */
    list: async (organisationId: number, status?: SeatRequestStatus): Promise<SeatRequest[]> =>
      (status === undefined ? await listAll.all(organisationId) : await list.all(organisationId, status)).map(
        toRequest,
      ),
    byMember: async (organisationId: number, memberId: number): Promise<SeatRequest[]> =>
      (await byMember.all(organisationId, memberId)).map(toRequest),
    countSince: async (organisationId: number, origin: SeatRequestOrigin, since: string): Promise<number> =>
      (await countSince.get(organisationId, origin, since))!.n,
    decide: async (
      organisationId: number,
      id: number,
      status: 'granted' | 'declined',
      at: string,
      decidedBy: unknown,
      reason: string | null,
    ): Promise<boolean> =>
      (await decide.run(status, at, JSON.stringify(decidedBy), reason, organisationId, id)).changes === 1,
  };
}
