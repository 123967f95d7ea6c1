// What the SSO edge needs from storage, and nothing more: connections (created by owners), where a
// sign-in starts (organisation slug, or the email's verified domain) and the one-time state of
// sign-ins in flight. Sessions have their own room (sessions.ts). The edge never reaches db/ itself.
import { randomBytes } from 'node:crypto';
import type { DateTime } from 'luxon';
import type { Clock } from '../domain/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.js';
import type { Actor, Role } from '../domain/model.js';
import type { Queries, Store } from '../db/port.js';
import type { Organisation, SpKey, SsoConnection } from '../domain/records.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import { makeSpKeyPair, type SpKeyPair } from './sp-certificate.js';
import { onVerifiedDomain, organisationOfVerifiedDomain } from './verified-domains.js';
import { recordAudit } from '../audit/record.js';

export type { SpKey, SsoConnection } from '../domain/records.js';

export interface SamlConnectionInput {
  readonly protocol: 'saml';
  readonly name: string;
  readonly idpEntityId: string;
  readonly idpSsoUrl: string;
  readonly idpCerts: readonly string[];
  readonly responseSigned?: boolean;
  readonly nameIdFormat?: string | null;
  readonly attributeMap?: Readonly<Record<string, string>>;
  readonly idpInitiated?: boolean;
  /** Sign AuthnRequests with the connection's SP key (SAML bindings §3.4.4.1). */
  readonly signAuthnRequests?: boolean;
  /** Refuse assertions that were not encrypted to the connection's SP key (SAML core §2.3.4). */
  readonly requireEncryptedAssertions?: boolean;
}

export interface OidcConnectionInput {
  readonly protocol: 'oidc';
  readonly name: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes?: readonly string[];
  readonly claimMap?: Readonly<Record<string, string>>;
}

/** A connection as owners see it: never the secret, only whether one is set. */
export interface SsoConnectionView extends SsoConnection {
  readonly clientSecretSet: boolean;
  /** People linked to an identity at this provider (unlinked if the connection is deleted). */
  readonly linkedIdentities: number;
}

/** A change to a connection: any of its own protocol's settings; absent ones are kept. */
export interface SsoConnectionPatch {
  readonly name?: string;
  readonly enabled?: boolean;
  readonly idpEntityId?: string;
  readonly idpSsoUrl?: string;
  readonly idpCerts?: readonly string[];
  readonly responseSigned?: boolean;
  readonly nameIdFormat?: string | null;
  readonly attributeMap?: Readonly<Record<string, string>>;
  readonly idpInitiated?: boolean;
  readonly signAuthnRequests?: boolean;
  readonly requireEncryptedAssertions?: boolean;
  readonly issuer?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly scopes?: readonly string[];
  readonly claimMap?: Readonly<Record<string, string>>;
}

const SETTINGS = {
  saml: [
    'idpEntityId',
    'idpSsoUrl',
    'idpCerts',
    'responseSigned',
    'nameIdFormat',
    'attributeMap',
    'idpInitiated',
    'signAuthnRequests',
    'requireEncryptedAssertions',
  ],
  oidc: ['issuer', 'clientId', 'clientSecret', 'scopes', 'claimMap'],
} as const;

/** The connection's settings with the patch applied, checked as createConnection checks new ones. */
function mergeConfig(current: SsoConnection, patch: SsoConnectionPatch): Record<string, unknown> {
  const other = current.protocol === 'saml' ? SETTINGS.oidc : SETTINGS.saml;
  const foreign = other.filter((key) => patch[key] !== undefined);
  if (foreign.length > 0) {
    throw new ValidationError(
      `${foreign.join(', ')} ${foreign.length === 1 ? 'is not a setting' : 'are not settings'} of ${current.protocol.toUpperCase()} connections.`,
      {
        errors: foreign.map((key) => ({
          in: 'body',
          pointer: `/${key}`,
          detail: `Not a setting of ${current.protocol.toUpperCase()} connections.`,
        })),
      },
    );
  }
  const config: Record<string, unknown> = { ...current.config };
  for (const key of SETTINGS[current.protocol]) {
    if (key !== 'clientSecret' && patch[key] !== undefined) config[key] = patch[key];
  }
  const problems: string[] = [];
  if (current.protocol === 'saml') {
    if (text(config.idpEntityId).trim() === '') problems.push('the IdP entity id is required');
    requireUrl(text(config.idpSsoUrl), 'the IdP sign-in URL', problems);
    if (!Array.isArray(config.idpCerts) || config.idpCerts.length === 0)
      problems.push('at least one IdP signing certificate is required');
  } else {
    requireUrl(text(config.issuer), 'the issuer', problems);
    if (text(config.clientId).trim() === '') problems.push('the client id is required');
    if (patch.clientSecret === '') problems.push('the client secret cannot be empty');
  }
  if (problems.length > 0)
    throw new ValidationError(`Cannot change the connection:\n- ${problems.join('\n- ')}`, { problems });
  return config;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

async function viewOf(q: Queries, organisationId: number, c: SsoConnection): Promise<SsoConnectionView> {
  return {
    ...c,
    clientSecretSet: (await q.sso.withSecret(organisationId)).has(c.id),
    linkedIdentities: (await q.sso.identityCounts(organisationId)).get(c.id) ?? 0,
  };
}

/**
 * True when this person must sign in through the identity provider, not by mail: the organisation
 * requires single sign-on and the address is on one of its verified domains (the addresses its
 * provider speaks for). The primary owner is exempt: a mailed link is the documented way back in
 * when the provider itself is broken or misconfigured (docs/sso.md, "Require single sign-on").
 */
export async function ssoRequiredFor(
  q: Queries,
  organisation: Organisation,
  person: { readonly email: string; readonly role: Role },
): Promise<boolean> {
  if (!organisation.requireSso || person.role === 'primary_owner') return false;
  return await onVerifiedDomain(q, organisation.id, person.email);
}

/** The refusal of a mailed way in (sign-in link, invitation) while single sign-on is required. */
export function ssoRequiredError(organisation: Organisation, what: string): ForbiddenError {
  return new ForbiddenError(
    `${organisation.name} requires single sign-on: ${what} through your identity provider (Sign in with SSO).`,
    { organisation: organisation.slug },
    'sso_required',
  );
}

/** Refuses to leave an organisation that requires single sign-on without an enabled connection. */
async function keepOneConnectionWhileRequired(
  q: Queries,
  organisationId: number,
  without: number,
  doing: string,
): Promise<void> {
  // Under the organisation's lock, as setRequireSso takes it too: two owners turning off the last two
  // connections at once, or one requiring SSO as another turns off the only one, would otherwise each
  // see the other's connection (or the setting) as it was and both go ahead on PostgreSQL.
  await q.organisations.lockForChange(organisationId);
  const organisation = await q.organisations.byId(organisationId);
  if (!organisation?.requireSso) return;
  if ((await q.sso.connections(organisationId)).some((c) => c.enabled && c.id !== without)) return;
  throw new ConflictError(
    `Cannot ${doing}: it is the last enabled sign-in connection and ${organisation.name} requires single sign-on. Turn off "Require single sign-on" first.`,
    {},
    'sso_required_in_use',
  );
}

/** Who creates a SAML connection's first key pair when it is first needed (docs/sso.md). */
const SP_KEY_JOB: Actor = { type: 'system', job: 'saml-sp-key' };
/** Default overlap after a key is promoted, during which the replaced key still decrypts. */
export const SP_KEY_OVERLAP_HOURS = 24;
/** Longest overlap an owner may ask for. */
export const SP_KEY_MAX_OVERLAP_HOURS = 720;

/** The SAML connection of this organisation, or NotFoundError. */
async function samlConnectionOf(
  q: Queries,
  organisationId: number,
  connectionId: number,
): Promise<SsoConnection> {
  const connection = await q.sso.connection(connectionId);
  if (connection?.organisationId !== organisationId || connection.protocol !== 'saml')
    throw new NotFoundError(`No SAML connection ${connectionId}.`);
  return connection;
}

/** What the audit log says of a key: never the private key. */
const keyAudit = (k: SpKey) => ({
  keyId: k.id,
  status: k.status,
  fingerprint: k.fingerprint,
  notAfter: k.notAfter,
});

/** How long a sign-in may take between leaving for the provider and coming back. */
export const LOGIN_STATE_TTL_MINUTES = 10;

/** The subject of a connection's certificates: says whose key it is, in any IdP's key list. */
const spCommonName = (c: SsoConnection) => `Seatkeeper SAML SP ${c.publicId}`;

const loginStateKey = () => randomBytes(24).toString('base64url');

function requireUrl(value: string, what: string, problems: string[]): void {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      problems.push(`${what} must be an http(s) URL`);
  } catch {
    problems.push(`${what} must be a URL, not "${value}"`);
  }
}

export function createSsoService({
  store,
  clock,
  onRejection,
}: {
  readonly store: Store;
  readonly clock: Clock;
  /** Told of each rejection recordRejection audits (its code): the container counts them in its metrics. */
  readonly onRejection?: (code: string) => void;
}) {
  const now = () => clock.now();
  /** Key pairs being made, per connection: two first requests at once make one. */
  const keysInFlight = new Map<number, Promise<void>>();

  /** Stores a new key pair of `status` and audits it (in the caller's transaction). */
  async function storeKey(
    q: Queries,
    connection: SsoConnection,
    status: 'current' | 'next',
    pair: SpKeyPair,
    actor: Actor,
    action: string,
  ): Promise<SpKey> {
    const at = now().toISO()!;
    const key = await q.samlSpKeys.insert({
      connectionId: connection.id,
      status,
      certificate: pair.certificatePem,
      fingerprint: pair.fingerprint,
      notAfter: pair.notAfter,
      privateKeyPem: pair.privateKeyPem,
      at,
    });
    await recordAudit(q, {
      organisationId: connection.organisationId,
      at,
      actor,
      action,
      subjectType: 'sso_connection',
      subjectId: connection.id,
      after: keyAudit(key),
    });
    return key;
  }

  /** Whether single sign-on is required (owners), read inside the caller's transaction. */
  async function requiresSsoIn(q: Queries, organisationId: number, actor: Actor): Promise<boolean> {
    const organisation = await requireOrganisation(q, organisationId);
    await requireRole(q, organisationId, actor, 'owner', 'see provisioning settings');
    return organisation.requireSso;
  }

  /** setRequireSso's rule, inside the caller's transaction. */
  async function setRequireSsoIn(
    q: Queries,
    organisationId: number,
    required: boolean,
    actor: Actor,
  ): Promise<void> {
    await requireOrganisation(q, organisationId);
    await requireRole(q, organisationId, actor, 'owner', 'require single sign-on');
    // The setting and the enabled connections are read under the organisation's lock, which turning
    // a connection off or deleting it takes too (keepOneConnectionWhileRequired).
    await q.organisations.lockForChange(organisationId);
    const organisation = await requireOrganisation(q, organisationId);
    if (organisation.requireSso === required) return;
    if (required && !(await q.sso.connections(organisationId)).some((c) => c.enabled)) {
      throw new ConflictError(
        `${organisation.name} has no enabled sign-in connection: add one (and try it) before requiring single sign-on.`,
        {},
        'sso_not_configured',
      );
    }
    await q.organisations.setRequireSso(organisationId, required);
    await recordAudit(q, {
      organisationId,
      at: now().toISO()!,
      actor,
      action: 'organisation.require_sso_changed',
      subjectType: 'organisation',
      subjectId: organisationId,
      before: { requireSso: organisation.requireSso },
      after: { requireSso: required },
    });
  }

  return {
    /** Adds a connection (owners and the operator). The OIDC client secret is stored apart and never returned. */
    async createConnection(
      organisationId: number,
      input: SamlConnectionInput | OidcConnectionInput,
      actor: Actor,
    ): Promise<SsoConnection> {
      const problems: string[] = [];
      if (input.name.trim() === '') problems.push('a connection needs a name');
      let config: Record<string, unknown>;
      let secret: string | null = null;
      if (input.protocol === 'saml') {
        if (input.idpEntityId.trim() === '') problems.push('the IdP entity id is required');
        requireUrl(input.idpSsoUrl, 'the IdP sign-in URL', problems);
        if (input.idpCerts.length === 0) problems.push('at least one IdP signing certificate is required');
        config = {
          idpEntityId: input.idpEntityId,
          idpSsoUrl: input.idpSsoUrl,
          idpCerts: [...input.idpCerts],
          responseSigned: input.responseSigned ?? true,
          nameIdFormat: input.nameIdFormat ?? null,
          attributeMap: input.attributeMap ?? {},
          idpInitiated: input.idpInitiated ?? false,
          signAuthnRequests: input.signAuthnRequests ?? false,
          requireEncryptedAssertions: input.requireEncryptedAssertions ?? false,
        };
      } else {
        requireUrl(input.issuer, 'the issuer', problems);
        if (input.clientId.trim() === '') problems.push('the client id is required');
        if (input.clientSecret === '') problems.push('the client secret is required');
        config = {
          issuer: input.issuer,
          clientId: input.clientId,
          scopes: [...(input.scopes ?? ['openid', 'email', 'profile'])],
          claimMap: input.claimMap ?? {},
        };
        secret = input.clientSecret;
      }
      if (problems.length > 0)
        throw new ValidationError(`Cannot add the connection:\n- ${problems.join('\n- ')}`, { problems });
      return await store.write(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'configure single sign-on');
        const at = now().toISO()!;
        const connection = await q.sso.insertConnection({
          organisationId,
          protocol: input.protocol,
          name: input.name.trim(),
          config,
          secret,
          at,
        });
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: 'sso_connection.created',
          subjectType: 'sso_connection',
          subjectId: connection.id,
          after: { name: connection.name, protocol: connection.protocol, config },
        });
        return connection;
      });
    },

    connections: (organisationId: number): Promise<SsoConnection[]> =>
      store.read((q) => q.sso.connections(organisationId)),

    /** The connections as owners see them: settings, whether a client secret is set, linked identities. */
    async listConnections(organisationId: number, actor: Actor): Promise<SsoConnectionView[]> {
      return await store.read(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'configure single sign-on');
        const secrets = await q.sso.withSecret(organisationId);
        const identities = await q.sso.identityCounts(organisationId);
        return (await q.sso.connections(organisationId)).map((c) => ({
          ...c,
          clientSecretSet: secrets.has(c.id),
          linkedIdentities: identities.get(c.id) ?? 0,
        }));
      });
    },

    /**
     * Changes a connection's name, enabled flag or protocol settings (owners and the operator).
     * Settings not given keep their value; the result is checked as a new connection would be. A
     * new OIDC client secret replaces the old one and is never returned; the audit row says only
     * that it changed. Turning a connection off (`enabled: false`) stops sign-ins through it at once.
     */
    async updateConnection(
      organisationId: number,
      connectionId: number,
      patch: SsoConnectionPatch,
      actor: Actor,
    ): Promise<SsoConnectionView> {
      return await store.write(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'configure single sign-on');
        const current = await q.sso.connection(connectionId);
        if (current?.organisationId !== organisationId)
          throw new NotFoundError(`No sign-in connection ${connectionId}.`);
        const config = mergeConfig(current, patch);
        const name = patch.name?.trim() ?? current.name;
        if (name === '') throw new ValidationError('A connection needs a name.', { field: 'name' });
        const enabled = patch.enabled ?? current.enabled;
        if (current.enabled && !enabled)
          await keepOneConnectionWhileRequired(q, organisationId, connectionId, 'turn this connection off');
        const secretChanged = patch.clientSecret !== undefined;
        const settingsChanged = JSON.stringify(config) !== JSON.stringify(current.config);
        const at = now().toISO()!;
        if (name === current.name && enabled === current.enabled && !settingsChanged && !secretChanged) {
          return await viewOf(q, organisationId, current);
        }
        const updated = await q.sso.updateConnection(connectionId, { name, enabled, config }, at);
        if (patch.clientSecret !== undefined) await q.sso.setSecret(connectionId, patch.clientSecret);
        const onlyToggled = name === current.name && !settingsChanged && !secretChanged;
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: onlyToggled
            ? `sso_connection.${enabled ? 'enabled' : 'disabled'}`
            : 'sso_connection.updated',
          subjectType: 'sso_connection',
          subjectId: connectionId,
          before: { name: current.name, enabled: current.enabled, config: current.config },
          after: { name, enabled, config, ...(secretChanged ? { clientSecretChanged: true } : {}) },
        });
        return await viewOf(q, organisationId, updated);
      });
    },

    /**
     * Deletes a connection (owners and the operator). Its linked identities go with it; the members
     * stay, with their seats and roles, and a later sign-in through another connection links them
     * again by verified address (docs/sso.md, "Who gets in"). Sign-ins in flight through it fail.
     */
    async deleteConnection(
      organisationId: number,
      connectionId: number,
      actor: Actor,
    ): Promise<{ unlinkedIdentities: number }> {
      return await store.write(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'configure single sign-on');
        const current = await q.sso.connection(connectionId);
        if (current?.organisationId !== organisationId)
          throw new NotFoundError(`No sign-in connection ${connectionId}.`);
        if (current.enabled)
          await keepOneConnectionWhileRequired(q, organisationId, connectionId, 'delete this connection');
        const unlinkedIdentities = await q.sso.deleteConnection(connectionId);
        await recordAudit(q, {
          organisationId,
          at: now().toISO()!,
          actor,
          action: 'sso_connection.deleted',
          subjectType: 'sso_connection',
          subjectId: connectionId,
          before: {
            name: current.name,
            protocol: current.protocol,
            enabled: current.enabled,
            config: current.config,
          },
          after: { unlinkedIdentities },
        });
        return { unlinkedIdentities };
      });
    },

    /** Whether the organisation requires single sign-on (owners; the identity settings show it). */
    async requiresSso(organisationId: number, actor: Actor): Promise<boolean> {
      return await store.read((q) => requiresSsoIn(q, organisationId, actor));
    },
    requiresSsoIn,

    /**
     * Requires single sign-on, or stops requiring it (owners and the operator); audited. Turning it
     * on needs an enabled connection, or nobody on the verified domains could sign in but the
     * primary owner. Nothing else changes: sessions already open stay open.
     */
    async setRequireSso(organisationId: number, required: boolean, actor: Actor): Promise<void> {
      await store.write((q) => setRequireSsoIn(q, organisationId, required, actor));
    },
    setRequireSsoIn,

    /** The SAML connection's service provider keys as owners see them (never a private key). */
    async serviceProviderKeys(organisationId: number, connectionId: number, actor: Actor): Promise<SpKey[]> {
      return await store.read(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'configure single sign-on');
        await samlConnectionOf(q, organisationId, connectionId);
        return await q.samlSpKeys.keys(connectionId);
      });
    },

    /** The connection's keys, current first (for the metadata; no private key). */
    spKeys: (connectionId: number): Promise<SpKey[]> => store.read((q) => q.samlSpKeys.keys(connectionId)),

    /**
     * Gives a SAML connection its first key pair if it has none (connections made before keys
     * existed, or by the command line): when its metadata is first asked for or a sign-in starts.
     * The key is made outside the transaction (it takes a while); whoever stores one first wins.
     */
    async ensureServiceProviderKey(connectionId: number): Promise<void> {
      const has = () =>
        store.read(async (q) => (await q.samlSpKeys.keys(connectionId)).some((k) => k.status === 'current'));
      if (await has()) return;
      let pending = keysInFlight.get(connectionId);
      if (!pending) {
        pending = (async () => {
          const connection = await store.read((q) => q.sso.connection(connectionId));
          if (connection?.protocol !== 'saml') return;
          const pair = await makeSpKeyPair(spCommonName(connection), now().toJSDate());
          await store.write(async (q) => {
            if (!(await q.sso.connection(connectionId))) return;
            if ((await q.samlSpKeys.keys(connectionId)).some((k) => k.status === 'current')) return;
            await storeKey(q, connection, 'current', pair, SP_KEY_JOB, 'sso_connection.sp_key_created');
          });
        })().finally(() => keysInFlight.delete(connectionId));
        keysInFlight.set(connectionId, pending);
      }
      await pending;
    },

    /**
     * Starts a key rotation (owners): a new key pair as `next`, published in the metadata beside
     * the current one so the IdP can take it up; `promoteServiceProviderKey` finishes. A
     * connection without a key gets its current one. Refused while a next key waits
     * (sp_key_rotation_pending).
     */
    async addServiceProviderKey(organisationId: number, connectionId: number, actor: Actor): Promise<SpKey> {
      const check = async (q: Queries) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'configure single sign-on');
        const connection = await samlConnectionOf(q, organisationId, connectionId);
        if ((await q.samlSpKeys.keys(connectionId)).some((k) => k.status === 'next'))
          throw new ConflictError(
            'A next key is already published for this connection: promote it before adding another.',
            {},
            'sp_key_rotation_pending',
          );
        return connection;
      };
      const connection = await store.read(check);
      const pair = await makeSpKeyPair(spCommonName(connection), now().toJSDate());
      return await store.write(async (q) => {
        await check(q);
        const status = (await q.samlSpKeys.keys(connectionId)).some((k) => k.status === 'current')
          ? 'next'
          : 'current';
        return await storeKey(q, connection, status, pair, actor, 'sso_connection.sp_key_added');
      });
    },

    /**
     * Finishes a rotation (owners): the next key becomes current (it signs AuthnRequests and is
     * the one the metadata publishes), and the key it replaces decrypts for `overlapHours` more
     * (responses already on their way to us, IdPs that re-read metadata late), then no longer.
     * Refused without a next key (sp_key_no_next).
     */
    async promoteServiceProviderKey(
      organisationId: number,
      connectionId: number,
      overlapHours: number,
      actor: Actor,
    ): Promise<SpKey[]> {
      return await store.write(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'configure single sign-on');
        const connection = await samlConnectionOf(q, organisationId, connectionId);
        const before = await q.samlSpKeys.keys(connectionId);
        const at = now();
        const retireAt = at.plus({ milliseconds: Math.round(overlapHours * 3_600_000) });
        if (!(await q.samlSpKeys.promote(connectionId, at.toUTC().toISO()!, retireAt.toUTC().toISO()!)))
          throw new ConflictError('There is no next key to promote: add one first.', {}, 'sp_key_no_next');
        const after = await q.samlSpKeys.keys(connectionId);
        await recordAudit(q, {
          organisationId,
          at: at.toISO()!,
          actor,
          action: 'sso_connection.sp_key_promoted',
          subjectType: 'sso_connection',
          subjectId: connection.id,
          before: { keys: before.map(keyAudit) },
          after: { keys: after.map(keyAudit), retireAt: retireAt.toUTC().toISO() },
        });
        return after;
      });
    },

    /**
     * The private keys that may decrypt an assertion for this connection now: current, next and a
     * previous one until its retire_at. For the verifier only; never shown or logged.
     */
    async decryptionKeys(connectionId: number): Promise<string[]> {
      const at = now().toUTC().toISO()!;
      return await store.read(async (q) => {
        const pems: string[] = [];
        for (const k of await q.samlSpKeys.keys(connectionId)) {
          if (k.status === 'previous' && (k.retireAt === null || k.retireAt <= at)) continue;
          const pem = await q.samlSpKeys.privateKey(k.id);
          if (pem !== null) pems.push(pem);
        }
        return pems;
      });
    },

    /** The current private key, which signs AuthnRequests; null before the connection has one. */
    async signingKey(connectionId: number): Promise<string | null> {
      return await store.read(async (q) => {
        const current = (await q.samlSpKeys.keys(connectionId)).find((k) => k.status === 'current');
        return current ? await q.samlSpKeys.privateKey(current.id) : null;
      });
    },

    async connection(publicId: string): Promise<SsoConnection> {
      const connection = await store.read((q) => q.sso.connectionByPublicId(publicId));
      if (!connection) throw new NotFoundError('There is no such sign-in connection.');
      return connection;
    },

    async connectionById(id: number): Promise<SsoConnection> {
      const connection = await store.read((q) => q.sso.connection(id));
      if (!connection) throw new NotFoundError('There is no such sign-in connection.');
      return connection;
    },

    /** The OIDC client secret, to talk to the provider; never shown. */
    secret: (connectionId: number): Promise<string | null> => store.read((q) => q.sso.secret(connectionId)),

    /**
     * Where a sign-in starts: the organisation named by its slug, or the one whose verified domain
     * the email is on; its first enabled connection.
     */
    async connectionFor(start: { readonly slug?: string; readonly email?: string }): Promise<SsoConnection> {
      return await store.read(async (q) => {
        let organisationId: number | undefined;
        if (start.slug) organisationId = (await q.organisations.bySlug(start.slug))?.id;
        else if (start.email) organisationId = await organisationOfVerifiedDomain(q, start.email);
        const connection =
          organisationId === undefined
            ? undefined
            : (await q.sso.connections(organisationId)).find((c) => c.enabled);
        if (!connection)
          throw new NotFoundError('No single sign-on is set up for that organisation or address.');
        return connection;
      });
    },

    /**
     * Runs `work` as one write transaction: changes made together commit together, or none does.
     * `work` calls the step forms (setRequireSsoIn, …) with the q it is given.
     */
    atomically: <T>(work: (q: Queries) => Promise<T>): Promise<T> => store.write(work),

    /** A fresh key for saveLoginState, when the caller needs it before the state is saved. */
    newLoginStateKey: loginStateKey,

    /**
     * Keeps a sign-in's state server-side under `state` (a fresh random key unless the protocol
     * made one), which travels as OIDC state or SAML RelayState; with it, in the same write, the
     * ids of the SAML AuthnRequests it sent (the InResponseTo cache), so a response can only ever
     * answer a request whose sign-in is known.
     */
    async saveLoginState(
      connectionId: number,
      data: Readonly<Record<string, unknown>>,
      key?: string,
      samlRequests: readonly { readonly requestId: string; readonly at: DateTime }[] = [],
    ): Promise<string> {
      const state = key ?? loginStateKey();
      const expires = now().plus({ minutes: LOGIN_STATE_TTL_MINUTES }).toUTC().toISO()!;
      await store.write(async (q) => {
        await q.ssoState.putLoginState(state, connectionId, data, expires);
        for (const { requestId, at } of samlRequests)
          await q.ssoState.saveSamlRequest(connectionId, requestId, at.toUTC().toISO()!);
      });
      return state;
    },

    /**
     * The sign-in state saved under `state`, read and left in place: what an OIDC callback needs
     * for its code exchange, which goes over the network and so before the sign-in's one write,
     * where the state is taken (signIn.complete).
     */
    loginState: (state: string) => store.read((q) => q.ssoState.loginState(state, now().toUTC().toISO()!)),

    /** The sign-in state saved under `state`, once. */
    takeLoginState: (state: string) =>
      store.write((q) => q.ssoState.takeLoginState(state, now().toUTC().toISO()!)),

    /** Audits a sign-in rejected before any identity was known (a forged or stale response). */
    async recordRejection(connection: SsoConnection, code: string): Promise<void> {
      await store.write((q) =>
        recordAudit(q, {
          organisationId: connection.organisationId,
          at: now().toISO()!,
          actor: { type: 'jit', connectionId: connection.id },
          action: 'sign_in.rejected',
          subjectType: 'sso_connection',
          subjectId: connection.id,
          after: { code },
        }),
      );
      onRejection?.(code);
    },
  };
}

export type SsoService = ReturnType<typeof createSsoService>;
