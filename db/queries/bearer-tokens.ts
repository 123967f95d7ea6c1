// The queries admin API tokens and SCIM tokens share. Both tables hold only the SHA-256 of each
// secret (a lookup is by that hash), a revocation instant and a last-used instant; each table's own
// module adds what differs (its insert, an API token's role and maker).
import type { Sql } from '../sql.js';
import { mapOptional } from './organisations.js';

/** The columns every token table has, as stored. */
export interface TokenRowBase {
  id: number;
  organisation_id: number;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

/** A token's own columns as a record (the fields both records have). */
export const tokenFields = (r: TokenRowBase) => ({
  id: r.id,
  organisationId: r.organisation_id,
  name: r.name,
  tokenHash: r.token_hash,
  prefix: r.prefix,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  expiresAt: r.expires_at,
});

/** The lookups, revocation and last-used mark of one token table, mapped by `toToken`. */
export function createTokenTableQueries<Row extends TokenRowBase, Token>(
  db: Sql,
  table: 'api_tokens' | 'scim_tokens',
  toToken: (row: Row) => Token,
) {
  const byHash = db.prepare<[string], Row>(
    `SELECT * FROM ${table} WHERE token_hash = ? AND revoked_at IS NULL`,
  );
  const byId = db.prepare<[number, number], Row>(
    `SELECT * FROM ${table} WHERE organisation_id = ? AND id = ?`,
  );
  const list = db.prepare<[number], Row>(`SELECT * FROM ${table} WHERE organisation_id = ? ORDER BY id`);
  const revoke = db.prepare<[string, number, number]>(
    `UPDATE ${table} SET revoked_at = ? WHERE organisation_id = ? AND id = ? AND revoked_at IS NULL`,
  );
  const used = db.prepare<[string, number]>(`UPDATE ${table} SET last_used_at = ? WHERE id = ?`);

  return {
    /** The unrevoked token whose secret hashes to `tokenHash` (expiry is the caller's rule). */
    activeByHash: async (tokenHash: string): Promise<Token | undefined> =>
      mapOptional(await byHash.get(tokenHash), toToken),
    byId: async (organisationId: number, id: number): Promise<Token | undefined> =>
      mapOptional(await byId.get(organisationId, id), toToken),
    list: async (organisationId: number): Promise<Token[]> => (await list.all(organisationId)).map(toToken),
    /** False when the organisation has no such unrevoked token. */
    revoke: async (organisationId: number, id: number, at: string): Promise<boolean> =>
      (await revoke.run(at, organisationId, id)).changes === 1,
    async markUsed(id: number, at: string): Promise<void> {
      await used.run(at, id);
    },
  };
}
