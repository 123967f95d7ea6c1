// Queries on admin API tokens: what they share with SCIM tokens (db/queries/bearer-tokens.ts), and
// their own insert and the lookup of an unrevoked token by id (a token's maker).
import type { Sql } from '../sql.js';
import { createTokenTableQueries, tokenFields, type TokenRowBase } from './bearer-tokens.js';
import { mapOptional } from './organisations.js';
import type { ApiToken, NewApiToken, TokenRole } from '../../domain/records.js';
import type { ApiTokenQueries } from '../port.js';

interface TokenRow extends TokenRowBase {
  role: TokenRole;
  created_by_member_id: number | null;
}

const toToken = (r: TokenRow): ApiToken => ({
  ...tokenFields(r),
  role: r.role,
  createdByMemberId: r.created_by_member_id,
});

export function createApiTokenQueries(db: Sql): ApiTokenQueries {
  const insert = db.prepare<
    [number, string, string, string, string, number | null, string, string | null],
    { id: number }
  >(
    `INSERT INTO api_tokens (organisation_id, name, role, token_hash, prefix, created_by_member_id, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const active = db.prepare<[number, number], TokenRow>(
    'SELECT * FROM api_tokens WHERE organisation_id = ? AND id = ? AND revoked_at IS NULL',
  );

  return {
    insert: async (t: NewApiToken): Promise<number> =>
      (await insert.get(
        t.organisationId,
        t.name,
        t.role,
        t.tokenHash,
        t.prefix,
        t.createdByMemberId,
        t.at,
        t.expiresAt ?? null,
      ))!.id,
    active: async (organisationId: number, id: number) =>
      mapOptional(await active.get(organisationId, id), toToken),
    ...createTokenTableQueries(db, 'api_tokens', toToken),
  };
}
