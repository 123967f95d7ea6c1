// Encrypted assertions (SAML core §2.3.4 EncryptedAssertion, XML Encryption 1.1): which of the
// connection's keys opens one, and what is inside, before node-saml decrypts and verifies it with
// that key. node-saml takes one decryption key and xml-crypto verifies any signature algorithm it
// knows; during a key rotation several keys may be right, and the SHA-2-only rule must reach the
// signature inside the encryption too. Nothing here trusts what it opens: the assertion inside
// still has to pass every check of a plain one (anyone can encrypt to a public certificate).
import { constants, createDecipheriv, privateDecrypt } from 'node:crypto';
import { tryParseXml } from './saml-xml.js';

const NS_XENC = 'http://www.w3.org/2001/04/xmlenc#';
const NS_DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const NS_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';

/**
 * Content encryption the decryption library (xml-encryption, under node-saml) reads, by URI:
 * AES-GCM (XML Encryption 1.1 §5.2.4, authenticated) and AES-CBC (§5.2.2). Triple DES is refused.
 */
export const CONTENT_ENCRYPTION = {
  'http://www.w3.org/2009/xmlenc11#aes256-gcm': { cipher: 'aes-256-gcm', keyBytes: 32 },
  'http://www.w3.org/2009/xmlenc11#aes128-gcm': { cipher: 'aes-128-gcm', keyBytes: 16 },
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc': { cipher: 'aes-256-cbc', keyBytes: 32 },
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc': { cipher: 'aes-128-cbc', keyBytes: 16 },
} as const;

/**
 * Key transport: RSA-OAEP (XML Encryption 1.1 §5.5.2, rsa-oaep-mgf1p), the only one accepted.
 * RSA PKCS#1 v1.5 (§5.5.1) is refused: its decryption errors are Bleichenbacher's oracle.
 */
export const KEY_TRANSPORT_RSA_OAEP = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';

/**
 * The OAEP digest, as the decryption library reads ds:DigestMethod: SHA-1 when absent (the
 * rsa-oaep-mgf1p default, what Entra, ADFS and Okta send), and these. It reads any other URI as
 * SHA-1, so another one is refused here rather than failing obscurely later.
 */
const OAEP_DIGESTS: Readonly<Record<string, 'sha1' | 'sha256' | 'sha512'>> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2000/09/xmldsig#sha256': 'sha256',
  'http://www.w3.org/2000/09/xmldsig#sha512': 'sha512',
};

/** An assertion opened: the key that opened it, and the assertion's XML (not yet verified). */
export interface OpenedAssertion {
  /** The private key (PEM) that opened it: the one node-saml decrypts with. */
  readonly key: string;
  /** The decrypted assertion. Unverified: for looking at its signature's algorithms only. */
  readonly assertion: Element;
}

/**
 * Opens `encrypted` (an EncryptedAssertion) with whichever of `keys` its EncryptedKey was made for.
 * Null when it cannot be opened: an algorithm not accepted, not exactly one EncryptedData and one
 * EncryptedKey, none of the keys, a ciphertext altered (GCM tag, CBC padding), or not exactly one
 * saml:Assertion inside. The caller refuses all of these alike: telling them apart would help an
 * attacker who alters CBC ciphertext to read it (Jager and Somorovsky, "How to Break XML
 * Encryption", 2011).
 */
export function openEncryptedAssertion(encrypted: Element, keys: readonly string[]): OpenedAssertion | null {
  const data = elementChildren(encrypted, NS_XENC, 'EncryptedData');
  if (data.length !== 1) return null;
  const encryptedData = data[0]!;
  const algorithm = elementChildren(encryptedData, NS_XENC, 'EncryptionMethod')[0]?.getAttribute('Algorithm');
  const content = algorithm ? CONTENT_ENCRYPTION[algorithm as keyof typeof CONTENT_ENCRYPTION] : undefined;
  if (!content) return null;
  // SAML core §2.3.4: the EncryptedKey is inside EncryptedData's KeyInfo or a sibling of it.
  const encryptedKeys = Array.from(encrypted.getElementsByTagNameNS(NS_XENC, 'EncryptedKey'));
  if (encryptedKeys.length !== 1) return null;
  const encryptedKey = encryptedKeys[0]!;
  const keyMethod = elementChildren(encryptedKey, NS_XENC, 'EncryptionMethod')[0];
  if (keyMethod?.getAttribute('Algorithm') !== KEY_TRANSPORT_RSA_OAEP) return null;
  const digestUri = elementChildren(keyMethod, NS_DSIG, 'DigestMethod')[0]?.getAttribute('Algorithm');
  const oaepHash = digestUri === undefined || digestUri === null ? 'sha1' : OAEP_DIGESTS[digestUri];
  if (!oaepHash) return null;
  const wrappedKey = cipherValue(encryptedKey);
  const ciphertext = cipherValue(encryptedData);
  if (wrappedKey === null || ciphertext === null) return null;

  for (const key of keys) {
    let symmetric: Buffer;
    try {
      symmetric = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, wrappedKey);
    } catch {
      continue; // made for another key
    }
    if (symmetric.length !== content.keyBytes) return null;
    const plaintext = decryptContent(content.cipher, symmetric, ciphertext);
    if (plaintext === null) return null;
    const assertion = parseAssertion(plaintext);
    return assertion === null ? null : { key, assertion };
  }
  return null;
}

/** XML Encryption 1.1 §5.2.2 (CBC: IV first, padding's last octet its length) and §5.2.4 (GCM). */
function decryptContent(cipher: string, key: Buffer, data: Buffer): string | null {
  try {
    if (cipher.endsWith('gcm')) {
      if (data.length < 12 + 16) return null;
      const decipher = createDecipheriv(cipher as 'aes-256-gcm', key, data.subarray(0, 12), {
        authTagLength: 16,
      });
      decipher.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    }
    if (data.length < 32 || data.length % 16 !== 0) return null;
    const decipher = createDecipheriv(cipher, key, data.subarray(0, 16));
    decipher.setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]);
    const pad = padded[padded.length - 1]!;
    if (pad < 1 || pad > 16) return null;
    return padded.subarray(0, padded.length - pad).toString('utf8');
  } catch {
    return null;
  }
}

function parseAssertion(xml: string): Element | null {
  const root = tryParseXml(xml)?.documentElement;
  if (!root || root.namespaceURI !== NS_ASSERTION || root.localName !== 'Assertion') return null;
  return root;
}

function cipherValue(parent: Element): Buffer | null {
  const cipherData = elementChildren(parent, NS_XENC, 'CipherData')[0];
  const value = cipherData ? elementChildren(cipherData, NS_XENC, 'CipherValue')[0] : undefined;
  const text = (value?.textContent ?? '').replace(/\s+/g, '');
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : null;
}

function elementChildren(parent: Element, ns: string, localName: string): Element[] {
  return Array.from(parent.childNodes).filter(
    (node): node is Element =>
      node.nodeType === 1 &&
      (node as Element).namespaceURI === ns &&
      (node as Element).localName === localName,
  );
}
