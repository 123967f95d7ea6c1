// Queries on member CSV imports: the reviewed dry-run report, kept so that applying it sends what
// was reviewed, and its result, so that applying it again answers the same result.
import type { Sql } from '../sql.js';
import { mapOptional } from './organisations.js';
import type { MemberImportRecord } from '../../domain/records.js';
import type { MemberImportQueries } from '../port.js';

interface Row {
  id: number;
  public_id: string;
  organisation_id: number;
  created_at: string;
  expires_at: string;
  rows: string;
  status: 'reviewed' | 'applied';
  applied_at: string | null;
  result: string | null;
}

const toRecord = (r: Row): MemberImportRecord => ({
  id: r.id,
  publicId: r.public_id,
  organisationId: r.organisation_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  rows: JSON.parse(r.rows) as unknown,
  status: r.status,
  appliedAt: r.applied_at,
  result: r.result === null ? null : (JSON.parse(r.result) as unknown),
});

export function createMemberImportQueries(db: Sql): MemberImportQueries {
  const insert = db.prepare<[string, number, string, string, string]>(
    'INSERT INTO member_imports (public_id, organisation_id, created_at, expires_at, rows) VALUES (?, ?, ?, ?, ?)',
  );
  const byPublicId = db.prepare<[number, string], Row>(
    'SELECT * FROM member_imports WHERE organisation_id = ? AND public_id = ?',
  );
  // Conditional on the report not being applied yet: two applies never both send.
  const markApplied = db.prepare<[string, string, number]>(
    "UPDATE member_imports SET status = 'applied', applied_at = ?, result = ? WHERE id = ? AND status = 'reviewed'",
  );
  const prune = db.prepare<[string]>(
    "DELETE FROM member_imports WHERE status = 'reviewed' AND expires_at < ?",
  );

  return {
    async insert(
      publicId: string,
      organisationId: number,
      at: string,
      expiresAt: string,
      rows: unknown,
    ): Promise<void> {
      await insert.run(publicId, organisationId, at, expiresAt, JSON.stringify(rows));
    },
    byPublicId: async (organisationId: number, publicId: string) =>
      mapOptional(await byPublicId.get(organisationId, publicId), toRecord),
    markApplied: async (id: number, at: string, result: unknown): Promise<boolean> =>
      (await markApplied.run(at, JSON.stringify(result), id)).changes === 1,
    /** Deletes reports never applied whose time ran out before `before`. */
    pruneExpired: async (before: string): Promise<number> => (await prune.run(before)).changes,
  };
}
