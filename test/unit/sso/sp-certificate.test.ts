// The service provider's key pairs: the self-signed certificate provisioning/sp-certificate.ts writes by
// hand must be one that other X.509 implementations (OpenSSL's command line, node:crypto) read and
// verify, over the very key it comes with.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { certificateBody, makeSpKeyPair, SP_KEY_BITS } from '../../../provisioning/sp-certificate.js';

describe('SAML service provider key pairs', () => {
  test('When a key pair is made, then OpenSSL reads its certificate as a valid self-signed X.509 v3 over that key, with the fingerprint and dates given', async () => {
    const now = new Date('2026-12-06T10:00:00Z');
    const pair = await makeSpKeyPair('Seatkeeper SAML SP 0123', now);
    const dir = mkdtempSync(join(tmpdir(), 'seatkeeper-sp-cert-'));
    try {
      const path = join(dir, 'cert.pem');
      writeFileSync(path, pair.certificatePem);
      // Self-signed: the certificate is its own trust anchor, and its signature must check out.
      const verified = execFileSync('openssl', ['verify', '-CAfile', path, path], { encoding: 'utf8' });
      assert.match(verified, /: OK/);
      const text = execFileSync('openssl', ['x509', '-in', path, '-noout', '-text'], { encoding: 'utf8' });
      assert.match(text, /Version: 3/);
      assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
      assert.match(text, /Subject: CN ?= ?Seatkeeper SAML SP 0123/);
      assert.match(text, new RegExp(`Public-Key: \\(${SP_KEY_BITS} bit\\)`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const x509 = new X509Certificate(pair.certificatePem);
    assert.equal(x509.fingerprint256.replace(/:/g, '').toLowerCase(), pair.fingerprint);
    assert.equal(pair.notAfter, '2036-12-06T10:00:00.000Z');
    assert.ok(Date.parse(x509.validFrom) <= now.getTime(), 'valid from before now');
    // The certificate's key is the private key's.
    const fromPrivate = createPublicKey(createPrivateKey(pair.privateKeyPem));
    assert.ok(x509.publicKey.equals(fromPrivate));
    assert.equal(certificateBody(pair.certificatePem), x509.raw.toString('base64'));
  });

  test('When two key pairs are made, then their certificates differ in key, serial and fingerprint', async () => {
    const now = new Date();
    const [a, b] = await Promise.all([makeSpKeyPair('a', now), makeSpKeyPair('a', now)]);
    assert.notEqual(a.fingerprint, b.fingerprint);
    assert.notEqual(
      new X509Certificate(a.certificatePem).serialNumber,
      new X509Certificate(b.certificatePem).serialNumber,
    );
  });
});
