// Queries on emailed one-time console sign-in links. Only the SHA-256 of a link's secret is
// stored; a link is used by one conditional UPDATE, so two clicks can never both sign in.
import type { Sql } from '../sql.js';
import { mapOptional } from './organisations.js';
import type { SignInLink } from '../../domain/records.js';
import type { SignInLinkQueries } from '../port.js';

interface SignInLinkRow {
  token_hash: string;
  organisation_id: number;
  member_id: number;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

const toLink = (r: SignInLinkRow): SignInLink => ({
  tokenHash: r.token_hash,
  organisationId: r.organisation_id,
  memberId: r.member_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
});

export function createSignInLinkQueries(db: Sql): SignInLinkQueries {
  const insert = db.prepare<[string, number, number, string, string]>(
    `INSERT INTO sign_in_links (token_hash, organisation_id, member_id, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const byHash = db.prepare<[string], SignInLinkRow>('SELECT * FROM sign_in_links WHERE token_hash = ?');
  const use = db.prepare<[string, string, string]>(
    'UPDATE sign_in_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?',
  );
  const issuedSince = db.prepare<[number, string], { n: number }>(
    'SELECT count(*) AS n FROM sign_in_links WHERE member_id = ? AND created_at > ?',
  );
  const prune = db.prepare<[number, string]>(
    'DELETE FROM sign_in_links WHERE member_id = ? AND expires_at < ?',
  );

  return {
    async insert(link: Omit<SignInLink, 'usedAt'>): Promise<void> {
      await insert.run(link.tokenHash, link.organisationId, link.memberId, link.createdAt, link.expiresAt);
    },
    byHash: async (tokenHash: string) => mapOptional(await byHash.get(tokenHash), toLink),
    /** Marks an unused, unexpired link used; false when it was used already or has expired. */
    use: async (tokenHash: string, at: string): Promise<boolean> =>
      (await use.run(at, tokenHash, at)).changes === 1,
    /** Links issued to the member after `since` (ISO instant), used or not. */
    issuedSince: async (memberId: number, since: string): Promise<number> =>
      (await issuedSince.get(memberId, since))!.n,
    /** Deletes the member's links that expired before `before`: they can only be refused. */
    async prune(memberId: number, before: string): Promise<void> {
      await prune.run(memberId, before);
    },
  };
}
