// SCIM bearer tokens: created by owners (or the operator), shown once, stored only as SHA-256
// hashes, compared in constant time, revocable (the rules shared with API tokens are in
// provisioning/bearer-tokens.ts). A token belongs to one organisation, which is how a SCIM request
// finds its organisation: never from the URL. What is SCIM's own: a cap on live tokens, and valid
// tokens remembered for a moment, as every SCIM request authenticates.
import type { Clock } from '../domain/clock.js';
import { AuthError, ConflictError, NotFoundError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';
import type { ScimToken } from '../domain/records.js';
import type { Store } from '../db/port.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import {
  lastUsedIsStale,
  newToken,
  requireUnexpired,
  sameTokenHash,
  tokenExpiry,
  tokenHash,
  tokenName,
} from './bearer-tokens.js';
import { recordAudit } from '../audit/record.js';

const PREFIX = 'skscim_';

export interface IssuedToken {
  /** The secret: shown once, never stored. */
  readonly token: string;
  readonly record: Omit<ScimToken, 'tokenHash'>;
}

export interface ScimCaller {
  readonly organisationId: number;
  readonly tokenId: number;
}

function publicView({ tokenHash: _hidden, ...rest }: ScimToken): Omit<ScimToken, 'tokenHash'> {
  return rest;
}

/**
 * Live (unrevoked) tokens an organisation may hold: one per identity provider connection, and room
 * to rotate each (create the new one, switch the provider over, revoke the old). The SCIM rate
 * limit is per token and per organisation; the cap keeps the number of tokens, and with it what an
 * organisation's secrets can be spread over, bounded too.
 */
export const MAX_LIVE_TOKENS = 10;

/**
 * How long a token found valid is trusted without reading its row again: the bound on how late a
 * revocation made by another process (the operator's command line, another server process) takes
 * effect here. One made through this process takes effect at once.
 */
export const TOKEN_RECHECK_MS = 1000;

/** Most tokens remembered as valid; only valid tokens are, so this is far above any real count. */
const MAX_CACHED = 10_000;

/** A token found valid, remembered by the hash of its secret. */
interface CachedToken {
  readonly caller: ScimCaller;
  /** performance.now() when the row was read. */
  readonly checkedAt: number;
  /** When the token was last marked used (ms since the epoch), or null. */
  lastUsedMs: number | null;
  /** When it stops working (UTC ISO), or null. */
  readonly expiresAt: string | null;
}

export function createScimTokens({ store, clock }: { readonly store: Store; readonly clock: Clock }) {
  // Every SCIM request authenticates, and reading the token row (a read transaction of its own) each
  // time cost about 20 µs, some 4 % of a create. Valid tokens are remembered for TOKEN_RECHECK_MS;
  // a revocation through this process evicts its token at once (revoke below). The cache is keyed by
  // the secret's SHA-256, so, like the indexed lookup, its timing reveals nothing about the secret.
  const cache = new Map<string, CachedToken>();

  function evict(tokenId: number): void {
    for (const [key, entry] of cache) if (entry.caller.tokenId === tokenId) cache.delete(key);
  }

  return {
    /** `expiresAt`: when it stops working (an instant with an offset); absent: when revoked. */
    async create(
      organisationId: number,
      name: string,
      actor: Actor,
      options: { readonly expiresAt?: string | null | undefined } = {},
    ): Promise<IssuedToken> {
      const label = tokenName(name);
      const expiresAt = tokenExpiry(options.expiresAt, clock.now());
      return await store.write(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'manage SCIM tokens');
        // Counted under the organisation's lock, in the transaction that inserts, so two concurrent
        // creates cannot both pass (on PostgreSQL, without the lock, both would count the same nine).
        await q.organisations.lockForChange(organisationId);
        const live = (await q.scimTokens.list(organisationId)).filter((t) => t.revokedAt === null).length;
        if (live >= MAX_LIVE_TOKENS) {
          throw new ConflictError(
            `This organisation has ${live} SCIM tokens, the most it may hold; revoke one it no longer uses first.`,
            { limit: MAX_LIVE_TOKENS },
            'scim_token_limit',
          );
        }
        const { token, tokenHash: hash, shownPrefix } = newToken(PREFIX);
        const at = clock.now().toISO()!;
        const id = await q.scimTokens.insert(organisationId, label, hash, shownPrefix, at, expiresAt);
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: 'scim_token.created',
          subjectType: 'scim_token',
          subjectId: id,
          after: { name: label, ...(expiresAt ? { expiresAt } : {}) },
        });
        return { token, record: publicView((await q.scimTokens.byId(organisationId, id))!) };
      });
    },

    async list(organisationId: number, actor: Actor): Promise<Omit<ScimToken, 'tokenHash'>[]> {
      return await store.read(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', 'manage SCIM tokens');
        return (await q.scimTokens.list(organisationId)).map(publicView);
      });
    },

    async revoke(organisationId: number, tokenId: number, actor: Actor): Promise<void> {
      await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', 'manage SCIM tokens');
        const at = clock.now().toISO()!;
        if (!(await q.scimTokens.revoke(organisationId, tokenId, at)))
          throw new NotFoundError(`No active SCIM token ${tokenId}.`);
        // Before the commit, and nothing runs in between: no request can authenticate with it now.
        evict(tokenId);
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: 'scim_token.revoked',
          subjectType: 'scim_token',
          subjectId: tokenId,
        });
      });
    },

    /** The organisation a presented secret belongs to, or AuthError. */
    async authenticate(secret: string): Promise<ScimCaller> {
      const presented = tokenHash(secret);
      const at = performance.now();
      let entry = cache.get(presented);
      if (entry === undefined || at - entry.checkedAt >= TOKEN_RECHECK_MS) {
        cache.delete(presented);
        const token = await store.read((q) => q.scimTokens.activeByHash(presented));
        if (!token || !sameTokenHash(presented, token.tokenHash)) {
          throw new AuthError('The bearer token is missing, unknown or revoked.');
        }
        entry = {
          caller: { organisationId: token.organisationId, tokenId: token.id },
          checkedAt: at,
          lastUsedMs: token.lastUsedAt === null ? null : Date.parse(token.lastUsedAt),
          expiresAt: token.expiresAt,
        };
        if (cache.size >= MAX_CACHED) cache.clear();
        cache.set(presented, entry);
      }
      const now = clock.now();
      // Checked on every request, cached or not: an expired token stops at its instant.
      requireUnexpired('The bearer token', entry.expiresAt, now);
      if (lastUsedIsStale(entry.lastUsedMs, now)) {
        const { tokenId } = entry.caller;
        await store.write((q) => q.scimTokens.markUsed(tokenId, now.toISO()!));
        entry.lastUsedMs = now.toMillis();
      }
      return entry.caller;
    },
  };
}

export type ScimTokens = ReturnType<typeof createScimTokens>;
