// SAML Response verification on one parsed document: node-saml 5.1's validatePostResponseAsync, for
// the responses the product gets every day, with the same guards, answers and error messages, but
// with both signatures checked by xml-crypto on the document the caller already parsed.
//
// Why: node-saml's getVerifiedXml hands the whole posted text to xml-crypto's checkSignature once
// per signature, which parses it again, finds the referenced element with three whole-document
// XPath queries (Id, ID, id) and a fourth for its ancestors' namespaces; node-saml then parses the
// signed bytes again with xml2js. That bookkeeping, not the cryptography, was most of a sign-in.
// Here the document is parsed once, the referenced element is found by one walk, and the
// cryptography (canonicalisation, digests, RSA) is xml-crypto's own, called on that document.
//
// What is reproduced, from node-saml 5.1.0 (lib/saml.js validatePostResponseAsync,
// getSignedAssertion, processValidlySignedAssertionAsync; lib/xml.js getVerifiedXml) and
// xml-crypto 6.3.2 (lib/signed-xml.js checkSignature, validateReference, findLoadedSignature):
//
// - each signature is its element's one direct ds:Signature child (two are refused), with at most
//   two ds:Transform elements anywhere inside it (CVE-2021-39171);
// - it is checked with each trusted key in turn, never a key from KeyInfo (xml-crypto's
//   getCertFromKeyInfo is a no-op for a SignedXml made without options: CVE-2024-32962);
// - exactly one Reference; its URI non-empty and free of quotes; exactly one element of the
//   document has that value as an unqualified ID attribute, and it is the signature's parent; no
//   other element carries it as an Id, ID or id attribute of any namespace (xml-crypto's count);
// - with the enveloped-signature transform, no other ds:Signature carries the same SignatureValue
//   (xml-crypto refuses that when it finds the loaded signature again in its own parse);
// - only the canonical bytes the signature covers are read afterwards: the Response's when its
//   signature is valid, else the assertion's (node-saml's getSignedAssertion), parsed again;
// - the Response's signature is required when the connection says so; the assertion's always
//   (wantAssertionsSigned); more than one Assertion or EncryptedAssertion child is refused;
// - Conditions (one at most, its times with the clock skew), the AudienceRestriction, and the
//   SubjectConfirmationData times as node-saml reads them (its xml2js view: elements by their local
//   name in any namespace, text as the element's own text nodes, attributes by their exact name);
// - every refusal throws the Error node-saml would throw (the same message), so the caller maps it
//   to the same error code (sso/saml.ts, nodeSamlErrorCode).
//
// What is not handled here, and goes to node-saml unchanged (samlDirectApplies): a response with an
// EncryptedAssertion, one with no Assertion child (an IdP's error status), one with a carriage
// return (node-saml normalises line ends before xml-crypto parses; the DOMs differ only then), and
// any install whose package versions are not the ones this was written against.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import type { Profile } from '@node-saml/passport-saml';

/** The package versions whose verification code this module reproduces (read from their package.json). */
export const SAML_DIRECT_WRITTEN_FOR = {
  '@node-saml/node-saml': '5.1.0',
  'xml-crypto': '6.3.2',
  '@xmldom/xmldom': '0.8.15',
  /** node-saml's copy and xml-crypto's copy. */
  xpath: ['0.0.34', '0.0.33'],
} as const;

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
/** xml-crypto's SignedXml.idAttributes for a SignedXml made without options, in its order. */
const XML_CRYPTO_ID_ATTRIBUTES = ['Id', 'ID', 'id'] as const;

// ---------------------------------------------------------------------------------------------
// The copies of xml-crypto node-saml uses, and their versions

interface NamespaceBinding {
  readonly prefix: string;
  readonly namespaceURI: string;
}

/** A Reference as xml-crypto loads it from the canonical SignedInfo. */
interface XmlCryptoReference {
  uri: string;
  transforms: string[];
  digestAlgorithm: string;
  digestValue: string;
  inclusiveNamespacesPrefixList: string[];
}

/**
 * The members of xml-crypto 6.3.2's SignedXml used here. Some are private in its type declarations;
 * they are the ones checkSignature itself calls, and the version test pins the code behind them.
 */
interface SignedXmlInternals {
  publicCert: unknown;
  references: XmlCryptoReference[];
  readonly signatureNode: Node | null;
  readonly canonicalizationAlgorithm: string | undefined;
  readonly signatureAlgorithm: string | undefined;
  readonly signatureValue: string;
  loadSignature(signature: Node): void;
  getReferences(): XmlCryptoReference[];
  loadReference(reference: Node): void;
  getCanonXml(transforms: string[], node: Node, options: object): string;
  canonicalize(transforms: string[], node: Node, options: object, how: { discardComments: boolean }): string;
  findHashAlgorithm(name: string): { getHash(xml: string): string };
  findSignatureAlgorithm(name: string | undefined): {
    verifySignature(material: string, key: unknown, signatureValue: string): boolean;
  };
}

interface XmlCrypto {
  readonly SignedXml: new () => SignedXmlInternals;
}

interface XmlCryptoUtils {
  findAncestorNsForElement(node: Element): NamespaceBinding[];
  validateDigestValue(digest: string, expected: string): boolean;
  findChildren(node: Node, localName: string, namespace?: string): Element[];
}

function packageVersion(path: string, packageName: string): string {
  const marker = `${sep}node_modules${sep}${packageName.split('/').join(sep)}${sep}`;
  const root = path.slice(0, path.lastIndexOf(marker) + marker.length - 1);
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

const fromHere = createRequire(import.meta.url);
const fromNodeSaml = createRequire(
  createRequire(fromHere.resolve('@node-saml/passport-saml')).resolve('@node-saml/node-saml'),
);
const fromXmlCrypto = createRequire(fromNodeSaml.resolve('xml-crypto'));
const xmlCrypto = fromNodeSaml('xml-crypto') as XmlCrypto;
const utils = fromNodeSaml('xml-crypto/lib/utils') as XmlCryptoUtils;

/** The versions installed, as node-saml resolves its dependencies (and xml-crypto its own). */
export function installedSamlVersions(): {
  readonly '@node-saml/node-saml': string;
  readonly 'xml-crypto': string;
  readonly '@xmldom/xmldom': string;
  readonly xpath: readonly string[];
} {
  return {
    '@node-saml/node-saml': packageVersion(
      fromNodeSaml.resolve('@node-saml/node-saml'),
      '@node-saml/node-saml',
    ),
    'xml-crypto': packageVersion(fromNodeSaml.resolve('xml-crypto'), 'xml-crypto'),
    '@xmldom/xmldom': packageVersion(fromNodeSaml.resolve('@xmldom/xmldom'), '@xmldom/xmldom'),
    xpath: [
      packageVersion(fromNodeSaml.resolve('xpath'), 'xpath'),
      packageVersion(fromXmlCrypto.resolve('xpath'), 'xpath'),
    ],
  };
}

/** Null when the installed versions are the ones this module was written against, else why not. */
export function samlDirectVersionProblem(): string | null {
  const installed = installedSamlVersions();
  const expected = SAML_DIRECT_WRITTEN_FOR;
  const problems: string[] = [];
  for (const name of ['@node-saml/node-saml', 'xml-crypto', '@xmldom/xmldom'] as const) {
    if (installed[name] !== expected[name])
      problems.push(`${name} ${installed[name]} (written for ${expected[name]})`);
  }
  if (installed.xpath.join() !== expected.xpath.join())
    problems.push(`xpath ${installed.xpath.join(', ')} (written for ${expected.xpath.join(', ')})`);
  if (fromXmlCrypto.resolve('@xmldom/xmldom') !== fromNodeSaml.resolve('@xmldom/xmldom'))
    problems.push('xml-crypto and node-saml use different copies of @xmldom/xmldom');
  if (fromHere.resolve('@xmldom/xmldom') !== fromNodeSaml.resolve('@xmldom/xmldom'))
    problems.push('this module and node-saml use different copies of @xmldom/xmldom');
  return problems.length === 0 ? null : problems.join('; ');
}

const versionProblem = samlDirectVersionProblem();
let enabled = true;

/**
 * Switches the direct path on or off in this thread (the differential corpus and the benchmark
 * compare both). Off, or on another install than it was written for, every response goes to node-saml.
 */
export function setSamlDirect(on: boolean): void {
  enabled = on;
}

/** Whether the direct path would be used at all in this thread, and if not, why. */
export function samlDirectStatus(): { readonly enabled: boolean; readonly reason: string | null } {
  if (versionProblem !== null) return { enabled: false, reason: versionProblem };
  return { enabled, reason: enabled ? null : 'switched off' };
}

/**
 * Whether `xml` (the posted Response, decoded) is verified here rather than by node-saml: the direct
 * path is on and pinned, and the response has none of the shapes left to node-saml (see the top).
 * `root` is its document element, already checked to be a samlp:Response.
 */
export function samlDirectApplies(xml: string, root: Element): boolean {
  if (!enabled || versionProblem !== null) return false;
  // Deliberately broad: any mention at all of EncryptedAssertion goes to node-saml's decryption path.
  if (xml.includes('\r') || xml.includes('EncryptedAssertion')) return false;
  return childElements(root).some((el) => el.localName === 'Assertion');
}

// ---------------------------------------------------------------------------------------------
// The Response

export interface DirectVerification {
  /** The posted document, parsed once from the posted text (which has no carriage return). */
  readonly doc: Document;
  /** The trusted keys exactly as node-saml would hand them to xml-crypto (KeyObject or PEM). */
  readonly keys: readonly unknown[];
  /** node-saml's wantAuthnResponseSigned. */
  readonly responseSigned: boolean;
  /** node-saml's audience option. */
  readonly audience: string;
  /**
   * node-saml's time rule as the caller's SAML instance applies it: calcMaxAgeAssertionTime then
   * checkTimestampsValidityError on the caller's "now". Returns the refusal, or throws what they throw.
   */
  readonly timesError: (
    notBefore: string | undefined,
    notOnOrAfter: string | undefined,
    issueInstant: string | undefined,
  ) => Error | null;
}

/**
 * node-saml's validatePostResponseAsync for a response samlDirectApplies accepted, with
 * ValidateInResponseTo.never and wantAssertionsSigned: the profile it would return, or the Error it
 * would throw.
 */
export function verifyPostResponseDirect(input: DirectVerification): { profile: Profile } {
  const root = input.doc.documentElement;
  if (!root) throw new Error('Not a valid XML document');
  const inResponseTo = root.getAttributeNode('InResponseTo')?.value ?? null;

  const responseSignedXml = verifiedXml(input.doc, root, input.keys);
  if (input.responseSigned && responseSignedXml === null) throw new Error('Invalid document signature');
  const assertions = childElements(root).filter((el) => el.localName === 'Assertion');
  const encrypted = childElements(root).filter((el) => el.localName === 'EncryptedAssertion');
  if (assertions.length + encrypted.length > 1) throw new Error('Invalid signature: multiple assertions');
  const assertion = assertions[0];
  if (assertion === undefined) throw new Error('No Assertion: samlDirectApplies was not asked');
  const assertionSignedXml = verifiedXml(input.doc, assertion, input.keys);
  if (assertionSignedXml === null) throw new Error('Invalid signature');

  const signedAssertion = signedAssertionXml(responseSignedXml ?? assertionSignedXml);
  if (signedAssertion === null) throw new Error('Cannot obtain assertion from signed data');
  return { profile: profileOf(signedAssertion, inResponseTo, input) };
}

// ---------------------------------------------------------------------------------------------
// One signature (node-saml's getVerifiedXml)

/** The canonical XML `node`'s signature covers, null when it has none or none verifies; throws as node-saml does. */
function verifiedXml(doc: Document, node: Element, keys: readonly unknown[]): string | null {
  const signatures = childElements(node).filter(
    (el) => el.localName === 'Signature' && el.namespaceURI === DSIG,
  );
  const signature = signatures[0];
  if (signature === undefined) return null;
  if (signatures.length > 1) throw new Error('Too many signatures found for this element');
  // node-saml's ".//*[local-name(.)='Transform' and namespace-uri(.)=dsig]": anywhere in the signature.
  let transforms = 0;
  walkElements(signature, (el) => {
    if (el !== signature && el.localName === 'Transform' && el.namespaceURI === DSIG) transforms++;
  });
  if (transforms > 2) throw new Error('Invalid signature, too many transforms');

  for (const key of keys) {
    const sig = new xmlCrypto.SignedXml();
    sig.publicCert = key;
    sig.loadSignature(signature);
    const refs = sig.getReferences();
    const ref = refs[0];
    if (refs.length !== 1 || ref === undefined) return null;
    if (!signature.parentNode) return null;
    const refUri = ref.uri;
    const refId = refUri[0] === '#' ? refUri.substring(1) : refUri;
    if (refId === '') throw new TypeError('signature reference uri not found');
    // node-saml puts the id into an XPath string literal, so it refuses quotes of either kind.
    if (refId.includes("'") || refId.includes('"')) {
      throw new Error('ref URI included quote character \' or ". Not a valid ID, and not allowed');
    }
    const referenced = elementsWithUnqualifiedId(doc, refId);
    if (referenced.length !== 1)
      throw new Error('Invalid signature: ID cannot refer to more than one element');
    if (referenced[0] !== signature.parentNode) {
      throw new Error("Invalid signature: Referenced node does not refer to it's parent element");
    }
    try {
      const signed = checkSignatureOnDocument(sig, doc);
      if (signed === null) continue;
      if (signed.length !== 1) throw new Error('Only 1 signed references should be present in signature');
      return signed[0]!;
    } catch {
      // As node-saml: any failure of this key is no verdict yet; the next key is tried.
    }
  }
  return null;
}

/**
 * xml-crypto's checkSignature, on `doc` instead of a parse of its own: the canonical SignedInfo,
 * its References loaded from that canonical form, each referenced element canonicalised and
 * digested, and the SignatureValue verified over the canonical SignedInfo with the trusted key.
 * Returns the canonical XML of each reference, or null where checkSignature returns false; throws
 * where it throws.
 */
function checkSignatureOnDocument(sig: SignedXmlInternals, doc: Document): string[] | null {
  const signatureNode = sig.signatureNode;
  if (signatureNode === null) throw new Error('No signature found.');
  const algorithm = sig.canonicalizationAlgorithm;
  if (typeof algorithm !== 'string') throw new Error('Missing canonicalizationAlgorithm');
  const signedInfo = utils.findChildren(signatureNode, 'SignedInfo');
  if (signedInfo.length !== 1) throw new Error('SignedInfo missing or repeated');
  // xml-crypto takes the ancestors' namespaces of the document's first SignedInfo (its XPath
  // "//*[local-name()='SignedInfo']"), whichever signature it checks.
  const firstSignedInfo = firstElement(doc, (el) => el.localName === 'SignedInfo');
  const ancestorNamespaces = firstSignedInfo ? utils.findAncestorNsForElement(firstSignedInfo) : [];
  const signedInfoCanon = sig.getCanonXml([algorithm], signedInfo[0]!, { ancestorNamespaces });
  if (!signedInfoCanon) throw new Error('Canonical signed info cannot be empty');
  const signedInfoDoc = new DOMParser().parseFromString(signedInfoCanon, 'text/xml').documentElement;
  if (!signedInfoDoc) throw new Error('Could not parse unverifiedSignedInfoCanon into a document');
  const references = utils.findChildren(signedInfoDoc, 'Reference');
  if (references.length === 0) throw new Error('could not find any Reference elements');
  // Only the references of the canonical SignedInfo, the bytes the SignatureValue covers, count.
  sig.references = [];
  for (const reference of references) sig.loadReference(reference);

  const canonReferences: string[] = [];
  for (const ref of sig.references) {
    const canonXml = validateReference(sig, ref, doc, signatureNode);
    if (canonXml === undefined) return null;
    canonReferences.push(canonXml);
  }
  const signer = sig.findSignatureAlgorithm(sig.signatureAlgorithm);
  // The trusted key only (see the top): never one from KeyInfo.
  if (sig.publicCert === null || sig.publicCert === undefined) throw new Error('publicCert is required');
  if (!signer.verifySignature(signedInfoCanon, sig.publicCert, sig.signatureValue)) {
    throw new Error('invalid signature: the signature value is incorrect');
  }
  return canonReferences;
}

/** xml-crypto's validateReference on `doc`: the canonical XML of the referenced element, or undefined. */
function validateReference(
  sig: SignedXmlInternals,
  ref: XmlCryptoReference,
  doc: Document,
  signatureNode: Node,
): string | undefined {
  const uri = ref.uri[0] === '#' ? ref.uri.substring(1) : ref.uri;
  let elem: Element | null = null;
  let located = false;
  if (uri === '') {
    elem = doc.documentElement;
  } else if (uri.includes("'")) {
    throw new Error('Cannot validate a uri with quotes inside it');
  } else {
    // xml-crypto's "//*[@*[local-name(.)='<name>']='<uri>']" for Id, ID and id: attributes of any
    // namespace (xmlns declarations included), each element counted once per name; more than one in
    // all is refused (signature wrapping).
    let count = 0;
    for (const name of XML_CRYPTO_ID_ATTRIBUTES) {
      const found = elementsWithAttribute(doc, name, uri);
      if (found.length > 0) {
        count += found.length;
        if (count > 1) throw new Error('Cannot validate a document with several elements of the same ID');
        elem = found[0]!;
        located = true;
      }
    }
  }
  if (elem === null) return undefined;
  // xml-crypto finds the loaded signature again in its own parse by its SignatureValue, refusing two
  // signatures with the same value; on one document it is the loaded node itself, so ask the same.
  if (ref.transforms.includes(ENVELOPED)) {
    const value = utils.findChildren(signatureNode, 'SignatureValue')[0]?.textContent;
    if (!value) return undefined;
    let same = 0;
    walkElements(doc, (el) => {
      if (
        el.localName === 'Signature' &&
        el.namespaceURI === DSIG &&
        utils.findChildren(el, 'SignatureValue')[0]?.textContent === value
      )
        same++;
    });
    if (same > 1)
      throw new Error('Cannot validate a document with two signatures of the same SignatureValue');
  }
  // xml-crypto's findAncestorNs on the reference's XPath: the element found by ID, none for URI="".
  const ancestorNamespaces = located ? utils.findAncestorNsForElement(elem) : [];
  // Only a same-document URI dereferences without comments (XML-DSig 1.1 §4.4.3.3).
  const discardComments = ref.uri === '' || ref.uri.startsWith('#');
  const canonXml = sig.canonicalize(
    ref.transforms,
    elem,
    { inclusiveNamespacesPrefixList: ref.inclusiveNamespacesPrefixList, ancestorNamespaces },
    { discardComments },
  );
  const digest = sig.findHashAlgorithm(ref.digestAlgorithm).getHash(canonXml);
  return utils.validateDigestValue(digest, ref.digestValue) ? canonXml : undefined;
}

/** node-saml's `//*[@ID="<id>"]`: elements with an ID attribute of no namespace equal to `id`. */
function elementsWithUnqualifiedId(doc: Document, id: string): Element[] {
  const found: Element[] = [];
  walkElements(doc, (el) => {
    const attributes = el.attributes;
    for (let i = 0; i < attributes.length; i++) {
      const attr = attributes.item(i)!;
      if (!attr.namespaceURI && (attr.localName || attr.nodeName) === 'ID' && attr.value === id) {
        found.push(el);
        return;
      }
    }
  });
  return found;
}

/** Elements with an attribute of local name `name`, any namespace, whose value is `value`. */
function elementsWithAttribute(doc: Document, name: string, value: string): Element[] {
  const found: Element[] = [];
  walkElements(doc, (el) => {
    const attributes = el.attributes;
    for (let i = 0; i < attributes.length; i++) {
      const attr = attributes.item(i)!;
      if ((attr.localName || attr.nodeName) === name && attr.value === value) {
        found.push(el);
        return;
      }
    }
  });
  return found;
}

// ---------------------------------------------------------------------------------------------
// The signed assertion (node-saml's getSignedAssertion and processValidlySignedAssertionAsync)

/** node-saml's parseDomFromString: an Error with the parser's message on any error. */
function parseSigned(xml: string): Document {
  let failure: string | null = null;
  const doc = new DOMParser({
    locator: {},
    errorHandler: {
      error: (msg: string) => {
        failure ??= msg;
      },
      fatalError: (msg: string) => {
        failure ??= msg;
      },
    },
  }).parseFromString(xml, 'text/xml');
  if (failure !== null) throw new Error(failure);
  if (!Object.prototype.hasOwnProperty.call(doc, 'documentElement'))
    throw new Error('Not a valid XML document');
  return doc;
}

/** The assertion's XML text in the signed bytes, as node-saml serialises it, or null. */
function signedAssertionXml(signedXml: string): string | null {
  const rootNode = parseSigned(signedXml).documentElement;
  if (!rootNode) return null;
  if (rootNode.localName === 'Response') {
    const assertions = childElements(rootNode).filter((el) => el.localName === 'Assertion');
    // Encrypted assertions never reach this module (samlDirectApplies).
    return assertions.length === 1 ? serialise(assertions[0]!) : null;
  }
  return rootNode.localName === 'Assertion' ? serialise(rootNode) : null;
}

/** xmldom's serialisation of a node: what node-saml's `node.toString()` gives (the same function). */
function serialise(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}

/**
 * The profile node-saml builds from the signed assertion's text, read the way its xml2js parse
 * (explicitCharkey, stripPrefix) presents it; throws what node-saml throws.
 */
function profileOf(xml: string, inResponseTo: string | null, input: DirectVerification): Profile {
  const assertion = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  if (!assertion || xml2jsName(assertion) !== 'Assertion') {
    throw new TypeError("Cannot read properties of undefined (reading 'Issuer')");
  }
  const profile: Record<string, unknown> = {};
  const issuer = xml2jsText(kids(assertion, 'Issuer')[0]);
  if (issuer) profile['issuer'] = issuer;
  if (inResponseTo !== null) profile['inResponseTo'] = inResponseTo;
  const authn = kids(assertion, 'AuthnStatement')[0];
  const sessionIndex = authn ? attr(authn, 'SessionIndex') : undefined;
  if (sessionIndex) profile['sessionIndex'] = sessionIndex;

  const issueInstant = attr(assertion, 'IssueInstant');
  const subject = kids(assertion, 'Subject')[0];
  if (subject) {
    const nameId = kids(subject, 'NameID')[0];
    const nameIdText = xml2jsText(nameId);
    if (nameId && nameIdText) {
      profile['nameID'] = nameIdText;
      const format = attr(nameId, 'Format');
      if (nameId.attributes.length > 0 && format) {
        profile['nameIDFormat'] = format;
        profile['nameQualifier'] = attr(nameId, 'NameQualifier');
        profile['spNameQualifier'] = attr(nameId, 'SPNameQualifier');
      }
    }
    // node-saml looks for the first confirmation in its time window. With ValidateInResponseTo.never
    // it uses none of them, but reading their times can throw (an unreadable date), so read them.
    for (const confirmation of kids(subject, 'SubjectConfirmation')) {
      const data = kids(confirmation, 'SubjectConfirmationData')[0];
      if (!data || data.attributes.length === 0) continue;
      if (input.timesError(attr(data, 'NotBefore'), attr(data, 'NotOnOrAfter'), issueInstant) === null) break;
    }
  }

  const conditionsList = kids(assertion, 'Conditions');
  if (conditionsList.length > 1) throw new Error('Unable to process multiple conditions in SAML assertion');
  const conditions = conditionsList[0] ?? null;
  if (conditions && conditions.attributes.length > 0) {
    const error = input.timesError(
      attr(conditions, 'NotBefore'),
      attr(conditions, 'NotOnOrAfter'),
      issueInstant,
    );
    if (error) throw error;
  }
  // node-saml reads conditions.AudienceRestriction even when there is no Conditions element.
  if (conditions === null)
    throw new TypeError("Cannot read properties of null (reading 'AudienceRestriction')");
  const audienceError = audienceErrorOf(input.audience, kids(conditions, 'AudienceRestriction'));
  if (audienceError) throw audienceError;

  const attributes = kids(assertion, 'AttributeStatement').flatMap((statement) =>
    kids(statement, 'Attribute'),
  );
  if (attributes.length > 0) {
    const profileAttributes: Record<string, unknown> = {};
    for (const attribute of attributes) {
      const values = kids(attribute, 'AttributeValue');
      if (values.length === 0) continue;
      if (attribute.attributes.length === 0)
        throw new TypeError("Cannot read properties of undefined (reading 'Name')");
      // An absent Name is the key "undefined", as in node-saml.
      const name = String(attr(attribute, 'Name'));
      const value = values.length === 1 ? attributeValue(values[0]!) : values.map(attributeValue);
      profileAttributes[name] = value;
      if (Object.prototype.hasOwnProperty.call(profile, name)) continue;
      profile[name] = value;
    }
    profile['attributes'] = profileAttributes;
  }
  if (!profile['mail'] && profile['urn:oid:0.9.2342.19200300.100.1.3']) {
    profile['mail'] = profile['urn:oid:0.9.2342.19200300.100.1.3'];
  }
  if (!profile['email'] && profile['mail']) profile['email'] = profile['mail'];
  profile['getAssertionXml'] = () => xml;
  return profile as unknown as Profile;
}

/** node-saml's checkAudienceValidityError over the AudienceRestriction elements. */
function audienceErrorOf(expected: string, restrictions: Element[]): Error | null {
  if (restrictions.length < 1) return new Error('SAML assertion has no AudienceRestriction');
  for (const restriction of restrictions) {
    const audiences = kids(restriction, 'Audience');
    if (audiences.length === 0 || !xml2jsText(audiences[0])) {
      return new Error('SAML assertion AudienceRestriction has no Audience value');
    }
    const texts = audiences.map((audience) => xml2jsText(audience));
    if (texts.every((text) => text !== expected)) {
      return new Error(
        `SAML assertion audience mismatch. Expected: ${expected} Received: ${texts.map((t) => t ?? 'undefined').join(', ')}`,
      );
    }
  }
  return null;
}

/**
 * An AttributeValue as node-saml's attrValueMapper gives it: its text; for an element with child
 * elements a structure (the product reads strings only, so an empty object stands for it); and,
 * an xml2js quirk, a whitespace-only element without attributes is that whitespace itself.
 */
function attributeValue(value: Element): unknown {
  if (childElements(value).length > 0) return {};
  if (value.attributes.length === 0) {
    const own = ownText(value);
    if (own.text !== '' && /^\s*$/.test(own.text) && !own.cdata) return own.text;
  }
  return xml2jsText(value);
}

// ---------------------------------------------------------------------------------------------
// xml2js's view of an element (node-saml's parseXml2JsFromString: explicitCharkey, stripPrefix)

/** The element name with its prefix stripped, as xml2js's stripPrefix does it. */
function xml2jsName(el: Element): string {
  return el.nodeName.replace(/(?!xmlns)^.*:/, '');
}

/** Child elements whose stripped name is `name`, in any namespace. */
function kids(parent: Element, name: string): Element[] {
  return childElements(parent).filter((el) => xml2jsName(el) === name);
}

/** An attribute by its exact (qualified) name, as xml2js's `$[name]`. */
function attr(el: Element, name: string): string | undefined {
  return el.getAttributeNode(name)?.value ?? undefined;
}

/** The element's own text nodes and CDATA sections, concatenated. */
function ownText(el: Element): { text: string; cdata: boolean } {
  let text = '';
  let cdata = false;
  for (let node = el.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === 3) text += (node as Text).data;
    else if (node.nodeType === 4) {
      text += (node as CDATASection).data;
      cdata = true;
    }
  }
  return { text, cdata };
}

/** xml2js's `_`: the element's own text, absent when it is only whitespace (and no CDATA). */
function xml2jsText(el: Element | undefined): string | undefined {
  if (!el) return undefined;
  const { text, cdata } = ownText(el);
  return /^\s*$/.test(text) && !cdata ? undefined : text;
}

// ---------------------------------------------------------------------------------------------
// DOM walking

function childElements(parent: Node): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === 1) out.push(node as Element);
  }
  return out;
}

/** Visits `from` (when an element) and every element below it, in document order. */
function walkElements(from: Node, visit: (el: Element) => void): void {
  const stack: Node[] = [from];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.nodeType === 1) visit(node as Element);
    for (let child = node.lastChild; child !== null; child = child.previousSibling) {
      if (child.nodeType === 1) stack.push(child);
    }
  }
}

function firstElement(doc: Document, test: (el: Element) => boolean): Element | null {
  let found: Element | null = null;
  const stack: Node[] = [doc];
  while (stack.length > 0 && found === null) {
    const node = stack.pop()!;
    if (node.nodeType === 1 && test(node as Element)) found = node as Element;
    for (let child = node.lastChild; child !== null; child = child.previousSibling) {
      if (child.nodeType === 1) stack.push(child);
    }
  }
  return found;
}
