// The secrets Seatkeeper keeps to use later (OIDC client secrets, SAML service provider private
// keys, webhook signing secrets), sealed
// at rest (db/secret-box.ts): sealing what an older release stored in plain text, at every start,
// and re-sealing everything under the newest key, for `seatkeeper secrets rotate`. Each is one
// write transaction, so a crash leaves every value either as it was or re-sealed, never lost.
import type { SealState } from '../domain/records.js';
import type { Store } from '../db/port.js';

export interface ResealOutcome {
  /** Values sealed again under the current key. */
  readonly resealed: number;
  /** Ids of keys some values are sealed under but which are not configured: those stay as they are. */
  readonly unknownKeys: readonly string[];
}

export function createStoredSecrets({ store }: { readonly store: Store }) {
  async function reseal(which: (state: SealState) => boolean): Promise<ResealOutcome> {
    return await store.write(async (q) => {
      const outcomes = [
        await q.sso.resealSecrets(which),
        await q.samlSpKeys.resealSecrets(which),
        await q.webhooks.resealSecrets(which),
      ];
      return {
        resealed: outcomes.reduce((n, o) => n + o.resealed, 0),
        unknownKeys: [...new Set(outcomes.flatMap((o) => o.unknownKeys))],
      };
    });
  }

  return {
    /** Seals the values still in plain text (stored before secrets were sealed). */
    sealPlaintext: (): Promise<ResealOutcome> => reseal((state) => state === 'plain'),
    /** Seals every value not under the current key again under it (after a new key was added). */
    rotate: (): Promise<ResealOutcome> => reseal((state) => state !== 'current'),
  };
}

export type StoredSecrets = ReturnType<typeof createStoredSecrets>;
