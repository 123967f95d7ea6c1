// Queries on invitations: the pending one holds its member's seat until it ends.
import type { Db } from '../connection.js';
import { mapOptional } from './organisations.js';

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface Invitation {
  readonly id: number;
  readonly organisationId: number;
  readonly memberId: number;
  readonly sentAt: string;
  readonly expiresAt: string;
  readonly status: InvitationStatus;
  readonly endedAt: string | null;
}

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

export function createInvitationQueries(db: Db) {
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

  return {
    insert(
      organisationId: number,
      memberId: number,
      tokenHash: string | null,
      sentAt: string,
      expiresAt: string,
    ): number {
      return insert.get(organisationId, memberId, tokenHash, sentAt, expiresAt)!.id;
    },
    pendingFor: (organisationId: number, memberId: number) =>
      mapOptional(pendingFor.get(organisationId, memberId), toInvitation),
    /** Ends a pending invitation; false if it had already ended. */
    end: (id: number, status: Exclude<InvitationStatus, 'pending'>, at: string): boolean =>
      end.run(status, at, id).changes === 1,
    dueForExpiry: (now: string): Invitation[] => due.all(now).map(toInvitation),
  };
}
