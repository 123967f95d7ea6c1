// Organisation-scoped API tokens: owners create them with a role, see them listed (never the
// secret again) and revoke them.
import { z } from 'zod';
import type { ApiTokens } from '../provisioning/api-tokens.js';
import { created, Id, noContent, ok, route, type Route } from './route.js';
import { Instant, RowId } from './schemas.js';

/** When a token stops working: an instant with an offset (RFC 3339); absent or null, when revoked. */
export const ExpiresAt = z.iso.datetime({ offset: true }).nullable().optional();

const TokenId = z.strictObject({ tokenId: Id });

/** An API token as listed: never its secret. */
const ApiTokenSchema = z
  .object({
    id: RowId,
    organisationId: RowId,
    name: z.string(),
    role: z.enum(['owner', 'admin', 'user']),
    prefix: z.string().meta({ description: 'The first characters of the secret, to tell tokens apart.' }),
    createdByMemberId: RowId.nullable(),
    createdAt: Instant,
    lastUsedAt: Instant.nullable(),
    revokedAt: Instant.nullable(),
    expiresAt: Instant.nullable(),
  })
  .meta({ id: 'ApiToken' });

const IssuedApiTokenSchema = ApiTokenSchema.extend({
  token: z.string().meta({ description: 'The secret (`skapi_…`), shown this once.' }),
}).meta({ id: 'IssuedApiToken' });

export function apiTokenRoutes({ apiTokens }: { readonly apiTokens: ApiTokens }): Route[] {
  return [
    route({
      method: 'get',
      path: '/api-tokens',
      tag: 'Identity and access',
      summary: 'List API tokens',
      operationId: 'listApiTokens',
      role: 'owner',
      response: z.object({ tokens: z.array(ApiTokenSchema) }),
      responses: { 200: 'Every token of the organisation, revoked ones included, without secrets.' },
      handle: async ({ caller }) => ok({ tokens: await apiTokens.list(caller.organisationId, caller.actor) }),
    }),
    route({
      method: 'post',
      path: '/api-tokens',
      tag: 'Identity and access',
      summary: 'Create an API token',
      operationId: 'createApiToken',
      role: 'owner',
      body: z
        .strictObject({
          name: z.string().trim().min(1).max(100),
          role: z.enum(['owner', 'admin', 'user']),
          expiresAt: ExpiresAt,
        })
        .meta({ examples: [{ name: 'HR sync', role: 'admin', expiresAt: '2027-01-01T00:00:00Z' }] }),
      response: IssuedApiTokenSchema,
      responses: {
        201: 'The token; `token` is the secret, shown this once. With `expiresAt` it stops working then (401 `token_expired`).',
      },
      handle: async ({ caller, body }) => {
        const issued = await apiTokens.create(caller.organisationId, body, caller.actor);
        return created({ token: issued.token, ...issued.record }, `/api/v1/api-tokens/${issued.record.id}`);
      },
    }),
    route({
      method: 'delete',
      path: '/api-tokens/:tokenId',
      tag: 'Identity and access',
      summary: 'Revoke an API token',
      operationId: 'revokeApiToken',
      role: 'owner',
      params: TokenId,
      responses: { 204: 'Revoked; it stops working at once.', 404: 'No active token with that id.' },
      handle: async ({ caller, params }) => {
        await apiTokens.revoke(caller.organisationId, params.tokenId, caller.actor);
        return noContent;
      },
    }),
  ];
}
