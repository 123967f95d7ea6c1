// Queries on primary-ownership transfers awaiting the new owner's confirmation. At most one is
// pending per organisation (a partial unique index); each ends by one conditional UPDATE.
import type { Sql } from '../sql.js';
import { mapOptional } from './organisations.js';
import type { NewOwnershipTransfer, OwnershipTransfer, TransferStatus } from '../../domain/records.js';
import type { OwnershipTransferQueries } from '../port.js';

interface TransferRow {
  id: number;
  organisation_id: number;
  from_member_id: number;
  to_member_id: number;
  token_hash: string;
  created_at: string;
  expires_at: string;
  status: TransferStatus;
  ended_at: string | null;
}

const toTransfer = (r: TransferRow): OwnershipTransfer => ({
  id: r.id,
  organisationId: r.organisation_id,
  fromMemberId: r.from_member_id,
  toMemberId: r.to_member_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  status: r.status,
  endedAt: r.ended_at,
});

export function createOwnershipTransferQueries(db: Sql): OwnershipTransferQueries {
  const insert = db.prepare<[number, number, number, string, string, string], { id: number }>(
    `INSERT INTO ownership_transfers (organisation_id, from_member_id, to_member_id, token_hash, created_at, expires_at, status)
     VALUES (?, ?, ?, ?, ?, ?, 'pending') RETURNING id`,
  );
  const pending = db.prepare<[number], TransferRow>(
    "SELECT * FROM ownership_transfers WHERE organisation_id = ? AND status = 'pending'",
  );
  const byHash = db.prepare<[string], TransferRow>('SELECT * FROM ownership_transfers WHERE token_hash = ?');
  const end = db.prepare<[TransferStatus, string, number]>(
    "UPDATE ownership_transfers SET status = ?, ended_at = ? WHERE id = ? AND status = 'pending'",
  );

  return {
    insert: async (t: NewOwnershipTransfer): Promise<number> =>
      (await insert.get(t.organisationId, t.fromMemberId, t.toMemberId, t.tokenHash, t.at, t.expiresAt))!.id,
    /** The organisation's pending transfer, if any (it may be past its expiry: check expiresAt). */
    pending: async (organisationId: number) => mapOptional(await pending.get(organisationId), toTransfer),
    byHash: async (tokenHash: string) => mapOptional(await byHash.get(tokenHash), toTransfer),
    /** Ends a pending transfer; false if it had already ended. */
    end: async (id: number, status: Exclude<TransferStatus, 'pending'>, at: string): Promise<boolean> =>
      (await end.run(status, at, id)).changes === 1,
  };
}
