// Secrets at rest: the values Seatkeeper must read back to use (OIDC client secrets, webhook signing
// secrets) are stored sealed with AES-256-GCM under a key from configuration, never in plain text,
// so the database file and every backup of it hold only ciphertext.
//
// A sealed value is `v1:<keyId>:<nonce>:<ciphertext and tag>` (base64url): a random 96-bit nonce
// per value (NIST SP 800-38D §8.2.2), the 128-bit tag appended, and the key's id beside it so that
// after a rotation the old keys still open what they sealed. The additional authenticated data
// names the table, column and row the value belongs to, so a ciphertext copied into another row
// (another organisation's connection) does not open there.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { SealState } from '../domain/records.js';

export interface SecretKey {
  /** Names the key in every value it seals: letters, digits, `_` and `-`, at most 32. */
  readonly id: string;
  /** 32 bytes. */
  readonly key: Buffer;
}

const VERSION = 'v1';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const SEALED = /^v1:([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The id a key given without one is known by: derived from the key, so every start agrees. */
export const derivedKeyId = (key: Buffer): string =>
  `k${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

/** A fresh random key with its id. */
export function newSecretKey(): SecretKey {
  const key = randomBytes(32);
  return { id: derivedKeyId(key), key };
}

/** The text form of keys, as SECRETS_KEY and the key file hold them: `id:base64`, newest first. */
export const formatSecretKeys = (keys: readonly SecretKey[]): string =>
  keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join('\n');

/**
 * SECRETS_KEY or a key file's text → keys, the first being the one that seals: a bare base64 key
 * of 32 bytes, or `id:base64` entries separated by commas or lines (newest first; `#` starts a
 * comment line). A problem text for anything else; the keys themselves are never in it.
 */
export function parseSecretKeys(text: string): SecretKey[] | string {
  const entries = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) return 'no key given';
  const keys: SecretKey[] = [];
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon === -1 ? null : entry.slice(0, colon);
    const encoded = colon === -1 ? entry : entry.slice(colon + 1);
    if (id !== null && !KEY_ID.test(id)) {
      return `entry ${i + 1}: a key id is 1 to 32 letters, digits, "_" or "-"`;
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) return `entry ${i + 1}: not base64`;
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32) return `entry ${i + 1}: a key must be 32 bytes (44 base64 characters)`;
    keys.push({ id: id ?? derivedKeyId(key), key });
  }
  const ids = keys.map((k) => k.id);
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length > 0) return `key id ${twice[0]} is given twice`;
  return keys;
}

export interface SecretBox {
  /** Seals `plaintext` for the row `context` (e.g. `sso_connections.secret:12`) under the current key. */
  seal(plaintext: string, context: string): string;
  /**
   * Opens a value sealed for `context`. A value that is not sealed (written before this release)
   * is returned as it is; the start-up step seals those. Throws if the key is unknown or the value
   * was altered or belongs to another row.
   */
  open(stored: string, context: string): string;
  state(stored: string): SealState;
  /** The key that seals. */
  readonly currentKeyId: string;
}

export class SecretKeyMissingError extends Error {
  constructor(readonly keyId: string) {
    super(
      `A stored secret is sealed under key "${keyId}", which is not configured (SECRETS_KEY or the key file).`,
    );
    this.name = 'SecretKeyMissingError';
  }
}

export interface KeySource {
  /** The keys, the first one sealing. */
  keys(): readonly SecretKey[];
  /**
   * Asked once when a value names a key not in `keys()`: another process may have rotated the key
   * file since this one read it. Returns the keys as they are now.
   */
  reload?(): readonly SecretKey[];
}

export function createSecretBox(source: KeySource): SecretBox {
  if (source.keys().length === 0) throw new Error('a secret box needs at least one key');
  // Asked at every use, not copied: a rotation that adds a key to the source seals with it at once.
  const current = () => source.keys()[0]!;

  function keyFor(id: string): Buffer {
    let key = source.keys().find((k) => k.id === id)?.key;
    if (!key && source.reload) key = source.reload().find((k) => k.id === id)?.key;
    if (!key) throw new SecretKeyMissingError(id);
    return key;
  }

  return {
    get currentKeyId() {
      return current().id;
    },
    seal(plaintext, context) {
      const { id, key } = current();
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(`${VERSION}|${id}|${context}`, 'utf8'));
      const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}:${id}:${nonce.toString('base64url')}:${sealed.toString('base64url')}`;
    },
    open(stored, context) {
      const match = SEALED.exec(stored);
      if (!match) return stored;
      const [, id, nonceText, sealedText] = match as unknown as [string, string, string, string];
      const sealed = Buffer.from(sealedText, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', keyFor(id), Buffer.from(nonceText, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(`${VERSION}|${id}|${context}`, 'utf8'));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new Error(`a stored secret (${context}) does not open: altered, or sealed for another row`);
      }
    },
    state(stored) {
      const match = SEALED.exec(stored);
      if (!match) return 'plain';
      const id = match[1]!;
      if (id === current().id) return 'current';
      try {
        keyFor(id);
        return 'older';
      } catch {
        return 'unknown_key';
      }
    },
  };
}

/** For a store built without keys (tools, unit tests): refuses to seal or open anything sealed. */
export const noSecretBox: SecretBox = {
  currentKeyId: '',
  seal() {
    throw new Error('no secrets key is configured for this store');
  },
  open(stored) {
    if (SEALED.test(stored)) throw new SecretKeyMissingError(SEALED.exec(stored)![1]!);
    return stored;
  },
  state: (stored) => (SEALED.test(stored) ? 'unknown_key' : 'plain'),
};
