// Queries on the short-lived state of sign-ins: the SAML request ids awaiting a response (the
// InResponseTo cache), assertion ids already consumed, sign-ins in flight, and sessions. Every
// "take" is a single DELETE … RETURNING, so a value is handed out once even to concurrent callers
// (and in PostgreSQL too, which has the same statement).
import type { Sql } from '../sql.js';
import type { Session } from '../../domain/records.js';
import type { SsoStateQueries } from '../port.js';

/** A stored login state as the engine reads it; undefined once it has expired. */
function savedState(
  row: { connection_id: number; data: string; expires_at: string } | undefined,
  now: string,
): { connectionId: number; data: Record<string, unknown> } | undefined {
  if (!row || row.expires_at <= now) return undefined;
  return { connectionId: row.connection_id, data: JSON.parse(row.data) as Record<string, unknown> };
}

export function createSsoStateQueries(db: Sql): SsoStateQueries {
  const saveRequest = db.prepare<[number, string, string]>(
    'INSERT INTO saml_requests (connection_id, request_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const takeRequest = db.prepare<[number, string, string], { request_id: string }>(
    'DELETE FROM saml_requests WHERE connection_id = ? AND request_id = ? AND created_at >= ? RETURNING request_id',
  );
  const pruneRequests = db.prepare<[string]>('DELETE FROM saml_requests WHERE created_at < ?');
  const consume = db.prepare<[number, string, string]>(
    'INSERT INTO saml_consumed_assertions (connection_id, assertion_id, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const pruneAssertions = db.prepare<[string]>('DELETE FROM saml_consumed_assertions WHERE expires_at < ?');
  const putState = db.prepare<[string, number, string, string]>(
    'INSERT INTO sso_login_states (state, connection_id, data, expires_at) VALUES (?, ?, ?, ?)',
  );
  const takeState = db.prepare<[string], { connection_id: number; data: string; expires_at: string }>(
    'DELETE FROM sso_login_states WHERE state = ? RETURNING connection_id, data, expires_at',
  );
  const peekState = db.prepare<[string], { connection_id: number; data: string; expires_at: string }>(
    'SELECT connection_id, data, expires_at FROM sso_login_states WHERE state = ?',
  );
  const pruneStates = db.prepare<[string]>('DELETE FROM sso_login_states WHERE expires_at < ?');
  const createSession = db.prepare<[string, number, number, string, string]>(
    'INSERT INTO sessions (id_hash, organisation_id, member_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const session = db.prepare<
    [string, string],
    { organisation_id: number; member_id: number; created_at: string; expires_at: string }
  >('SELECT * FROM sessions WHERE id_hash = ? AND revoked_at IS NULL AND expires_at > ?');
  // Served by sessions_by_member.
  const revokeMemberSessions = db.prepare<[string, number, number]>(
    'UPDATE sessions SET revoked_at = ? WHERE member_id = ? AND organisation_id = ? AND revoked_at IS NULL',
  );
  const revokeSession = db.prepare<[string, string]>(
    'UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL',
  );

  return {
    async saveSamlRequest(connectionId: number, requestId: string, at: string): Promise<void> {
      await saveRequest.run(connectionId, requestId, at);
    },
    /** One-time: true only for a request id of this connection made at or after `notBefore`. */
    takeSamlRequest: async (connectionId: number, requestId: string, notBefore: string): Promise<boolean> =>
      (await takeRequest.get(connectionId, requestId, notBefore)) !== undefined,
    /** True the first time an assertion id is seen for the connection; kept until it expires. */
    consumeAssertion: async (
      connectionId: number,
      assertionId: string,
      expiresAt: string,
    ): Promise<boolean> => (await consume.run(connectionId, assertionId, expiresAt)).changes === 1,
    async putLoginState(
      state: string,
      connectionId: number,
      data: Readonly<Record<string, unknown>>,
      expiresAt: string,
    ): Promise<void> {
      await putState.run(state, connectionId, JSON.stringify(data), expiresAt);
    },
    /** The sign-in in flight under `state`, left in place; undefined if unknown, used or expired. */
    async loginState(
      state: string,
      now: string,
    ): Promise<{ connectionId: number; data: Record<string, unknown> } | undefined> {
      return savedState(await peekState.get(state), now);
    },
    /** The sign-in in flight under `state`, once; undefined if unknown, used or expired. */
    async takeLoginState(
      state: string,
      now: string,
    ): Promise<{ connectionId: number; data: Record<string, unknown> } | undefined> {
      return savedState(await takeState.get(state), now);
    },
    async createSession(
      idHash: string,
      organisationId: number,
      memberId: number,
      at: string,
      expiresAt: string,
    ): Promise<void> {
      await createSession.run(idHash, organisationId, memberId, at, expiresAt);
    },
    async session(idHash: string, now: string): Promise<Session | undefined> {
      const row = await session.get(idHash, now);
      return (
        row && {
          organisationId: row.organisation_id,
          memberId: row.member_id,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
        }
      );
    },
    /** Ends every session of the member: signed out everywhere. */
    async revokeMemberSessions(organisationId: number, memberId: number, at: string): Promise<void> {
      await revokeMemberSessions.run(at, memberId, organisationId);
    },
    async revokeSession(idHash: string, at: string): Promise<void> {
      await revokeSession.run(at, idHash);
    },
    /** Drops what can no longer be used (the jobs run it). */
    async prune(now: string, requestsBefore: string): Promise<number> {
      return (
        (await pruneRequests.run(requestsBefore)).changes +
        (await pruneAssertions.run(now)).changes +
        (await pruneStates.run(now)).changes
      );
    },
  };
}
