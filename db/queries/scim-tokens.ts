// Queries on SCIM bearer tokens: what they share with admin API tokens (db/queries/bearer-tokens.ts),
// and their own insert.
import type { Sql } from '../sql.js';
import { createTokenTableQueries, tokenFields, type TokenRowBase } from './bearer-tokens.js';
import type { ScimToken } from '../../domain/records.js';
import type { ScimTokenQueries } from '../port.js';

const toToken = (r: TokenRowBase): ScimToken => tokenFields(r);

export function createScimTokenQueries(db: Sql): ScimTokenQueries {
  const insert = db.prepare<[number, string, string, string, string, string | null], { id: number }>(
    'INSERT INTO scim_tokens (organisation_id, name, token_hash, prefix, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
  );

  return {
    insert: async (
      organisationId: number,
      name: string,
      tokenHash: string,
      prefix: string,
      at: string,
      expiresAt: string | null = null,
    ): Promise<number> => (await insert.get(organisationId, name, tokenHash, prefix, at, expiresAt))!.id,
    ...createTokenTableQueries(db, 'scim_tokens', toToken),
  };
}
