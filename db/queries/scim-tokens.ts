// Queries on SCIM bearer tokens. Only the SHA-256 of a secret is stored; a lookup is by that hash.
import type { Db } from '../connection.js';
import { mapOptional } from './organisations.js';
import type { ScimToken } from '../../domain/records.js';
import type { ScimTokenQueries } from '../port.js';
export type { ScimToken } from '../../domain/records.js';

interface TokenRow {
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

const toToken = (r: TokenRow): ScimToken => ({
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

export function createScimTokenQueries(db: Db): ScimTokenQueries {
  const insert = db.prepare<[number, string, string, string, string, string | null], { id: number }>(
    'INSERT INTO scim_tokens (organisation_id, name, token_hash, prefix, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
  );
  const byHash = db.prepare<[string], TokenRow>(
    'SELECT * FROM scim_tokens WHERE token_hash = ? AND revoked_at IS NULL',
  );
  const byId = db.prepare<[number, number], TokenRow>(
    'SELECT * FROM scim_tokens WHERE organisation_id = ? AND id = ?',
  );
  const list = db.prepare<[number], TokenRow>(
    'SELECT * FROM scim_tokens WHERE organisation_id = ? ORDER BY id',
  );
  const revoke = db.prepare<[string, number, number]>(
    'UPDATE scim_tokens SET revoked_at = ? WHERE organisation_id = ? AND id = ? AND revoked_at IS NULL',
  );
  const used = db.prepare<[string, number]>('UPDATE scim_tokens SET last_used_at = ? WHERE id = ?');

  return {
    insert: (
      organisationId: number,
      name: string,
      tokenHash: string,
      prefix: string,
      at: string,
      expiresAt: string | null = null,
    ): number => insert.get(organisationId, name, tokenHash, prefix, at, expiresAt)!.id,
    activeByHash: (tokenHash: string) => mapOptional(byHash.get(tokenHash), toToken),
    byId: (organisationId: number, id: number) => mapOptional(byId.get(organisationId, id), toToken),
    list: (organisationId: number): ScimToken[] => list.all(organisationId).map(toToken),
    revoke: (organisationId: number, id: number, at: string): boolean =>
      revoke.run(at, organisationId, id).changes === 1,
    markUsed(id: number, at: string): void {
      used.run(at, id);
    },
  };
}
