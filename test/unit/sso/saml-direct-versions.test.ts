// The direct SAML verification (sso/saml-direct.ts) reproduces node-saml's and xml-crypto's checks
// line by line, for the versions it was written against. An upgrade of any of them (or of the xmldom
// and xpath copies they use) must fail here, so that someone reads the new versions' verification
// code before the direct path runs on them: on other versions it steps aside (node-saml verifies
// everything, slower), and this test says so.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SAML_DIRECT_WRITTEN_FOR, samlDirectStatus } from '../../../sso/saml-direct.js';

const REREAD =
  'the direct SAML verification (sso/saml-direct.ts) was written against other versions: re-read ' +
  "the new versions' verification code (node-saml lib/saml.js validatePostResponseAsync, " +
  'getSignedAssertion, processValidlySignedAssertionAsync and lib/xml.js getVerifiedXml; xml-crypto ' +
  'lib/signed-xml.js checkSignature, validateReference, canonicalize, findLoadedSignature), bring ' +
  'saml-direct.ts in line, run the differential corpus, then update SAML_DIRECT_WRITTEN_FOR and the ' +
  'hashes in this test';

/** The files whose code saml-direct.ts reproduces, by SHA-256, for the versions above. */
const SOURCES: Record<string, string> = {
  '@node-saml/node-saml/lib/saml.js': '929ac99bd3ab0fa1a7864cec07f093721be847ebd1714201e89992cebff769ca',
  '@node-saml/node-saml/lib/xml.js': 'c0684c34fbafa1941da7061f5c68104fd60d7f95a31d8c32d34f10ecb202e4a8',
  'xml-crypto/lib/signed-xml.js': 'bebfc4b15246e30d74b6a36173b7d05c78c0b747b0f59e9f1c006ef44e1abf19',
  'xml-crypto/lib/utils.js': 'b2082c463d7db947c0011008492747111cb2813c81c0c6fd9e2aa212912438a9',
  'xml-crypto/lib/enveloped-signature.js': 'ad4c05b4cab1b0f7260c7a8d32c2e76a35712f48a154f315113361608839cde8',
  // node-saml reads the signed assertion through xml2js; saml-direct.ts reproduces that reading.
  'xml2js/lib/parser.js': '828ebdb4e95c04c4cea5e821193b441b5f7c8de34c6631a9e693b9207062072c',
};

// The copies node-saml actually loads (passport-saml → node-saml → xml-crypto), found from here.
const fromHere = createRequire(import.meta.url);
const fromNodeSaml = createRequire(
  createRequire(fromHere.resolve('@node-saml/passport-saml')).resolve('@node-saml/node-saml'),
);
const fromXmlCrypto = createRequire(fromNodeSaml.resolve('xml-crypto'));

/** The version in the package.json of `name` as `from` resolves it. */
function versionOf(from: NodeJS.Require, name: string): string {
  const json = from.resolve(`${name}/package.json`);
  return (JSON.parse(readFileSync(json, 'utf8')) as { version: string }).version;
}

/** A package's file, the package as node-saml resolves it. */
function sourceOf(file: string): string {
  const [scopeOrName, ...rest] = file.split('/');
  const name = scopeOrName!.startsWith('@') ? `${scopeOrName}/${rest.shift()}` : scopeOrName!;
  return join(dirname(fromNodeSaml.resolve(`${name}/package.json`)), ...rest);
}

describe('the versions the direct SAML verification was written against', () => {
  test('When node-saml, xml-crypto, xmldom and xpath are read from their package.json, then they are the versions saml-direct.ts reproduces', () => {
    const installed = {
      '@node-saml/node-saml': versionOf(fromNodeSaml, '@node-saml/node-saml'),
      'xml-crypto': versionOf(fromNodeSaml, 'xml-crypto'),
      '@xmldom/xmldom': versionOf(fromNodeSaml, '@xmldom/xmldom'),
      xpath: [versionOf(fromNodeSaml, 'xpath'), versionOf(fromXmlCrypto, 'xpath')],
    };
    assert.deepEqual(installed, SAML_DIRECT_WRITTEN_FOR, REREAD);
    assert.equal(
      fromXmlCrypto.resolve('@xmldom/xmldom'),
      fromNodeSaml.resolve('@xmldom/xmldom'),
      `xml-crypto and node-saml load different copies of @xmldom/xmldom: ${REREAD}`,
    );
  });

  test('When the files it reproduces are hashed, then they are the ones it was written against', () => {
    const changed = Object.entries(SOURCES)
      .filter(
        ([file, sha256]) =>
          createHash('sha256')
            .update(readFileSync(sourceOf(file)))
            .digest('hex') !== sha256,
      )
      .map(([file]) => file);
    assert.deepEqual(changed, [], REREAD);
  });

  test('When the server loads it on these versions, then the direct path is in use', () => {
    assert.deepEqual(samlDirectStatus(), { enabled: true, reason: null }, REREAD);
  });
});
