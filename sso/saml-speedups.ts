// Faster SAML verification with the same results: small replacements for three library methods
// whose bookkeeping, not the cryptography, is most of a verification's time. Each is installed only
// on the exact package version and source text it was written for; on anything else the library's
// own method stays and the status says why (the server logs it at start-up, server/container.ts).
//
// 1. xpath-context: xpath builds a whole XPathContext (`new XPathContext()`, whose FunctionResolver
//    registers the 27 core functions of XPath 1.0 §4) for every path step, predicate list and
//    filter, then overwrites every one of its fields with the caller's (`assign(new XPathContext(),
//    c)` in PathExpr.prototype.evaluate, `XPathContext.prototype.extend`). The replacement extend
//    makes the same object (same prototype, same own fields in the same order) without building
//    what is overwritten. PathExpr's copy is only ever written one field (contextNode, by
//    PathExpr.applyStep), so the replacement evaluate lends the caller's context and puts that
//    field back. Either falls back to the original for a context without resolvers of its own.
// 2. xpath-parse: every `xpath.select` builds a new XPathParser (50 reduce closures, the same for
//    every parser) and parses the expression again. The replacements share one reduce table and
//    reuse the parsed tree of an expression seen before (bounded; a parsed tree is never changed by
//    evaluation: every evaluate writes only to its context argument).
// 3. xmldom-clone: @xmldom/xmldom 0.8's Node.prototype.cloneNode copies a node's scalar own fields
//    with `for…in` plus hasOwnProperty, walking every enumerable property of the DOM prototypes for
//    each node, and xml-crypto deep-clones the signed element for every canonicalisation. The
//    replacement reads the same own enumerable fields with Object.keys (ECMA-262 §14.7.5.9 and
//    §20.1.2.18: the same names, in the same order) and builds the clone exactly as 0.8.15 does.
//
// The switch (setSamlSpeedups) restores the originals in this thread, for the differential corpus
// (test/integration/sso/saml-speedups-corpus.test.ts) and the round-robin benchmark (bench/sso.ts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';

/** One speed-up and whether it is in place in this thread. */
export interface SamlSpeedupStatus {
  readonly name: 'xpath-context' | 'xpath-parse' | 'xmldom-clone';
  /** The package copies it replaces methods of, as "name@version (path)". */
  readonly packages: readonly string[];
  /** Installed (its replacements exist); whether they are switched on is `enabled`. */
  readonly installed: boolean;
  /** Why it is not installed; null when it is. */
  readonly reason: string | null;
}

/** What a replacement was written for: the package version, its file and the method's own text. */
interface Pinned {
  readonly version: string;
  /** SHA-256 of the module file holding the method and the internals it relies on. */
  readonly fileSha256: string;
  /** SHA-256 of Function.prototype.toString() of each replaced method, by name. */
  readonly methods: Readonly<Record<string, string>>;
}

// xpath 0.0.34 (node-saml's copy) and 0.0.33 (xml-crypto's): the replaced methods are the same text.
const XPATH_METHODS = {
  'XPathContext.prototype.extend': '2c4eada602008caf8332db79ca0168c75cfdd4813687e40b49aebd8b0990d9be',
  'PathExpr.prototype.evaluate': '86c1a62b9d801a9eab4d85eb78263a998489807299ee0fc369949e5b889b68ee',
  'XPathParser.prototype.init': '416963f400e91e985c352b094787aaf9adc204c3000bb7b5abfaf76da82833e8',
} as const;
const XPATH: readonly Pinned[] = [
  {
    version: '0.0.34',
    fileSha256: '1822b9fea8651856c2dd5c313def737964cc68a362b0eb6dd153b04834692af9',
    methods: {
      ...XPATH_METHODS,
      'XPathParser.prototype.parse': '61716ffe9c2a2068b323e84f91017d58886b578f2bca0c3ccaf0788404c7f274',
    },
  },
  {
    version: '0.0.33',
    fileSha256: '2c775b81468bfe21be519d51783a7b8ee3c8287c4497c8c75f711fde24b8287c',
    methods: {
      ...XPATH_METHODS,
      'XPathParser.prototype.parse': '8640ccc408129601027a1bf7e450567d7ef007ef511e74368dd4d1bc47b906b1',
    },
  },
];
const XMLDOM: readonly Pinned[] = [
  {
    version: '0.8.15',
    fileSha256: 'eae57ba1588b8c025a71cdbb31edd0a87a4d14c1cb00e19155b2cdba44f7548b',
    methods: {
      'Node.prototype.cloneNode': 'caf6d9616c47ef2bb895608990ed243079b31b4f42678e880338e3868673c7e3',
    },
  },
];

/** Parsed expressions kept per xpath copy; node-saml and xml-crypto use a dozen fixed ones plus one per signed ID. */
const PARSED_MAX = 512;

// ---------------------------------------------------------------------------------------------
// Loading the copies node-saml and xml-crypto actually use

/** A library method, called with whatever `this` and arguments the library gives it. */
type Method = (this: unknown, ...args: unknown[]) => unknown;

interface Module {
  readonly path: string;
  readonly version: string;
  readonly exports: unknown;
}

function load(requireFrom: NodeJS.Require, request: string, packageName: string): Module {
  const path = requireFrom.resolve(request);
  const marker = `${sep}node_modules${sep}${packageName.split('/').join(sep)}${sep}`;
  const root = path.slice(0, path.lastIndexOf(marker) + marker.length - 1);
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { path, version, exports: requireFrom(request) as unknown };
}

function modules(): { xpaths: Module[]; xmldom: Module } {
  const fromHere = createRequire(import.meta.url);
  const fromPassport = createRequire(fromHere.resolve('@node-saml/passport-saml'));
  const fromNodeSaml = createRequire(fromPassport.resolve('@node-saml/node-saml'));
  const fromXmlCrypto = createRequire(fromNodeSaml.resolve('xml-crypto'));
  const xpaths = [load(fromNodeSaml, 'xpath', 'xpath'), load(fromXmlCrypto, 'xpath', 'xpath')];
  const xmldom = load(fromNodeSaml, '@xmldom/xmldom/lib/dom.js', '@xmldom/xmldom');
  if (fromXmlCrypto.resolve('@xmldom/xmldom/lib/dom.js') !== xmldom.path)
    throw new Error('xml-crypto and node-saml use different copies of @xmldom/xmldom');
  return { xpaths: xpaths.filter((m, i) => xpaths.findIndex((n) => n.path === m.path) === i), xmldom };
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** Null when `module` is what `pins` were written for, else the reason it is not. */
function mismatch(
  module: Module,
  pins: readonly Pinned[],
  methods: Readonly<Record<string, unknown>>,
): string | null {
  const label = `${module.path} ${module.version}`;
  const pin = pins.find((p) => p.version === module.version);
  if (!pin)
    return `${label} is not the version it was written for (${pins.map((p) => p.version).join(', ')})`;
  if (sha256(readFileSync(module.path)) !== pin.fileSha256)
    return `${label} is not the source it was written for`;
  for (const [name, fn] of Object.entries(methods)) {
    if (typeof fn !== 'function' || sha256(Function.prototype.toString.call(fn)) !== pin.methods[name])
      return `${label}: ${name} is not the source it was written for`;
  }
  return null;
}

/**
 * Why a speed-up written for `library` would not be installed on `module` (its resolved file and
 * package version) with these methods, or null when it would: the check installSamlSpeedups makes.
 */
export function pinnedProblem(
  library: 'xpath' | '@xmldom/xmldom',
  module: { readonly path: string; readonly version: string },
  methods: Readonly<Record<string, unknown>>,
): string | null {
  return mismatch({ ...module, exports: null }, library === 'xpath' ? XPATH : XMLDOM, methods);
}

// ---------------------------------------------------------------------------------------------
// The replacements, over the few internals each one uses

interface Swap {
  readonly target: Record<string, unknown>;
  readonly key: string;
  readonly original: unknown;
  readonly replacement: Method;
}

type Fields = Record<string, unknown>;

interface XPathModule {
  readonly XPathContext: { prototype: Fields & { extend: Method } };
  readonly PathExpr: {
    prototype: Fields & { evaluate: Method };
    applyLocationPath(locationPath: unknown, xpc: unknown, nodes: unknown): unknown;
  };
  readonly XNodeSet: new () => { addArray(nodes: unknown): void };
  readonly XPathParser: { prototype: Fields & { init: Method; parse: Method } };
}

/** What PathExpr.prototype.evaluate reads from its `this`. */
interface PathExpr {
  applyFilter(c: unknown, xpc: unknown): { nonNodes?: unknown; nodes?: unknown };
  readonly locationPath: unknown;
}

function xpathContextSwaps(xpath: XPathModule): Swap[] {
  const { XPathContext, PathExpr, XNodeSet } = xpath;
  const originalExtend = XPathContext.prototype.extend;
  const originalEvaluate = PathExpr.prototype.evaluate;
  const isOwn = (o: object, key: string) => Object.prototype.propertyIsEnumerable.call(o, key);
  // A constructor that runs nothing, over XPathContext's prototype: its objects are XPathContexts
  // (instanceof, every method) and share one hidden class, unlike Object.create's.
  const Blank = function () {} as unknown as (new () => Fields) & { prototype: object };
  Blank.prototype = XPathContext.prototype;
  /** Whether `source` brings all three resolvers, so the constructor's defaults would be overwritten. */
  function bringsResolvers(source: unknown): source is Fields {
    return (
      typeof source === 'object' &&
      source !== null &&
      isOwn(source, 'variableResolver') &&
      isOwn(source, 'namespaceResolver') &&
      isOwn(source, 'functionResolver')
    );
  }
  /**
   * `assign(new XPathContext(), source, extra)` for a `source` that brings the resolvers: an object
   * of the same prototype (so instanceof and every method are the same) with the resolver fields
   * first (the constructor's order), then the own enumerable string keys of each source in order,
   * as xpath's assign() copies them (for…in with hasOwnProperty).
   */
  function copyContext(source: Fields, extra: unknown): Fields {
    const context = new Blank();
    context.variableResolver = source.variableResolver;
    context.namespaceResolver = source.namespaceResolver;
    context.functionResolver = source.functionResolver;
    const keys = Object.keys(source);
    for (let i = 0; i < keys.length; i++) context[keys[i]!] = source[keys[i]!];
    if (extra !== null && extra !== undefined) {
      const more = Object.keys(extra);
      for (let i = 0; i < more.length; i++) context[more[i]!] = (extra as Fields)[more[i]!];
    }
    return context;
  }
  const extend: Method = function (this: unknown, newProps: unknown) {
    return bringsResolvers(this) ? copyContext(this, newProps) : originalExtend.call(this, newProps);
  };
  const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);
  const evaluate: Method = function (this: unknown, c: unknown) {
    if (!bringsResolvers(c) || Object.getPrototypeOf(c) !== XPathContext.prototype)
      return originalEvaluate.call(this, c);
    const expr = this as PathExpr;
    const filtered = expr.applyFilter(c, c);
    if ('nonNodes' in filtered) return filtered.nonNodes;
    // The copy of `c` only ever had its contextNode written (PathExpr.applyStep); `c` lends itself
    // instead and gets its contextNode back, so the caller sees it as before.
    const had = hasOwn(c, 'contextNode');
    const contextNode = c.contextNode;
    try {
      const nodes = new XNodeSet();
      nodes.addArray(PathExpr.applyLocationPath(expr.locationPath, c, filtered.nodes));
      return nodes;
    } finally {
      if (had) c.contextNode = contextNode;
      else delete c.contextNode;
    }
  };
  return [
    { target: XPathContext.prototype, key: 'extend', original: originalExtend, replacement: extend },
    { target: PathExpr.prototype, key: 'evaluate', original: originalEvaluate, replacement: evaluate },
  ];
}

function xpathParseSwaps(xpath: XPathModule): Swap[] {
  const { XPathParser } = xpath;
  const originalInit = XPathParser.prototype.init;
  const originalParse = XPathParser.prototype.parse;
  // The reduce actions only build new expression nodes from their arguments; one table serves all.
  const table: { reduceActions?: unknown } = {};
  originalInit.call(table);
  const init: Method = function (this: unknown) {
    (this as { reduceActions?: unknown }).reduceActions = table.reduceActions;
  };
  const parsed = new Map<string, unknown>();
  const parse: Method = function (this: unknown, expression: unknown) {
    if (typeof expression !== 'string') return originalParse.call(this, expression);
    const known = parsed.get(expression);
    if (known !== undefined) return known;
    const tree = originalParse.call(this, expression);
    if (tree !== undefined) {
      if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
      parsed.set(expression, tree);
    }
    return tree;
  };
  return [
    { target: XPathParser.prototype, key: 'init', original: originalInit, replacement: init },
    { target: XPathParser.prototype, key: 'parse', original: originalParse, replacement: parse },
  ];
}

/** The DOM node fields cloneNode reads and writes (@xmldom/xmldom 0.8.15). */
interface DomNode extends Fields {
  readonly constructor: new () => DomNode;
  nodeType: number;
  childNodes?: unknown;
  ownerDocument?: unknown;
  attributes: { length: number; item(i: number): DomNode; _ownerElement?: DomNode };
  setAttributeNode(attribute: unknown): unknown;
  appendChild(child: DomNode): unknown;
}

interface DomModule {
  readonly Node: { prototype: Fields & { cloneNode: Method } };
  readonly NodeList: new () => unknown;
  readonly DOMImplementation: new () => {
    createDocument(ns: null, name: string, doctype: null): { documentElement: { attributes: object } };
  };
  walkDOM(
    node: unknown,
    context: null,
    callbacks: { enter(node: DomNode, parent: DomNode | null): DomNode | null },
  ): unknown;
}

function xmldomCloneSwaps(dom: DomModule): Swap[] {
  const { Node, NodeList, DOMImplementation } = dom;
  const walkDOM = dom.walkDOM.bind(dom);
  const ELEMENT_NODE = 1;
  const ATTRIBUTE_NODE = 2;
  // NamedNodeMap is not exported (and its prototype names no constructor): a new one is its
  // prototype with the empty name index its constructor sets (0.8.15, pinned by the file's hash).
  const namedNodeMapPrototype = Object.getPrototypeOf(
    new DOMImplementation().createDocument(null, 'x', null).documentElement.attributes,
  ) as object;
  const newNamedNodeMap = (): DomNode['attributes'] => {
    const map = Object.create(namedNodeMapPrototype) as DomNode['attributes'] & Fields;
    map._nameIndex = Object.create(null);
    return map;
  };

  function cloneTree(doc: unknown, node: unknown, deep: boolean): DomNode | undefined {
    let root: DomNode | undefined;
    walkDOM(node, null, {
      enter(source, parent) {
        const copy = new source.constructor();
        for (const key of Object.keys(source)) {
          const value = source[key];
          // Scalars only, and only where they differ from the new node's (as 0.8.15 does, loosely).
          // eslint-disable-next-line eqeqeq
          if (typeof value !== 'object' && value != copy[key]) copy[key] = value;
        }
        if (source.childNodes) copy.childNodes = new NodeList();
        copy.ownerDocument = doc;
        let descend = deep;
        if (copy.nodeType === ELEMENT_NODE) {
          const attributes = source.attributes;
          const map = newNamedNodeMap();
          copy.attributes = map;
          map._ownerElement = copy;
          for (let i = 0; i < attributes.length; i++)
            copy.setAttributeNode(cloneTree(doc, attributes.item(i), true));
        } else if (copy.nodeType === ATTRIBUTE_NODE) {
          // An attribute's value lives in its children, which are always copied.
          descend = true;
        }
        if (parent !== null) parent.appendChild(copy);
        else root = copy;
        return descend ? copy : null;
      },
    });
    return root;
  }
  const cloneNode: Method = function (this: unknown, deep: unknown) {
    const node = this as DomNode;
    return cloneTree(node.ownerDocument || node, node, deep as boolean);
  };
  return [
    { target: Node.prototype, key: 'cloneNode', original: Node.prototype.cloneNode, replacement: cloneNode },
  ];
}

// ---------------------------------------------------------------------------------------------
// Installing and switching

interface Installed {
  readonly statuses: readonly SamlSpeedupStatus[];
  readonly swaps: readonly Swap[];
}

let installed: Installed | undefined;
let enabled = false;

/**
 * Installs every speed-up that matches the installed packages (once per thread; later calls return
 * the same statuses) and switches them on. Called when sso/saml.ts loads, so wherever SAML is
 * verified (the main thread, each verifier worker) the speed-ups are in place.
 */
export function installSamlSpeedups(): readonly SamlSpeedupStatus[] {
  if (!installed) {
    installed = build();
    switchTo(installed, true);
  }
  return installed.statuses;
}

const NAMES = ['xpath-context', 'xpath-parse', 'xmldom-clone'] as const;

function build(): Installed {
  let found: ReturnType<typeof modules>;
  try {
    found = modules();
  } catch (error) {
    const reason = `the SAML libraries are not where they were expected: ${(error as Error).message}`;
    return { statuses: NAMES.map((name) => ({ name, packages: [], installed: false, reason })), swaps: [] };
  }
  const statuses: SamlSpeedupStatus[] = [];
  const swaps: Swap[] = [];
  const add = <T>(
    name: SamlSpeedupStatus['name'],
    packageName: string,
    targets: readonly Module[],
    pins: readonly Pinned[],
    methods: (exports: T) => Record<string, unknown>,
    make: (exports: T) => Swap[],
  ) => {
    const packages = targets.map((m) => `${packageName}@${m.version} (${m.path})`);
    let reason =
      targets.map((m) => mismatch(m, pins, methods(m.exports as T))).find((r) => r !== null) ?? null;
    const made: Swap[] = [];
    if (reason === null) {
      try {
        for (const m of targets) made.push(...make(m.exports as T));
      } catch (error) {
        reason = `could not be prepared: ${(error as Error).message}`;
      }
    }
    if (reason === null) swaps.push(...made);
    statuses.push({ name, packages, installed: reason === null, reason });
  };
  const fields = (value: unknown, path: readonly string[]): unknown =>
    path.reduce<unknown>(
      (at, key) =>
        (typeof at === 'object' || typeof at === 'function') && at !== null ? (at as Fields)[key] : undefined,
      value,
    );
  add<XPathModule>(
    'xpath-context',
    'xpath',
    found.xpaths,
    XPATH,
    (x) => ({
      'XPathContext.prototype.extend': fields(x, ['XPathContext', 'prototype', 'extend']),
      'PathExpr.prototype.evaluate': fields(x, ['PathExpr', 'prototype', 'evaluate']),
    }),
    xpathContextSwaps,
  );
  add<XPathModule>(
    'xpath-parse',
    'xpath',
    found.xpaths,
    XPATH,
    (x) => ({
      'XPathParser.prototype.init': fields(x, ['XPathParser', 'prototype', 'init']),
      'XPathParser.prototype.parse': fields(x, ['XPathParser', 'prototype', 'parse']),
    }),
    xpathParseSwaps,
  );
  add<DomModule>(
    'xmldom-clone',
    '@xmldom/xmldom',
    [found.xmldom],
    XMLDOM,
    (d) => ({ 'Node.prototype.cloneNode': fields(d, ['Node', 'prototype', 'cloneNode']) }),
    xmldomCloneSwaps,
  );
  return { statuses, swaps };
}

function switchTo(current: Installed, on: boolean): void {
  for (const swap of current.swaps) swap.target[swap.key] = on ? swap.replacement : swap.original;
  enabled = on;
}

/**
 * Switches the installed speed-ups on or off in this thread (off: the libraries' own methods, as if
 * never installed). Only between verifications: one in flight would see both.
 */
export function setSamlSpeedups(on: boolean): void {
  installSamlSpeedups();
  switchTo(installed!, on);
}

/** Whether speed-ups are installed and switched on in this thread. */
export function samlSpeedupsEnabled(): boolean {
  return enabled && (installed?.swaps.length ?? 0) > 0;
}
