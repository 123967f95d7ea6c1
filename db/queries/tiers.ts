// Queries on seat tiers: ordered data, highest rank first.
import type { Db } from '../connection.js';

export interface Tier {
  readonly id: string;
  readonly name: string;
  readonly rank: number;
}

export function createTierQueries(db: Db) {
  const all = db.prepare<[], Tier>('SELECT id, name, rank FROM tiers ORDER BY rank DESC');
  return {
    /** Every tier, highest rank first. */
    all: (): Tier[] => all.all(),
  };
}
