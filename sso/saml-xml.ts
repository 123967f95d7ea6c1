// The small part of XML that SAML needs here, namespace-aware over xmldom: the namespaces, a parser
// that refuses what is not well-formed, and element lookups. Shared by response verification
// (saml.ts) and metadata import (saml-metadata.ts).
import { DOMParser } from '@xmldom/xmldom';

/** The SAML 2.0 and XML Signature namespaces. */
export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

/** The document, or null when the text is not well-formed XML (every parser error counts). */
export function tryParseXml(xml: string): Document | null {
  let failed = false;
  const doc = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: () => {
        failed = true;
      },
      fatalError: () => {
        failed = true;
      },
    },
  }).parseFromString(xml, 'text/xml');
  return failed || !doc?.documentElement ? null : doc;
}

export function parseXml(xml: string, onError: () => Error): Document {
  const doc = tryParseXml(xml);
  if (!doc) throw onError();
  return doc;
}

export function elements(scope: Document | Element, ns: string, localName: string): Element[] {
  return Array.from(scope.getElementsByTagNameNS(ns, localName));
}

export function children(parent: Element | null, ns: string, localName: string): Element[] {
  if (!parent) return [];
  return Array.from(parent.childNodes).filter(
    (node): node is Element =>
      node.nodeType === 1 &&
      (node as Element).namespaceURI === ns &&
      (node as Element).localName === localName,
  );
}

export function child(parent: Element | null, ns: string, localName: string): Element | null {
  return children(parent, ns, localName)[0] ?? null;
}

export function textOf(el: Element | null): string {
  return (el?.textContent ?? '').trim();
}

export function nonEmpty(value: string | null): string | null {
  return value === null || value.trim() === '' ? null : value;
}
