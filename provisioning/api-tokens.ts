// Admin API tokens: created by owners for an organisation with a role no higher than their own
// (never primary owner), shown once, stored only as hashes, revocable; a revoked token stops at once.
// The operator makes one with `seatkeeper api-token create` when no member can yet (the primary
// owner's invitation is still open): it records no maker (createdByMemberId null), so it answers to
// no member and acts with its own role alone, owner at most (docs/rules.md, "Members and roles").
import type { Clock } from '../domain/clock.js';
import { AuthError, ForbiddenError, NotFoundError } from '../domain/errors.js';
import { hasRole, type Actor } from '../domain/model.js';
import type { ApiToken, TokenRole } from '../domain/records.js';
import type { Queries, Store } from '../db/port.js';
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

const PREFIX = 'skapi_';

export type ApiTokenView = Omit<ApiToken, 'tokenHash'>;

export interface IssuedApiToken {
  /** The secret: shown once, never stored. */
  readonly token: string;
  readonly record: ApiTokenView;
}

function publicView({ tokenHash: _hidden, ...rest }: ApiToken): ApiTokenView {
  return rest;
}

/**
 * A token may not act above the member who made it: the role is capped at creation. The operator,
 * and a token (which requireRole has just found to be an owner answering to a seated owner, or to
 * no member), are not capped here: owner, what managing tokens takes, is the most a token may be.
 */
async function requireDelegable(
  q: Queries,
  organisationId: number,
  actor: Actor,
  role: TokenRole,
): Promise<void> {
  if (actor.type !== 'member') return;
  const creator = await q.members.byId(organisationId, actor.memberId);
  if (!creator || !hasRole(creator.role, role)) {
    throw new ForbiddenError(`A token cannot be given a role above your own.`, { requiredRole: role });
  }
}

export function createApiTokens({ store, clock }: { readonly store: Store; readonly clock: Clock }) {
  return {
    async create(
      organisationId: number,
      input: { name: string; role: TokenRole; expiresAt?: string | null | undefined },
      actor: Actor,
    ): Promise<IssuedApiToken> {
      const name = tokenName(input.name, { field: 'name' });
      const expiresAt = tokenExpiry(input.expiresAt, clock.now());
      return await store.write(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'manage API tokens');
        await requireDelegable(q, organisationId, actor, input.role);
        const { token, tokenHash: hash, shownPrefix } = newToken(PREFIX);
        const at = clock.now().toISO()!;
        const id = await q.apiTokens.insert({
          organisationId,
          name,
          role: input.role,
          tokenHash: hash,
          prefix: shownPrefix,
          // A token made by a token answers to the member behind that one, so the chain keeps a
          // person whose role caps it (seats/roles.ts).
          createdByMemberId:
            actor.type === 'member'
              ? actor.memberId
              : actor.type === 'api_token'
                ? ((await q.apiTokens.active(organisationId, actor.tokenId))?.createdByMemberId ?? null)
                : null,
          at,
          expiresAt,
        });
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: 'api_token.created',
          subjectType: 'api_token',
          subjectId: id,
          after: { name, role: input.role, ...(expiresAt ? { expiresAt } : {}) },
        });
        return { token, record: publicView((await q.apiTokens.byId(organisationId, id))!) };
      });
    },

    async list(organisationId: number, actor: Actor): Promise<ApiTokenView[]> {
      return await store.read(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', 'manage API tokens');
        return (await q.apiTokens.list(organisationId)).map(publicView);
      });
    },

    async revoke(organisationId: number, tokenId: number, actor: Actor): Promise<void> {
      await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', 'manage API tokens');
        const at = clock.now().toISO()!;
        if (!(await q.apiTokens.revoke(organisationId, tokenId, at)))
          throw new NotFoundError(`No active API token ${tokenId}.`);
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: 'api_token.revoked',
          subjectType: 'api_token',
          subjectId: tokenId,
        });
      });
    },

    /** The token a presented secret is, or AuthError. */
    async authenticate(secret: string): Promise<ApiTokenView> {
      const presented = tokenHash(secret);
      const token = secret.startsWith(PREFIX)
        ? await store.read((q) => q.apiTokens.activeByHash(presented))
        : undefined;
      if (!token || !sameTokenHash(presented, token.tokenHash)) {
        throw new AuthError('The API token is missing, unknown or revoked.');
      }
      const now = clock.now();
      requireUnexpired('The API token', token.expiresAt, now);
      if (lastUsedIsStale(token.lastUsedAt === null ? null : Date.parse(token.lastUsedAt), now)) {
        await store.write((q) => q.apiTokens.markUsed(token.id, now.toISO()!));
      }
      return publicView(token);
    },
  };
}

export type ApiTokens = ReturnType<typeof createApiTokens>;
