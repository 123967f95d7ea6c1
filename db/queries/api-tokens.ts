// Queries on admin API tokens. Only the SHA-256 of a secret is stored; a lookup is by that hash.
import type { Db } from '../connection.js';
import { mapOptional } from './organisations.js';
import type { ApiToken, NewApiToken, TokenRole } from '../../domain/records.js';
import type { ApiTokenQueries } from '../port.js';
export type { ApiToken, NewApiToken, TokenRole } from '../../domain/records.js';

interface TokenRow {
  id: number;
  organisation_id: number;
  name: string;
  role: TokenRole;
  token_hash: string;
  prefix: string;
  created_by_member_id: number | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

const toToken = (r: TokenRow): ApiToken => ({
  id: r.id,
  organisationId: r.organisation_id,
  name: r.name,
  role: r.role,
  tokenHash: r.token_hash,
  prefix: r.prefix,
  createdByMemberId: r.created_by_member_id,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  expiresAt: r.expires_at,
});

export function createApiTokenQueries(db: Db): ApiTokenQueries {
  const insert = db.prepare<
    [number, string, string, string, string, number | null, string, string | null],
    { id: number }
  >(
    `INSERT INTO api_tokens (organisation_id, name, role, token_hash, prefix, created_by_member_id, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const byHash = db.prepare<[string], TokenRow>(
    'SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL',
  );
  const active = db.prepare<[number, number], TokenRow>(
    'SELECT * FROM api_tokens WHERE organisation_id = ? AND id = ? AND revoked_at IS NULL',
  );
  const byId = db.prepare<[number, number], TokenRow>(
    'SELECT * FROM api_tokens WHERE organisation_id = ? AND id = ?',
  );
  const list = db.prepare<[number], TokenRow>(
    'SELECT * FROM api_tokens WHERE organisation_id = ? ORDER BY id',
  );
  const revoke = db.prepare<[string, number, number]>(
    'UPDATE api_tokens SET revoked_at = ? WHERE organisation_id = ? AND id = ? AND revoked_at IS NULL',
  );
  const used = db.prepare<[string, number]>('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');

  return {
    insert: (t: NewApiToken): number =>
      insert.get(
        t.organisationId,
        t.name,
        t.role,
        t.tokenHash,
        t.prefix,
        t.createdByMemberId,
        t.at,
        t.expiresAt ?? null,
      )!.id,
    activeByHash: (tokenHash: string) => mapOptional(byHash.get(tokenHash), toToken),
    active: (organisationId: number, id: number) => mapOptional(active.get(organisationId, id), toToken),
    byId: (organisationId: number, id: number) => mapOptional(byId.get(organisationId, id), toToken),
    list: (organisationId: number): ApiToken[] => list.all(organisationId).map(toToken),
    revoke: (organisationId: number, id: number, at: string): boolean =>
      revoke.run(at, organisationId, id).changes === 1,
    markUsed(id: number, at: string): void {
      used.run(at, id);
    },
  };
}
