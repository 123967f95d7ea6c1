// Identity and access for owners: how people arrive (provisioning mode, what happens when seats run
// out, verified domains), single sign-on connections (SAML from IdP metadata or by hand, OpenID
// Connect), SCIM tokens, and advanced group mappings, whose changes are confirmed when they would
// demote the owner making them or concern the primary owner.
import { z } from 'zod';
import type { Clock } from '../domain/clock.js';
import { foldKey } from '../domain/fold.js';
import type { Actor } from '../domain/model.js';
import { SEAT_STATES } from '../domain/model.js';
import { ValidationError } from '../domain/errors.js';
import type { GroupMapping } from '../domain/records.js';
import type { Directory } from '../provisioning/directory.js';
import type { ScimTokens } from '../provisioning/scim-tokens.js';
import {
  SP_KEY_MAX_OVERLAP_HOURS,
  SP_KEY_OVERLAP_HOURS,
  type SpKey,
  type SsoConnectionPatch,
  type SsoConnectionView,
  type SsoService,
} from '../provisioning/sso.js';
import { SCIM_PATH } from '../scim/router.js';
import { SsoError } from '../sso/errors.js';
import { ssoEndpoints } from '../sso/endpoints.js';
import { parseIdpMetadata, serviceProviderMetadata } from '../sso/saml-metadata.js';
import { ExpiresAt } from './api-tokens.js';
import { created, defined, Id, noContent, ok, route, type Route } from './route.js';
import { Instant, RoleName, RowId } from './schemas.js';

const TAG = 'Identity and access';

const Name = z.string().trim().min(1).max(100);
const Url = z.string().min(1).max(2048);
const Certificate = z.string().trim().min(1).max(16_384);
/** Attribute (SAML) or claim (OIDC) names to read instead of the usual ones. */
const names = (m: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(m).filter((e): e is [string, string] => e[1] !== undefined));
const AttributeNames = z
  .strictObject({
    email: z.string().min(1).max(256).optional(),
    displayName: z.string().min(1).max(256).optional(),
    givenName: z.string().min(1).max(256).optional(),
    familyName: z.string().min(1).max(256).optional(),
    groups: z.string().min(1).max(256).optional(),
  })
  .transform(names);
const ClaimNames = z
  .strictObject({
    email: z.string().min(1).max(256).optional(),
    displayName: z.string().min(1).max(256).optional(),
    groups: z.string().min(1).max(256).optional(),
  })
  .transform(names);
/** OAuth scope tokens (RFC 6749 §3.3); `openid` must be among them (OIDC Core §3.1.2.1). */
const Scopes = z
  .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'A scope token.'))
  .min(1)
  .max(20)
  .refine((s) => s.includes('openid'), 'OpenID Connect needs the "openid" scope.');

const SAML_BY_HAND = ['idpEntityId', 'idpSsoUrl', 'idpCerts'] as const;

const SamlSettings = {
  /** The identity provider's metadata XML; gives idpEntityId, idpSsoUrl and idpCerts. */
  metadata: z.string().min(1).max(60_000).optional(),
  idpEntityId: z.string().trim().min(1).max(1024).optional(),
  idpSsoUrl: Url.optional(),
  idpCerts: z.array(Certificate).min(1).max(5).optional(),
  responseSigned: z.boolean().optional(),
  nameIdFormat: z.string().min(1).max(256).nullable().optional(),
  attributeMap: AttributeNames.optional(),
  idpInitiated: z.boolean().optional(),
  /** Sign AuthnRequests with the connection's SP key (RSA-SHA256, SAML bindings §3.4.4.1). */
  signAuthnRequests: z.boolean().optional(),
  /** Refuse assertions that are not encrypted to the connection's SP key (SAML core §2.3.4). */
  requireEncryptedAssertions: z.boolean().optional(),
};

const NewSaml = z
  .strictObject({ protocol: z.literal('saml'), name: Name, ...SamlSettings })
  .superRefine((v, ctx) => {
    for (const key of SAML_BY_HAND) {
      if (v.metadata === undefined && v[key] === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'Required unless metadata is given.' });
      }
      if (v.metadata !== undefined && v[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'Give the metadata or this setting, not both.',
        });
      }
    }
  });

const NewOidc = z.strictObject({
  protocol: z.literal('oidc'),
  name: Name,
  issuer: Url,
  clientId: z.string().trim().min(1).max(512),
  /** Write-only: stored apart, never returned, listed or logged. */
  clientSecret: z.string().min(1).max(4096),
  scopes: Scopes.optional(),
  claimMap: ClaimNames.optional(),
});

const ConnectionPatch = z
  .strictObject({
    name: Name.optional(),
    enabled: z.boolean().optional(),
    ...SamlSettings,
    issuer: Url.optional(),
    clientId: z.string().trim().min(1).max(512).optional(),
    clientSecret: z.string().min(1).max(4096).optional(),
    scopes: Scopes.optional(),
    claimMap: ClaimNames.optional(),
  })
  .superRefine((v, ctx) => {
    for (const key of SAML_BY_HAND) {
      if (v.metadata !== undefined && v[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'Give the metadata or this setting, not both.',
        });
      }
    }
  });

const SsoConnectionSchema = z
  .object({
    id: RowId,
    publicId: z.string(),
    protocol: z.enum(['saml', 'oidc']),
    name: z.string(),
    enabled: z.boolean(),
    settings: z
      .record(z.string(), z.unknown())
      .meta({ description: "The protocol's settings as stored (never the client secret)." }),
    clientSecretSet: z.boolean(),
    linkedIdentities: z.number().int().min(0),
    serviceProvider: z.union([
      z.object({ entityId: z.string(), metadataUrl: z.string(), acsUrl: z.string() }),
      z.object({ redirectUri: z.string() }),
    ]),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .meta({ id: 'SsoConnection' });

const IdentitySettingsSchema = z
  .object({
    provisioningMode: z.enum(['invite_only', 'jit', 'scim']),
    seatExhaustion: z.enum(['reject', 'hold']),
    requireSso: z.boolean(),
    groupMappingsEnabled: z.boolean(),
    domains: z.array(z.object({ domain: z.string(), verified: z.boolean(), verifiedAt: Instant.nullable() })),
  })
  .meta({ id: 'IdentitySettings' });

const ScimTokenSchema = z
  .object({
    id: RowId,
    organisationId: RowId,
    name: z.string(),
    prefix: z.string(),
    createdAt: Instant,
    lastUsedAt: Instant.nullable(),
    revokedAt: Instant.nullable(),
    expiresAt: Instant.nullable(),
  })
  .meta({ id: 'ScimToken' });

const IssuedScimTokenSchema = ScimTokenSchema.extend({
  token: z.string().meta({ description: 'The secret, shown this once.' }),
  scimBaseUrl: z.string(),
}).meta({ id: 'IssuedScimToken' });

const MappingSchema = z
  .object({
    groupName: z.string(),
    role: z.enum(['owner', 'admin', 'user']).nullable(),
    tier: z.string().nullable(),
  })
  .meta({ id: 'GroupMapping' });

const SeatStateName = z.enum(SEAT_STATES);
const Mapped = z.object({ role: RoleName.nullable(), tier: z.string().nullable() });
const ConsequencesSchema = z
  .object({
    changes: z.array(
      z.object({
        memberId: RowId,
        email: z.string(),
        you: z.boolean(),
        primaryOwner: z.boolean(),
        role: z.object({ from: RoleName, to: RoleName }).nullable(),
        seatState: z.object({ from: SeatStateName, to: SeatStateName }).nullable(),
        tier: z.object({ from: z.string().nullable(), to: z.string().nullable() }).nullable(),
      }),
    ),
    reasons: z.array(z.enum(['demotes_you', 'unseats_you', 'primary_owner'])),
    primaryOwner: z
      .object({ memberId: RowId, email: z.string(), mappedBefore: Mapped, mappedAfter: Mapped })
      .nullable(),
  })
  .meta({ id: 'GroupMappingConsequences' });

const SpKeySchema = z
  .object({
    id: RowId,
    status: z.enum(['current', 'next', 'previous']).meta({
      description:
        'current: signs AuthnRequests, published, decrypts. next: published beside it, decrypts. previous: decrypts until `retireAt`.',
    }),
    certificate: z
      .string()
      .meta({ description: 'The self-signed X.509 certificate, PEM. Never the private key.' }),
    fingerprint: z.string().meta({ description: "SHA-256 of the certificate's DER, hex." }),
    notAfter: Instant,
    createdAt: Instant,
    promotedAt: Instant.nullable(),
    retireAt: Instant.nullable(),
    published: z.boolean().meta({ description: 'Listed in the metadata.' }),
  })
  .meta({ id: 'SamlServiceProviderKey' });

const ServiceProviderSchema = z
  .object({
    entityId: z.string(),
    metadataUrl: z.string(),
    acsUrl: z.string(),
    signAuthnRequests: z.boolean(),
    requireEncryptedAssertions: z.boolean(),
    metadata: z.string().meta({ description: 'The SP metadata XML, as served at `metadataUrl`.' }),
    keys: z.array(SpKeySchema),
  })
  .meta({ id: 'SamlServiceProvider' });

const ConnectionId = z.strictObject({ connectionId: Id });
const TokenId = z.strictObject({ tokenId: Id });

const Mappings = z
  .array(
    z.strictObject({
      /** The group's display name at the identity provider (compared case-insensitively). */
      groupName: z.string().trim().min(1).max(256),
      role: z.enum(['owner', 'admin', 'user']).nullable(),
      tier: z
        .string()
        .regex(/^[a-z][a-z0-9_-]{0,31}$/)
        .nullable(),
    }),
  )
  .max(500)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((m, i) => {
      const key = foldKey(m.groupName);
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'groupName'], message: 'Listed twice.' });
      seen.add(key);
      if (m.role === null && m.tier === null) {
        ctx.addIssue({ code: 'custom', path: [i], message: 'A mapping needs a role, a tier, or both.' });
      }
    });
  });

/** Metadata XML → the three settings it gives, or a 400 pointing at `metadata`. */
function fromMetadata(xml: string | undefined) {
  if (xml === undefined) return {};
  try {
    const { idpEntityId, idpSsoUrl, idpCerts } = parseIdpMetadata(xml);
    return { idpEntityId, idpSsoUrl, idpCerts };
  } catch (error) {
    if (!(error instanceof SsoError)) throw error;
    const problem = typeof error.details.problem === 'string' ? error.details.problem : error.message;
    throw new ValidationError(`Invalid body: metadata: ${problem}`, {
      errors: [{ in: 'body', pointer: '/metadata', detail: problem }],
    });
  }
}

export function identityRoutes(deps: {
  readonly directory: Directory;
  readonly sso: SsoService;
  readonly scimTokens: ScimTokens;
  readonly publicBaseUrl: string;
  /** What "now" is for the metadata's validUntil. */
  readonly clock: Clock;
  /** Refuses an OpenID Provider at this host's own or a private address (net/outbound.ts). */
  readonly outbound: { check(url: string): Promise<void> };
}): Route[] {
  const { directory, sso, scimTokens, outbound } = deps;
  const base = deps.publicBaseUrl.replace(/\/+$/, '');
  const endpoints = ssoEndpoints(base);

  /** A connection as the console shows it, with what to give the identity provider. */
  const connectionView = (c: SsoConnectionView) => ({
    id: c.id,
    publicId: c.publicId,
    protocol: c.protocol,
    name: c.name,
    enabled: c.enabled,
    settings: c.config,
    clientSecretSet: c.clientSecretSet,
    linkedIdentities: c.linkedIdentities,
    serviceProvider: endpoints.serviceProvider(c),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  });

  /** A SAML connection's service provider side: URLs, options, metadata, keys (never a private key). */
  const serviceProviderView = (
    publicId: string,
    settings: Readonly<Record<string, unknown>>,
    keys: readonly SpKey[],
  ): z.infer<typeof ServiceProviderSchema> => {
    const entityId = endpoints.samlEntityId(publicId);
    const acsUrl = endpoints.samlAcsUrl(publicId);
    const signAuthnRequests = settings.signAuthnRequests === true;
    return {
      entityId,
      metadataUrl: entityId,
      acsUrl,
      signAuthnRequests,
      requireEncryptedAssertions: settings.requireEncryptedAssertions === true,
      metadata: serviceProviderMetadata({
        spEntityId: entityId,
        acsUrl,
        nameIdFormat: typeof settings.nameIdFormat === 'string' ? settings.nameIdFormat : null,
        signAuthnRequests,
        certificates: keys.filter((k) => k.status !== 'previous').map((k) => k.certificate),
        now: deps.clock.now(),
      }),
      keys: keys.map((k) => ({
        id: k.id,
        status: k.status,
        certificate: k.certificate,
        fingerprint: k.fingerprint,
        notAfter: k.notAfter,
        createdAt: k.createdAt,
        promotedAt: k.promotedAt,
        retireAt: k.retireAt,
        published: k.status !== 'previous',
      })),
    };
  };
  /** The connection's service provider view, for an owner. */
  const serviceProviderOf = async (
    caller: { organisationId: number; actor: Actor },
    connectionId: number,
  ) => {
    const keys = await sso.serviceProviderKeys(caller.organisationId, connectionId, caller.actor);
    const connection = await sso.connectionById(connectionId);
    return serviceProviderView(connection.publicId, connection.config, keys);
  };

  const identityView = (s: Awaited<ReturnType<Directory['identitySettings']>>, requireSso: boolean) => ({
    provisioningMode: s.provisioningMode,
    seatExhaustion: s.seatExhaustion,
    requireSso,
    groupMappingsEnabled: s.groupMappingsEnabled,
    domains: s.domains.map((d) => ({
      domain: d.domain,
      verified: d.verifiedAt !== null,
      verifiedAt: d.verifiedAt,
    })),
  });

  const mappingView = (m: GroupMapping): z.infer<typeof MappingSchema> => ({
    groupName: m.groupName,
    role: m.role,
    tier: m.tierId,
  });

  return [
    route({
      method: 'get',
      path: '/identity',
      tag: TAG,
      summary: 'Show provisioning settings',
      operationId: 'getIdentitySettings',
      role: 'owner',
      response: IdentitySettingsSchema,
      responses: {
        200: 'Provisioning mode, seat exhaustion policy, whether single sign-on is required, whether group mappings are on, and the domains.',
      },
      handle: async ({ caller }) =>
        ok(
          identityView(
            await directory.identitySettings(caller.organisationId, caller.actor),
            await sso.requiresSso(caller.organisationId, caller.actor),
          ),
        ),
    }),
    route({
      method: 'patch',
      path: '/identity',
      tag: TAG,
      summary: 'Change provisioning settings',
      operationId: 'changeIdentitySettings',
      role: 'owner',
      body: z.strictObject({
        provisioningMode: z.enum(['invite_only', 'jit', 'scim']).optional(),
        seatExhaustion: z.enum(['reject', 'hold']).optional(),
        /** Sign-in links and invitation acceptance through the identity provider (docs/sso.md). */
        requireSso: z.boolean().optional(),
      }),
      response: IdentitySettingsSchema,
      responses: {
        200: 'The settings now in force.',
        409: 'Single sign-on cannot be required without an enabled connection (`sso_not_configured`).',
      },
      handle: async ({ caller, body }) => {
        const { requireSso, ...provisioning } = body;
        // One transaction: every setting given changes, or none does.
        return ok(
          await sso.atomically(async (q) => {
            if (requireSso !== undefined)
              await sso.setRequireSsoIn(q, caller.organisationId, requireSso, caller.actor);
            return identityView(
              await directory.configureIdentityIn(
                q,
                caller.organisationId,
                defined(provisioning),
                caller.actor,
              ),
              await sso.requiresSsoIn(q, caller.organisationId, caller.actor),
            );
          }),
        );
      },
    }),

    route({
      method: 'get',
      path: '/sso-connections',
      tag: TAG,
      summary: 'List single sign-on connections',
      operationId: 'listSsoConnections',
      role: 'owner',
      response: z.object({ connections: z.array(SsoConnectionSchema) }),
      responses: {
        200: 'Every connection with its settings and what to give the identity provider; never a client secret.',
      },
      handle: async ({ caller }) =>
        ok({
          connections: (await sso.listConnections(caller.organisationId, caller.actor)).map(connectionView),
        }),
    }),
    route({
      method: 'post',
      path: '/sso-connections',
      tag: TAG,
      summary: 'Add a single sign-on connection',
      operationId: 'createSsoConnection',
      role: 'owner',
      body: z.discriminatedUnion('protocol', [NewSaml, NewOidc]),
      response: SsoConnectionSchema,
      responses: { 201: 'The connection, enabled; for OIDC, `clientSecretSet` but never the secret.' },
      handle: async ({ caller, body }) => {
        // The issuer is called at every sign-in: one this server may not reach is refused now, and
        // nothing is stored (it would be refused again at each sign-in).
        if (body.protocol === 'oidc') await outbound.check(body.issuer);
        const made =
          body.protocol === 'saml'
            ? await (async () => {
                const { metadata, idpEntityId, idpSsoUrl, idpCerts, ...rest } = body;
                const idp =
                  metadata === undefined ? { idpEntityId, idpSsoUrl, idpCerts } : fromMetadata(metadata);
                return await sso.createConnection(
                  caller.organisationId,
                  {
                    ...defined(rest),
                    protocol: 'saml',
                    idpEntityId: idp.idpEntityId ?? '',
                    idpSsoUrl: idp.idpSsoUrl ?? '',
                    idpCerts: idp.idpCerts ?? [],
                  },
                  caller.actor,
                );
              })()
            : await sso.createConnection(caller.organisationId, defined(body), caller.actor);
        // A SAML connection gets its SP key pair now (encrypted assertions, signed requests).
        if (made.protocol === 'saml') await sso.ensureServiceProviderKey(made.id);
        // New: nothing is linked yet, and an OIDC connection always has its secret.
        const view = { ...made, clientSecretSet: made.protocol === 'oidc', linkedIdentities: 0 };
        return created(connectionView(view), `/api/v1/sso-connections/${made.id}`);
      },
    }),
    route({
      method: 'patch',
      path: '/sso-connections/:connectionId',
      tag: TAG,
      summary: 'Change, enable or disable a single sign-on connection',
      operationId: 'updateSsoConnection',
      role: 'owner',
      params: ConnectionId,
      body: ConnectionPatch,
      response: SsoConnectionSchema,
      responses: {
        200: 'The connection as changed.',
        404: 'No such connection in this organisation.',
        409: 'Turning off the last enabled connection while single sign-on is required (`sso_required_in_use`).',
      },
      handle: async ({ caller, params, body }) => {
        const { metadata, ...rest } = body;
        if (rest.issuer !== undefined) await outbound.check(rest.issuer);
        const patch: SsoConnectionPatch = { ...defined(rest), ...fromMetadata(metadata) };
        return ok(
          connectionView(
            await sso.updateConnection(caller.organisationId, params.connectionId, patch, caller.actor),
          ),
        );
      },
    }),
    route({
      method: 'delete',
      path: '/sso-connections/:connectionId',
      tag: TAG,
      summary: 'Delete a single sign-on connection',
      operationId: 'deleteSsoConnection',
      role: 'owner',
      params: ConnectionId,
      responses: {
        204: 'Deleted, with the identities linked through it; the members keep their seats and roles.',
        404: 'No such connection in this organisation.',
        409: 'The last enabled connection while single sign-on is required (`sso_required_in_use`).',
      },
      handle: async ({ caller, params }) => {
        await sso.deleteConnection(caller.organisationId, params.connectionId, caller.actor);
        return noContent;
      },
    }),
    route({
      method: 'get',
      path: '/sso-connections/:connectionId/service-provider',
      tag: TAG,
      summary: "Show a SAML connection's service provider metadata and keys",
      operationId: 'getSamlServiceProvider',
      role: 'owner',
      params: ConnectionId,
      response: ServiceProviderSchema,
      responses: {
        200: 'The SP entity id, ACS and metadata URL, the options, the metadata XML, and every key (certificates only; a private key is never returned). A connection without a key gets one first.',
        404: 'No such SAML connection in this organisation.',
      },
      handle: async ({ caller, params }) => {
        // Checked (role, connection) before a key is made for it.
        await sso.serviceProviderKeys(caller.organisationId, params.connectionId, caller.actor);
        await sso.ensureServiceProviderKey(params.connectionId);
        return ok(await serviceProviderOf(caller, params.connectionId));
      },
    }),
    route({
      method: 'post',
      path: '/sso-connections/:connectionId/service-provider/keys',
      tag: TAG,
      summary: 'Start a SAML service provider key rotation: publish a next key',
      operationId: 'addSamlServiceProviderKey',
      role: 'owner',
      params: ConnectionId,
      response: ServiceProviderSchema,
      responses: {
        201: 'A new key pair, `next`, published in the metadata beside the current key and decrypting already; give the IdP the new metadata, then promote it. Audited (`sso_connection.sp_key_added`).',
        404: 'No such SAML connection in this organisation.',
        409: 'A next key is already waiting (`sp_key_rotation_pending`): promote it first.',
      },
      handle: async ({ caller, params }) => {
        await sso.addServiceProviderKey(caller.organisationId, params.connectionId, caller.actor);
        return created(
          await serviceProviderOf(caller, params.connectionId),
          `/api/v1/sso-connections/${params.connectionId}/service-provider`,
        );
      },
    }),
    route({
      method: 'post',
      path: '/sso-connections/:connectionId/service-provider/keys/promote',
      tag: TAG,
      summary: 'Finish a SAML service provider key rotation: promote the next key',
      operationId: 'promoteSamlServiceProviderKey',
      role: 'owner',
      params: ConnectionId,
      body: z.strictObject({
        /** How long the replaced key still decrypts (default 24 hours; 0 ends it at once). */
        overlapHours: z.number().min(0).max(SP_KEY_MAX_OVERLAP_HOURS).optional(),
      }),
      response: ServiceProviderSchema,
      responses: {
        200: 'The next key is current (it signs, and the metadata publishes it alone); the one it replaced is `previous` and decrypts until `retireAt`. Audited (`sso_connection.sp_key_promoted`).',
        404: 'No such SAML connection in this organisation.',
        409: 'There is no next key to promote (`sp_key_no_next`).',
      },
      handle: async ({ caller, params, body }) => {
        await sso.promoteServiceProviderKey(
          caller.organisationId,
          params.connectionId,
          body.overlapHours ?? SP_KEY_OVERLAP_HOURS,
          caller.actor,
        );
        return ok(await serviceProviderOf(caller, params.connectionId));
      },
    }),

    route({
      method: 'get',
      path: '/scim-tokens',
      tag: TAG,
      summary: 'List SCIM tokens',
      operationId: 'listScimTokens',
      role: 'owner',
      response: z.object({ scimBaseUrl: z.string(), tokens: z.array(ScimTokenSchema) }),
      responses: { 200: 'The SCIM base URL, and every token (revoked ones too) without its secret.' },
      handle: async ({ caller }) =>
        ok({
          scimBaseUrl: `${base}${SCIM_PATH}`,
          tokens: await scimTokens.list(caller.organisationId, caller.actor),
        }),
    }),
    route({
      method: 'post',
      path: '/scim-tokens',
      tag: TAG,
      summary: 'Create a SCIM token',
      operationId: 'createScimToken',
      role: 'owner',
      body: z.strictObject({ name: Name, expiresAt: ExpiresAt }),
      response: IssuedScimTokenSchema,
      responses: {
        201: 'The token; `token` is the secret, shown this once. With `expiresAt` it stops working then (SCIM 401).',
        409: 'The organisation already holds the most live tokens it may (`scim_token_limit`); revoke one first.',
      },
      handle: async ({ caller, body }) => {
        const issued = await scimTokens.create(caller.organisationId, body.name, caller.actor, {
          expiresAt: body.expiresAt,
        });
        return created(
          { token: issued.token, scimBaseUrl: `${base}${SCIM_PATH}`, ...issued.record },
          `/api/v1/scim-tokens/${issued.record.id}`,
        );
      },
    }),
    route({
      method: 'delete',
      path: '/scim-tokens/:tokenId',
      tag: TAG,
      summary: 'Revoke a SCIM token',
      operationId: 'revokeScimToken',
      role: 'owner',
      params: TokenId,
      responses: {
        204: 'Revoked; the identity provider is refused with it within a second (at once by the server process that answered).',
        404: 'No active token with that id.',
      },
      handle: async ({ caller, params }) => {
        await scimTokens.revoke(caller.organisationId, params.tokenId, caller.actor);
        return noContent;
      },
    }),

    route({
      method: 'get',
      path: '/group-mappings',
      tag: TAG,
      summary: 'Show advanced group mappings',
      operationId: 'getGroupMappings',
      role: 'owner',
      response: z.object({ enabled: z.boolean(), mappings: z.array(MappingSchema) }),
      responses: { 200: 'Whether mappings are on, and every mapping: group name → role and/or tier.' },
      handle: async ({ caller }) => {
        const { enabled, mappings } = await directory.groupMappings(caller.organisationId, caller.actor);
        return ok({ enabled, mappings: mappings.map(mappingView) });
      },
    }),
    route({
      method: 'put',
      path: '/group-mappings',
      tag: TAG,
      summary: 'Replace advanced group mappings',
      operationId: 'replaceGroupMappings',
      role: 'owner',
      body: z.strictObject({
        enabled: z.boolean(),
        /** The whole list: mappings not in it are removed. */
        mappings: Mappings,
        /** Needed when the change lowers your role or seat, or concerns the primary owner. */
        confirm: z.boolean().optional(),
      }),
      response: z.object({
        enabled: z.boolean(),
        mappings: z.array(MappingSchema),
        consequences: ConsequencesSchema,
      }),
      responses: {
        200: 'Applied: the mappings, and `consequences` (every member whose role, seat or tier changed).',
        409: '`confirmation_required`: the change would demote or unseat you, or concerns the primary owner; `consequences` lists what it would do. Nothing was changed.',
      },
      handle: async ({ caller, body }) => {
        const result = await directory.changeGroupMappings(
          caller.organisationId,
          {
            enabled: body.enabled,
            replace: body.mappings.map((m) => ({ groupName: m.groupName, role: m.role, tierId: m.tier })),
          },
          caller.actor,
          { confirm: body.confirm === true },
        );
        return ok({
          enabled: result.enabled,
          mappings: result.mappings.map(mappingView),
          consequences: result.consequences,
        });
      },
    }),
  ];
}
