// Where the keys that seal stored secrets come from (db/secret-box.ts): SECRETS_KEY, else a key
// file (SECRETS_KEY_FILE, else DATA_DIR/secrets.key). With neither configured the first start
// creates DATA_DIR/secrets.key, readable by its owner only, and says so, so the quick start needs
// no configuration. Keep the key apart from the database's backups: a backup holds only ciphertext.
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import {
  formatSecretKeys,
  newSecretKey,
  parseSecretKeys,
  type KeySource,
  type SecretKey,
} from '../db/secret-box.js';
import type { SecretsConfig } from './config.js';
import type { Logger } from '../runtime/logger.js';

export const DEFAULT_KEY_FILE = 'secrets.key';

const HEADER =
  '# Seatkeeper secrets key: seals OIDC client secrets and webhook signing secrets in the database.\n' +
  '# One key per line, id:base64, the first one sealing. Keep this file apart from the backups.\n';

function readKeyFile(path: string): SecretKey[] {
  const keys = parseSecretKeys(readFileSync(path, 'utf8'));
  if (typeof keys === 'string') throw new Error(`The secrets key file ${path} is not valid: ${keys}.`);
  return keys;
}

/** Writes a new key file in one step (a temporary file, then a rename), readable by its owner only. */
function writeKeyFile(path: string, keys: readonly SecretKey[]): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, `${HEADER}${formatSecretKeys(keys)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/**
 * Creates the key file with a fresh key unless it exists; true if this call created it. The file
 * is written under a temporary name and linked into place, which fails if another process (a
 * cluster worker starting at the same instant) got there first: then its key is the one used.
 */
function createKeyFileOnce(path: string): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, `${HEADER}${formatSecretKeys([newSecretKey()])}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

export interface LoadedKeys extends KeySource {
  /** Where the keys come from, for messages: `SECRETS_KEY` or the key file's path. */
  readonly origin: string;
  /** The key file, when the keys come from one (rotation adds a key to it). */
  readonly keyFile: string | null;
}

/**
 * The keys for this process. `dataDir` is where the default key file lives. `logger` hears that a
 * key file was created, or that an existing one can be read by others than its owner.
 */
export function loadSecretKeys(config: SecretsConfig, dataDir: string, logger: Logger): LoadedKeys {
  if (config.keys !== null) {
    const keys = config.keys;
    return { origin: 'SECRETS_KEY', keyFile: null, keys: () => keys };
  }
  const path = config.keyFile ?? join(dataDir, DEFAULT_KEY_FILE);
  if (config.keyFile === null && createKeyFileOnce(path)) {
    logger.info(
      { keyFile: path },
      'created a secrets key file; stored secrets are sealed with it. Keep it apart from the backups, ' +
        'and set SECRETS_KEY or SECRETS_KEY_FILE to manage it yourself',
    );
  }
  let keys: SecretKey[];
  try {
    keys = readKeyFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`SECRETS_KEY_FILE ${path} does not exist.`, { cause: error });
    }
    throw error;
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    logger.warn({ keyFile: path }, 'the secrets key file can be read by others than its owner; chmod 600 it');
  }
  return {
    origin: path,
    keyFile: path,
    keys: () => keys,
    reload: () => (keys = readKeyFile(path)),
  };
}

/**
 * Puts a new key first in the key file, keeping the older ones (they still open what they sealed
 * and what older backups hold). Returns the new key's id.
 */
export function addKeyToFile(path: string): string {
  const keys = readKeyFile(path);
  const key = newSecretKey();
  writeKeyFile(path, [key, ...keys]);
  chmodSync(path, 0o600);
  return key.id;
}
