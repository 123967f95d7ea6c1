// Queries on seat tiers: ordered data, highest rank first.
import type { Db } from '../connection.js';
import type { Tier } from '../../domain/records.js';
import type { TierQueries } from '../port.js';

export function createTierQueries(db: Db): TierQueries {
  const all = db.prepare<[], Tier>('SELECT id, name, rank FROM tiers ORDER BY rank DESC');
  return {
    /** Every tier, highest rank first. */
    all: async (): Promise<Tier[]> => all.all(),
  };
}
