// The SAML libraries' speed-ups (sso/saml-speedups.ts): installed only on the package versions and
// sources they were written for, on wherever sso/saml.ts runs (this thread, a worker thread), and
// each one gives the library's own answers. Each is compared, on and off, on real documents: a
// response signed by the samlify test IdP, and small documents with every kind of node.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { FixedClock } from '../../../domain/clock.js';
import { startSamlLogin, type SamlConnectionConfig } from '../../../sso/saml.js';
import { samlServiceProviderMetadata } from '../../../sso/saml-metadata.js';
import {
  installSamlSpeedups,
  pinnedProblem,
  samlSpeedupsEnabled,
  setSamlSpeedups,
} from '../../../sso/saml-speedups.js';
import { startSamlIdp, type SamlIdp } from '../../helpers/saml-idp.js';

const NOW = '2026-03-02T10:00:00Z';

/* The libraries as node-saml and xml-crypto load them (typed as far as these tests use them). */
interface XNode {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly ownerDocument: unknown;
  readonly parentNode: XNode | null;
  readonly childNodes: ArrayLike<XNode>;
  readonly attributes?: ArrayLike<XNode>;
  cloneNode(deep: boolean): XNode;
}
type Select = (expression: string, node: unknown, single?: boolean) => unknown;
interface XPathLib {
  readonly select: Select;
  readonly useNamespaces: (mappings: Record<string, string>) => Select;
  readonly parse: (expression: string) => { expression: { toString(): string } };
  readonly XPathContext: new () => Record<string, unknown> & { extend(p: object): Record<string, unknown> };
  readonly VariableResolver: new () => object;
}
interface DomLib {
  readonly DOMParser: new () => { parseFromString(xml: string, type: string): XNode & Document };
  readonly XMLSerializer: new () => { serializeToString(node: unknown): string };
}

const fromHere = createRequire(import.meta.url);
const fromNodeSaml = createRequire(
  createRequire(fromHere.resolve('@node-saml/passport-saml')).resolve('@node-saml/node-saml'),
);
const fromXmlCrypto = createRequire(fromNodeSaml.resolve('xml-crypto'));
const xpaths = {
  'node-saml (xpath 0.0.34)': fromNodeSaml('xpath') as XPathLib,
  'xml-crypto (xpath 0.0.33)': fromXmlCrypto('xpath') as XPathLib,
};
const dom = fromNodeSaml('@xmldom/xmldom') as DomLib;
const serialize = (node: unknown) => new dom.XMLSerializer().serializeToString(node);

/** Runs `fn` with the speed-ups off, then on, and returns both answers. */
function bothWays<T>(fn: () => T): { off: T; on: T } {
  try {
    setSamlSpeedups(false);
    const off = fn();
    setSamlSpeedups(true);
    return { off, on: fn() };
  } finally {
    setSamlSpeedups(true);
  }
}

/** A node as data: its name, type, scalar own fields, attributes and children, recursively. */
function shape(node: XNode, seen = new Set<unknown>()): unknown {
  if (seen.has(node)) return '[cycle]';
  seen.add(node);
  const scalars = Object.fromEntries(
    Object.keys(node)
      .filter((k) => typeof (node as unknown as Record<string, unknown>)[k] !== 'object')
      .map((k) => [k, (node as unknown as Record<string, unknown>)[k]]),
  );
  return {
    constructor: (node as object).constructor.name,
    scalars,
    attributes: node.attributes ? Array.from(node.attributes, (a) => shape(a, seen)) : null,
    children: Array.from(node.childNodes ?? [], (c) => shape(c, seen)),
  };
}

describe('SAML library speed-ups', () => {
  const clock = new FixedClock(NOW);
  let idp: SamlIdp;
  /** A whole signed Response (both signatures), as the IdP posts it. */
  let signedXml: string;

  beforeAll(async () => {
    const sp: SamlConnectionConfig = {
      connectionId: 3,
      spEntityId: 'https://seatkeeper.test/sso/saml/3',
      acsUrl: 'https://seatkeeper.test/sso/saml/3/acs',
      idpEntityId: 'https://idp.test/saml',
      idpSsoUrl: 'https://idp.test/saml/sso',
      idpCerts: [],
      responseSigned: true,
      nameIdFormat: null,
      attributeMap: {},
      idpInitiated: false,
    };
    idp = startSamlIdp({ spMetadata: samlServiceProviderMetadata(sp), now: () => clock.now() });
    const { redirectUrl } = await startSamlLogin(sp, 'relay', { clock, requests: { save: () => undefined } });
    const posted = await idp.respond(redirectUrl, {
      nameId: 'zoe-0001',
      attributes: { email: 'zoe@acme.test', groups: ['a', 'b & c'], name: 'Zoë <Admin>' },
    });
    signedXml = Buffer.from(posted.SAMLResponse, 'base64').toString('utf8');
  });
  afterAll(() => idp.close());

  describe('installation', () => {
    test('When the SAML module has loaded, then every speed-up is installed on the exact packages it was written for, and switched on', () => {
      const statuses = installSamlSpeedups();
      assert.deepEqual(
        statuses.map((s) => [s.name, s.installed, s.reason]),
        [
          ['xpath-context', true, null],
          ['xpath-parse', true, null],
          ['xmldom-clone', true, null],
        ],
      );
      assert.match(statuses[0]!.packages.join(' '), /xpath@0\.0\.34 .*xpath@0\.0\.33 /);
      assert.equal(samlSpeedupsEnabled(), true);
    });

    test('When the speed-ups are switched off and on, then the libraries get their own methods back and then ours', () => {
      const methods = (): unknown[] => [
        ...Object.values(xpaths).flatMap((x): unknown[] => [
          x.XPathContext.prototype.extend,
          (x as unknown as { PathExpr: { prototype: { evaluate: unknown } } }).PathExpr.prototype.evaluate,
        ]),
        (fromNodeSaml('@xmldom/xmldom/lib/dom.js') as { Node: { prototype: { cloneNode: unknown } } }).Node
          .prototype.cloneNode,
      ];
      const { off, on } = bothWays(methods);
      for (const [i, fn] of on.entries()) assert.notEqual(fn, off[i], `method ${i} is replaced when on`);
      setSamlSpeedups(false);
      assert.equal(samlSpeedupsEnabled(), false);
      assert.deepEqual(methods(), off);
      setSamlSpeedups(true);
      assert.deepEqual(methods(), on);
    });

    test('When a worker thread loads the SAML module (as each verifier worker does), then the speed-ups are on there too', async () => {
      const saml = new URL('../../../sso/saml.ts', import.meta.url).href;
      const speedups = new URL('../../../sso/saml-speedups.ts', import.meta.url).href;
      const worker = new Worker(
        `import('tsx/esm/api').then(async (tsx) => {
           tsx.register();
           await import(${JSON.stringify(saml)});
           const { samlSpeedupsEnabled, installSamlSpeedups } = await import(${JSON.stringify(speedups)});
           require('node:worker_threads').parentPort.postMessage({
             enabled: samlSpeedupsEnabled(),
             installed: installSamlSpeedups().map((s) => s.installed),
           });
         });`,
        { eval: true },
      );
      const answer = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      assert.deepEqual(answer, { enabled: true, installed: [true, true, true] });
    });

    test('When a package is another version, another source, or a method reads otherwise, then the speed-up is not installed, and the reason says which', () => {
      const x34 = { path: fromNodeSaml.resolve('xpath'), version: '0.0.34' };
      const x33 = { path: fromXmlCrypto.resolve('xpath'), version: '0.0.33' };
      const lib = xpaths['node-saml (xpath 0.0.34)'];
      setSamlSpeedups(false);
      try {
        const own = { 'XPathContext.prototype.extend': lib.XPathContext.prototype.extend };
        assert.equal(pinnedProblem('xpath', x34, own), null);
        assert.match(pinnedProblem('xpath', { ...x34, version: '0.0.35' }, own) ?? '', /not the version/);
        // 0.0.33's file under 0.0.34's version: the same methods, another source.
        assert.match(pinnedProblem('xpath', { ...x33, version: '0.0.34' }, own) ?? '', /not the source/);
        const changed = { 'XPathContext.prototype.extend': function extend() {} };
        assert.match(
          pinnedProblem('xpath', x34, changed) ?? '',
          /XPathContext\.prototype\.extend is not the source/,
        );
        const dom = { path: fromNodeSaml.resolve('@xmldom/xmldom/lib/dom.js'), version: '0.9.0' };
        assert.match(
          pinnedProblem('@xmldom/xmldom', dom, {}) ?? '',
          /not the version it was written for \(0\.8\.15\)/,
        );
      } finally {
        setSamlSpeedups(true);
      }
    });
  });

  describe('xpath: the same answers with and without (both copies)', () => {
    /** Expressions node-saml and xml-crypto run, and others exercising predicates, positions and functions. */
    const expressions = [
      "./*[local-name(.)='Signature' and namespace-uri(.)='http://www.w3.org/2000/09/xmldsig#']",
      "//*[local-name(.)='Signature' and namespace-uri(.)='http://www.w3.org/2000/09/xmldsig#']",
      ".//*[local-name(.)='Transform' and namespace-uri(.)='http://www.w3.org/2000/09/xmldsig#']",
      "//*[@*[local-name(.)='ID']=concat('', /*/@ID)]",
      '//*[@ID]',
      "//*[local-name()='SignedInfo']",
      ".//*[local-name(.)='SignatureValue']/text()",
      ".//*[local-name(.)='CanonicalizationMethod']/@Algorithm",
      "//*[local-name(.)='Assertion']/*[2]",
      "//*[local-name(.)='AttributeValue'][last()]",
      "//*[local-name(.)='AttributeValue'][position() > 1 and position() <= 3]",
      "(//*[local-name(.)='Attribute'])[2]/@Name",
      "//*[local-name(.)='Attribute'][*[local-name(.)='AttributeValue'][2]]/@Name",
      "count(//*[local-name(.)='AttributeValue'])",
      "string(//*[local-name(.)='NameID'])",
      "boolean(//*[local-name(.)='Audience'][contains(., 'seatkeeper')])",
      'ancestor-or-self::node()',
      "//text()[normalize-space(.) != '']",
      "//*[local-name(.)='Reference']/@URI | //*[local-name(.)='Assertion']/@ID",
      "//*[local-name(.)='Assertion']/preceding-sibling::*[1]",
      "//*[local-name(.)='Subject']/following::*[position() < 3]",
      '//comment()',
    ];

    for (const [name, xpath] of Object.entries(xpaths)) {
      test(`When ${name} evaluates the expressions node-saml and xml-crypto use (and others) on a signed response, then every answer is the same`, () => {
        const doc = new dom.DOMParser().parseFromString(signedXml, 'text/xml');
        const assertion = xpath.select("//*[local-name(.)='Assertion']", doc, true);
        const answer = (value: unknown) =>
          Array.isArray(value) ? value.map((n: XNode) => [n.nodeName, serialize(n)]) : value;
        const { off, on } = bothWays(() =>
          expressions.flatMap((e) => [answer(xpath.select(e, doc)), answer(xpath.select(e, assertion))]),
        );
        assert.deepEqual(on, off);
        // The answers are real ones: the expressions do find things in this document.
        assert.ok(Array.isArray(off[0]) && (off[2] as unknown[]).length === 2, 'two signatures found');
      });

      test(`When ${name} selects with namespace prefixes, then the answers are the same`, () => {
        const doc = new dom.DOMParser().parseFromString(signedXml, 'text/xml');
        const select = xpath.useNamespaces({
          samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
          saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
          ds: 'http://www.w3.org/2000/09/xmldsig#',
        });
        const { off, on } = bothWays(() =>
          [
            '/samlp:Response/saml:Assertion/ds:Signature',
            '//saml:Attribute/@Name',
            '//ds:Reference/@URI',
          ].map((e) => (select(e, doc) as XNode[]).map(serialize)),
        );
        assert.deepEqual(on, off);
        assert.equal(off[2]!.length, 2);
      });

      test(`When ${name} extends a context, then the copy has the same prototype, fields and order, with or without resolvers of its own`, () => {
        const full = new xpath.XPathContext();
        Object.assign(full, { contextNode: 1, contextSize: 2 });
        // No resolvers of its own: the constructor's defaults must still be there.
        const bare = Object.assign(Object.create(xpath.XPathContext.prototype) as typeof full, {
          contextNode: 3,
        });
        const describe = (c: Record<string, unknown>) => ({
          prototype: Object.getPrototypeOf(c) === xpath.XPathContext.prototype,
          keys: Object.keys(c),
          values: Object.keys(c).map((k) =>
            typeof c[k] === 'object' && c[k] !== null ? c[k].constructor.name : c[k],
          ),
          shared: Object.keys(c).filter((k) => c[k] === full[k]),
        });
        const { off, on } = bothWays(() => [
          describe(full.extend({ contextPosition: 4 })),
          describe(bare.extend({})),
          describe(full.extend({ variableResolver: new xpath.VariableResolver() })),
        ]);
        assert.deepEqual(on, off);
      });

      test(`When ${name} evaluates a path with a context, then the caller's context is left as it was, with or without a context node`, () => {
        const doc = new dom.DOMParser().parseFromString(signedXml, 'text/xml');
        const { off, on } = bothWays(() =>
          ["//*[local-name(.)='Issuer']", "./*[local-name(.)='Issuer']", 'count(./*)'].flatMap((e) =>
            [true, false].map((withNode) => {
              const path = (
                xpath.parse(e).expression as unknown as { expression: { evaluate(c: object): unknown } }
              ).expression;
              const c = new xpath.XPathContext();
              c.expressionContextNode = doc.documentElement;
              if (withNode) c.contextNode = doc.documentElement;
              let answer: unknown;
              try {
                const value = path.evaluate(c) as { toArray?: () => XNode[]; numberValue?: () => number };
                answer = value.toArray ? value.toArray().map(serialize) : value.numberValue?.();
              } catch (error) {
                answer = (error as Error).message;
              }
              return {
                answer,
                after: Object.keys(c).map((k) => [k, c[k] === doc.documentElement ? 'root' : typeof c[k]]),
              };
            }),
          ),
        );
        assert.deepEqual(on, off);
        assert.equal((off[0]!.answer as string[]).length, 2, 'both Issuers found');
      });

      test(`When ${name} parses an expression, a bad one, and more distinct ones than it keeps, then it answers as before`, () => {
        const doc = new dom.DOMParser().parseFromString(signedXml, 'text/xml');
        const { off, on } = bothWays(() => {
          const trees = expressions.map((e) => xpath.parse(e).expression.toString());
          const errors = ['//*[', '', '/@@', "//*[@ID='x'"].map((e) => {
            try {
              xpath.select(e, doc);
              return 'no error';
            } catch (error) {
              return (error as Error).message;
            }
          });
          // More distinct expressions than are kept, then the first ones again.
          const many = Array.from({ length: 600 }, (_, i) =>
            xpath.select(`count(//*[@ID='_${i}']) + ${i}`, doc),
          );
          const again = Array.from({ length: 5 }, (_, i) =>
            xpath.select(`count(//*[@ID='_${i}']) + ${i}`, doc),
          );
          return { trees, errors, many, again };
        });
        assert.deepEqual(on, off);
        assert.equal(off.many[599], 599);
      });
    }
  });

  describe('xmldom: cloneNode gives the same nodes with and without', () => {
    const kinds =
      '<?xml version="1.0"?><!-- head --><r:root xmlns:r="urn:r" xmlns="urn:d" a="1" r:b="&amp;2">' +
      '<child x="y">text &lt; more<![CDATA[ <raw> ]]><?pi data?><!-- c --></child><empty/>' +
      '<deep><deeper xmlns:q="urn:q" q:z=""><q:leaf>ü</q:leaf></deeper></deep></r:root>';

    test('When a signed response, its assertion, and a document with every kind of node are cloned deep and shallow, then the clones are the same', () => {
      const { off, on } = bothWays(() =>
        [signedXml, kinds].flatMap((xml) => {
          const doc = new dom.DOMParser().parseFromString(xml, 'text/xml');
          const nodes: XNode[] = [doc, doc.documentElement];
          const walk = (n: XNode) => {
            for (const c of Array.from(n.childNodes ?? [])) {
              nodes.push(c);
              walk(c);
            }
            for (const a of Array.from(n.attributes ?? [])) nodes.push(a);
          };
          walk(doc.documentElement);
          return nodes.flatMap((n) =>
            [true, false].map((deep) => {
              const clone = n.cloneNode(deep);
              return {
                xml: serialize(clone),
                shape: shape(clone),
                sameOwner: clone.ownerDocument === (n.nodeType === 9 ? n : n.ownerDocument),
                detached: clone.parentNode === null,
              };
            }),
          );
        }),
      );
      assert.deepEqual(on, off);
      assert.ok(on.length > 100, `${on.length} clones compared`);
    });

    test('When a cloned element is changed, then the original is not, and the clone canonicalises as before', () => {
      const doc = new dom.DOMParser().parseFromString(kinds, 'text/xml');
      const { off, on } = bothWays(() => {
        const clone = doc.documentElement.cloneNode(true) as unknown as Element;
        clone.setAttribute('a', 'changed');
        clone.appendChild(doc.createElement('added'));
        (clone.getElementsByTagName('child')[0]!.attributes[0] as Attr).value = 'z';
        return [serialize(doc), serialize(clone), clone.getAttributeNode('a')?.ownerElement === clone];
      });
      assert.deepEqual(on, off);
      assert.equal(off[0], serialize(new dom.DOMParser().parseFromString(kinds, 'text/xml')));
    });
  });
});
