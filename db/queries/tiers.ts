// Queries on seat tiers: ordered data, highest rank first.
import type { Sql } from '../sql.js';
import type { Tier } from '../../domain/records.js';
import type { TierQueries } from '../port.js';

export function createTierQueries(db: Sql): TierQueries {
  const all = db.prepare<[], Tier>('SELECT id, name, rank FROM tiers ORDER BY rank DESC');
  return {
    /** Every tier, highest rank first. */
    all: async (): Promise<Tier[]> => await all.all(),
  };
}
