// The SAML service provider's key pairs: an RSA key and a self-signed X.509 certificate over it,
// which is how SAML metadata carries a public key (metadata §2.4.1.1 KeyDescriptor, ds:X509Data).
// node:crypto makes the key and signs, but cannot write a certificate: the few DER structures of
// RFC 5280 §4.1 a self-signed certificate needs are written here, and node:crypto's X509Certificate
// reads the result back and checks its signature before it is used.
import { createHash, generateKeyPair, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * RSA modulus size of new keys: 2048 bits, what IdPs (Entra, ADFS, Okta) require at least and
 * NIST SP 800-57 rates adequate through 2030; larger keys make every sign-in's decryption slower.
 */
export const SP_KEY_BITS = 2048;
/** How long a new certificate is valid. SAML peers use it as a key carrier, not for its dates. */
export const SP_CERTIFICATE_YEARS = 10;

export interface SpKeyPair {
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
  /** X.509 PEM. */
  readonly certificatePem: string;
  /** SHA-256 of the certificate's DER, lower-case hex. */
  readonly fingerprint: string;
  /** ISO 8601, UTC. */
  readonly notAfter: string;
}

const generate = promisify(generateKeyPair);

/**
 * A new key pair and its self-signed certificate (subject = issuer = CN `commonName`), valid from
 * `now` (less a minute for clocks behind ours) for SP_CERTIFICATE_YEARS. The key is made on the
 * thread pool: the event loop does not wait for the prime search.
 */
export async function makeSpKeyPair(commonName: string, now: Date): Promise<SpKeyPair> {
  const { privateKey, publicKey } = await generate('rsa', {
    modulusLength: SP_KEY_BITS,
    publicExponent: 0x10001,
  });
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + SP_CERTIFICATE_YEARS);
  const der = selfSignedCertificate(commonName, notBefore, notAfter, publicKey, privateKey);
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  // Read back with the platform's parser, and its signature checked: what is published is sound.
  const parsed = new X509Certificate(certificatePem);
  if (!parsed.verify(publicKey) || !parsed.publicKey.equals(publicKey)) {
    throw new Error('the new service provider certificate does not verify');
  }
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    notAfter: new Date(parsed.validTo).toISOString(),
  };
}

/** The certificate's base64 DER body, as ds:X509Certificate holds it. */
export const certificateBody = (pem: string): string =>
  pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

// ---------------------------------------------------------------------------------------------
// DER (X.690) for RFC 5280 §4.1 Certificate, TBSCertificate v3 without extensions

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const base128: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift(0x80 | (v & 0x7f));
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A positive INTEGER from big-endian bytes (a leading zero keeps the sign bit clear). */
function positiveInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(t: Date): Buffer {
  const iso = t.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  return t.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

function name(commonName: string): Buffer {
  // CN (2.5.4.3) as UTF8String, at most 64 characters (RFC 5280 ub-common-name).
  const cn = sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName.slice(0, 64), 'utf8')));
  return sequence(tlv(0x31, cn));
}

function selfSignedCertificate(
  commonName: string,
  notBefore: Date,
  notAfter: Date,
  publicKey: KeyObject,
  privateKey: KeyObject,
): Buffer {
  // sha256WithRSAEncryption (RFC 4055 §5), parameters NULL.
  const algorithm = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; derived from the key, so two keys
  // never share one.
  const serial = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .update(String(notBefore.getTime()))
    .digest()
    .subarray(0, 16);
  serial[0] = serial[0]! & 0x7f;
  const tbs = sequence(
    tlv(0xa0, positiveInteger(Buffer.from([2]))), // [0] EXPLICIT version v3
    positiveInteger(serial),
    algorithm,
    name(commonName),
    sequence(time(notBefore), time(notAfter)),
    name(commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  return sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
}
