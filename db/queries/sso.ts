// Queries on SSO connections, the identities they link, and owner notices.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../sql.js';
import type { SecretBox } from '../secret-box.js';
import { mapOptional } from './organisations.js';
import type { MemberIdentity, SealState, SsoConnection } from '../../domain/records.js';
import type { SsoQueries } from '../port.js';

interface ConnectionRow {
  id: number;
  organisation_id: number;
  public_id: string;
  protocol: 'saml' | 'oidc';
  name: string;
  enabled: 0 | 1;
  config: string;
  created_at: string;
  updated_at: string;
}

const toConnection = (r: ConnectionRow): SsoConnection => ({
  id: r.id,
  organisationId: r.organisation_id,
  publicId: r.public_id,
  protocol: r.protocol,
  name: r.name,
  enabled: r.enabled === 1,
  config: JSON.parse(r.config) as Record<string, unknown>,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

// The secret column is named in no SELECT below but `secret()`: it cannot leak through a listing.
const COLUMNS = 'id, organisation_id, public_id, protocol, name, enabled, config, created_at, updated_at';

interface MemberIdentityRow {
  connection_id: number;
  connection_name: string;
  protocol: 'saml' | 'oidc';
  subject: string;
  created_at: string;
  last_sign_in_at: string | null;
}

/** What the client secret of a connection is sealed for: its row (db/secret-box.ts). */
const secretContext = (id: number) => `sso_connections.secret:${id}`;

export function createSsoQueries(db: Sql, box: SecretBox): SsoQueries {
  const insert = db.prepare<
    [string, number, string, string, string, string | null, string, string],
    { id: number }
  >(
    `INSERT INTO sso_connections (public_id, organisation_id, protocol, name, config, secret, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const byId = db.prepare<[number], ConnectionRow>(`SELECT ${COLUMNS} FROM sso_connections WHERE id = ?`);
  const byPublicId = db.prepare<[string], ConnectionRow>(
    `SELECT ${COLUMNS} FROM sso_connections WHERE public_id = ?`,
  );
  const forOrg = db.prepare<[number], ConnectionRow>(
    `SELECT ${COLUMNS} FROM sso_connections WHERE organisation_id = ? ORDER BY id`,
  );
  const secret = db.prepare<[number], { secret: string | null }>(
    'SELECT secret FROM sso_connections WHERE id = ?',
  );
  const identity = db.prepare<[number, string], { member_id: number }>(
    'SELECT member_id FROM sso_identities WHERE connection_id = ? AND subject = ?',
  );
  const link = db.prepare<[number, string, number, string]>(
    'INSERT INTO sso_identities (connection_id, subject, member_id, created_at) VALUES (?, ?, ?, ?)',
  );
  const signedIn = db.prepare<[string, number, string]>(
    'UPDATE sso_identities SET last_sign_in_at = ? WHERE connection_id = ? AND subject = ?',
  );
  const identitiesOf = db.prepare<[number, number], MemberIdentityRow>(
    `SELECT i.connection_id, c.name AS connection_name, c.protocol, i.subject, i.created_at, i.last_sign_in_at
     FROM sso_identities i JOIN sso_connections c ON c.id = i.connection_id
     WHERE c.organisation_id = ? AND i.member_id = ? ORDER BY i.created_at, i.connection_id`,
  );
  // Conditional on the last notice being old enough: two refusals at once send one notice.
  const notice = db.prepare<[number, string, string, string]>(
    `INSERT INTO owner_notices (organisation_id, kind, last_sent_at) VALUES (?, ?, ?)
     ON CONFLICT (organisation_id, kind) DO UPDATE SET last_sent_at = excluded.last_sent_at
     WHERE owner_notices.last_sent_at <= ?`,
  );

  const update = db.prepare<[string, number, string, string, number]>(
    'UPDATE sso_connections SET name = ?, enabled = ?, config = ?, updated_at = ? WHERE id = ?',
  );
  const setSecret = db.prepare<[string, number]>('UPDATE sso_connections SET secret = ? WHERE id = ?');
  const allSecrets = db.prepare<[], { id: number; secret: string }>(
    'SELECT id, secret FROM sso_connections WHERE secret IS NOT NULL ORDER BY id',
  );
  const withSecret = db.prepare<[number], { id: number }>(
    'SELECT id FROM sso_connections WHERE organisation_id = ? AND secret IS NOT NULL',
  );
  const identityCounts = db.prepare<[number], { connection_id: number; n: number }>(
    `SELECT i.connection_id, count(*) AS n FROM sso_identities i
     JOIN sso_connections c ON c.id = i.connection_id
     WHERE c.organisation_id = ? GROUP BY i.connection_id`,
  );
  // Everything that references a connection, then the connection: the order foreign keys require.
  const removeDependents = [
    'DELETE FROM sso_identities WHERE connection_id = ?',
    'DELETE FROM sso_login_states WHERE connection_id = ?',
    'DELETE FROM saml_requests WHERE connection_id = ?',
    'DELETE FROM saml_consumed_assertions WHERE connection_id = ?',
  ].map((sql) => db.prepare<[number]>(sql));
  const removeConnection = db.prepare<[number]>('DELETE FROM sso_connections WHERE id = ?');

  return {
    /** Writes a connection's name, enabled flag and settings; the secret is set apart (setSecret). */
    async updateConnection(
      id: number,
      c: { name: string; enabled: boolean; config: Readonly<Record<string, unknown>> },
      at: string,
    ): Promise<SsoConnection> {
      await update.run(c.name, c.enabled ? 1 : 0, JSON.stringify(c.config), at, id);
      return toConnection((await byId.get(id))!);
    },
    /** Replaces the OIDC client secret (stored sealed). */
    async setSecret(id: number, secret: string): Promise<void> {
      await setSecret.run(box.seal(secret, secretContext(id)), id);
    },
    /**
     * Seals again under the current key every stored secret whose state `which` picks (plain text
     * from before sealing, or sealed under an older key); those under a key not configured are left
     * and their key ids returned.
     */
    async resealSecrets(
      which: (state: SealState) => boolean,
    ): Promise<{ resealed: number; unknownKeys: string[] }> {
      let resealed = 0;
      const unknownKeys: string[] = [];
      for (const row of await allSecrets.all()) {
        const state = box.state(row.secret);
        if (state === 'unknown_key') unknownKeys.push(row.secret.split(':')[1] ?? '');
        else if (which(state)) {
          await setSecret.run(
            box.seal(box.open(row.secret, secretContext(row.id)), secretContext(row.id)),
            row.id,
          );
          resealed += 1;
        }
      }
      return { resealed, unknownKeys };
    },
    /** Ids of the organisation's connections that hold a secret (never the secret itself). */
    withSecret: async (organisationId: number): Promise<Set<number>> =>
      new Set((await withSecret.all(organisationId)).map((r) => r.id)),
    /** Linked identities per connection of the organisation. */
    identityCounts: async (organisationId: number): Promise<Map<number, number>> =>
      new Map((await identityCounts.all(organisationId)).map((r) => [r.connection_id, r.n] as const)),
    /**
     * Deletes the connection with its linked identities, sign-ins in flight and replay caches;
     * returns how many identities were unlinked.
     */
    async deleteConnection(id: number): Promise<number> {
      const [identities, ...rest] = removeDependents;
      const unlinked = (await identities!.run(id)).changes;
      for (const statement of rest) await statement.run(id);
      await removeConnection.run(id);
      return unlinked;
    },
    async insertConnection(c: {
      organisationId: number;
      protocol: 'saml' | 'oidc';
      name: string;
      config: Readonly<Record<string, unknown>>;
      secret: string | null;
      at: string;
    }): Promise<SsoConnection> {
      // Inserted without the secret, which is then sealed for the row's id (in the caller's transaction).
      const { id } = (await insert.get(
        randomUUID(),
        c.organisationId,
        c.protocol,
        c.name,
        JSON.stringify(c.config),
        null,
        c.at,
        c.at,
      ))!;
      if (c.secret !== null) await setSecret.run(box.seal(c.secret, secretContext(id)), id);
      return toConnection((await byId.get(id))!);
    },
    connection: async (id: number) => mapOptional(await byId.get(id), toConnection),
    connectionByPublicId: async (publicId: string) =>
      mapOptional(await byPublicId.get(publicId), toConnection),
    connections: async (organisationId: number): Promise<SsoConnection[]> =>
      (await forOrg.all(organisationId)).map(toConnection),
    /** The OIDC client secret, for talking to the provider only. */
    async secret(connectionId: number): Promise<string | null> {
      const stored = (await secret.get(connectionId))?.secret ?? null;
      return stored === null ? null : box.open(stored, secretContext(connectionId));
    },
    /** The identities linked to a member, with the connection each came through. */
    identitiesOf: async (organisationId: number, memberId: number): Promise<MemberIdentity[]> =>
      (await identitiesOf.all(organisationId, memberId)).map((r) => ({
        connectionId: r.connection_id,
        connectionName: r.connection_name,
        protocol: r.protocol,
        subject: r.subject,
        createdAt: r.created_at,
        lastSignInAt: r.last_sign_in_at,
      })),
    /** The member a (connection, subject) is linked to. */
    linkedMember: async (connectionId: number, subject: string): Promise<number | undefined> =>
      (await identity.get(connectionId, subject))?.member_id,
    async link(connectionId: number, subject: string, memberId: number, at: string): Promise<void> {
      await link.run(connectionId, subject, memberId, at);
    },
    async recordSignIn(connectionId: number, subject: string, at: string): Promise<void> {
      await signedIn.run(at, connectionId, subject);
    },
    /** True when a notice of this kind may go out now (none since `notBefore`), recording it. */
    claimNotice: async (
      organisationId: number,
      kind: string,
      at: string,
      notBefore: string,
    ): Promise<boolean> => (await notice.run(organisationId, kind, at, notBefore)).changes === 1,
  };
}
