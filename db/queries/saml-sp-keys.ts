// Queries on the SAML service provider's key pairs (one set per SAML connection). The private key
// is sealed for its row (db/secret-box.ts) and read only by `privateKey()`: no listing selects it.
import type { Sql } from '../sql.js';
import type { SecretBox } from '../secret-box.js';
import type { SealState, SpKey, SpKeyStatus } from '../../domain/records.js';
import type { SamlSpKeyQueries } from '../port.js';

interface KeyRow {
  id: number;
  connection_id: number;
  status: SpKeyStatus;
  certificate: string;
  fingerprint: string;
  not_after: string;
  created_at: string;
  promoted_at: string | null;
  retire_at: string | null;
}

const COLUMNS =
  'id, connection_id, status, certificate, fingerprint, not_after, created_at, promoted_at, retire_at';

const toKey = (r: KeyRow): SpKey => ({
  id: r.id,
  connectionId: r.connection_id,
  status: r.status,
  certificate: r.certificate,
  fingerprint: r.fingerprint,
  notAfter: r.not_after,
  createdAt: r.created_at,
  promotedAt: r.promoted_at,
  retireAt: r.retire_at,
});

/** What a private key is sealed for: its row. */
const keyContext = (id: number) => `saml_sp_keys.private_key:${id}`;

/** Current first, then next, then previous. */
const ORDER = "CASE status WHEN 'current' THEN 0 WHEN 'next' THEN 1 ELSE 2 END";

export function createSamlSpKeyQueries(db: Sql, box: SecretBox): SamlSpKeyQueries {
  const insert = db.prepare<[number, SpKeyStatus, string, string, string, string, string], { id: number }>(
    `INSERT INTO saml_sp_keys (connection_id, status, certificate, fingerprint, not_after, private_key, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const setPrivateKey = db.prepare<[string, number]>('UPDATE saml_sp_keys SET private_key = ? WHERE id = ?');
  const forConnection = db.prepare<[number], KeyRow>(
    `SELECT ${COLUMNS} FROM saml_sp_keys WHERE connection_id = ? ORDER BY ${ORDER}, id`,
  );
  const privateKey = db.prepare<[number], { private_key: string }>(
    'SELECT private_key FROM saml_sp_keys WHERE id = ?',
  );
  const remove = db.prepare<[number, SpKeyStatus]>(
    'DELETE FROM saml_sp_keys WHERE connection_id = ? AND status = ?',
  );
  const retire = db.prepare<[string, number]>(
    "UPDATE saml_sp_keys SET status = 'previous', retire_at = ? WHERE connection_id = ? AND status = 'current'",
  );
  const promote = db.prepare<[string, number]>(
    "UPDATE saml_sp_keys SET status = 'current', promoted_at = ? WHERE connection_id = ? AND status = 'next'",
  );
  const all = db.prepare<[], { id: number; private_key: string }>(
    'SELECT id, private_key FROM saml_sp_keys ORDER BY id',
  );

  return {
    /** The connection's keys, current first; no private key. */
    keys: async (connectionId: number): Promise<SpKey[]> =>
      (await forConnection.all(connectionId)).map(toKey),
    /** Adds a key pair with `status` (the caller has made room for it); the private key is sealed. */
    async insert(k: {
      connectionId: number;
      status: SpKeyStatus;
      certificate: string;
      fingerprint: string;
      notAfter: string;
      privateKeyPem: string;
      at: string;
    }): Promise<SpKey> {
      // Inserted first, then sealed for the row's id (in the caller's transaction).
      const { id } = (await insert.get(
        k.connectionId,
        k.status,
        k.certificate,
        k.fingerprint,
        k.notAfter,
        '',
        k.at,
      ))!;
      await setPrivateKey.run(box.seal(k.privateKeyPem, keyContext(id)), id);
      return (await forConnection.all(k.connectionId)).map(toKey).find((key) => key.id === id)!;
    },
    /** The private key (PKCS#8 PEM), to sign or decrypt with; never shown. */
    async privateKey(id: number): Promise<string | null> {
      const stored = (await privateKey.get(id))?.private_key ?? null;
      return stored === null ? null : box.open(stored, keyContext(id));
    },
    /**
     * next → current, current → previous until `retireAt` (any older previous key goes). False
     * when there is no next key.
     */
    async promote(connectionId: number, at: string, retireAt: string): Promise<boolean> {
      if (!(await forConnection.all(connectionId)).some((r) => r.status === 'next')) return false;
      await remove.run(connectionId, 'previous');
      await retire.run(retireAt, connectionId);
      await promote.run(at, connectionId);
      return true;
    },
    /** Removes the connection's key of that status (a retired previous key). */
    remove: async (connectionId: number, status: SpKeyStatus): Promise<boolean> =>
      (await remove.run(connectionId, status)).changes > 0,
    /** As db/queries/sso.ts resealSecrets, for the private keys. */
    async resealSecrets(
      which: (state: SealState) => boolean,
    ): Promise<{ resealed: number; unknownKeys: string[] }> {
      let resealed = 0;
      const unknownKeys: string[] = [];
      for (const row of await all.all()) {
        const state = box.state(row.private_key);
        if (state === 'unknown_key') unknownKeys.push(row.private_key.split(':')[1] ?? '');
        else if (which(state)) {
          await setPrivateKey.run(
            box.seal(box.open(row.private_key, keyContext(row.id)), keyContext(row.id)),
            row.id,
          );
          resealed += 1;
        }
      }
      return { resealed, unknownKeys };
    },
  };
}
