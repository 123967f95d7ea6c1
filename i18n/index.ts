// The server's languages: which one a reader gets (their own choice, the browser's Accept-Language,
// the organisation's default), the catalogues of the words the server itself writes (mail, SSO
// pages; i18n/locales/*.json, ICU MessageFormat), and dates, money and numbers through Intl.
// The console has catalogues of its own (console/public/locales), said in the browser.
import { IntlMessageFormat } from 'intl-messageformat';
import de from './locales/de.json' with { type: 'json' };
import en from './locales/en.json' with { type: 'json' };
import es from './locales/es.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };
import pt from './locales/pt.json' with { type: 'json' };

/** The languages the product speaks, English first (the source language and the fallback). */
export const LANGUAGES = ['en', 'de', 'it', 'es', 'pt'] as const;
export type Language = (typeof LANGUAGES)[number];

export type MessageKey = keyof typeof en;
export type MessageParams = Readonly<Record<string, string | number>>;

const CATALOGUES: Readonly<Record<Language, Readonly<Record<string, string>>>> = { en, de, it, es, pt };

/**
 * The Intl locale dates and numbers are written in for each language: British English (day
 * before month, 24-hour clock, as the product's mails always were), Brazilian Portuguese (the
 * product's Portuguese).
 */
const INTL_LOCALE: Readonly<Record<Language, string>> = {
  en: 'en-GB',
  de: 'de-DE',
  it: 'it-IT',
  es: 'es-ES',
  pt: 'pt-BR',
};

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * The languages an Accept-Language header asks for, most wanted first, as the product speaks
 * them (RFC 9110 §12.5.4): ranges are ordered by q-value (ties keep their order), matched by primary
 * language ("de-CH" is German), a range with q=0 is "not acceptable", and "*" names none.
 */
export function acceptedLanguages(header: string | undefined): Language[] {
  if (!header) return [];
  const ranges: { tag: string; q: number; at: number }[] = [];
  header.split(',').forEach((part, at) => {
    const [range = '', ...params] = part.split(';').map((s) => s.trim());
    if (!/^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/.test(range)) return;
    let q = 1;
    for (const param of params) {
      const m = /^q\s*=\s*(0(\.\d{0,3})?|1(\.0{0,3})?)$/i.exec(param);
      if (m) q = Number(m[1]);
      else if (/^q\s*=/i.test(param)) q = -1; // a malformed weight: ignore the range
    }
    if (q > 0) ranges.push({ tag: range.toLowerCase(), q, at });
  });
  ranges.sort((a, b) => b.q - a.q || a.at - b.at);
  const refused = new Set(
    header
      .split(',')
      .map((p) => p.split(';').map((s) => s.trim()))
      .filter(([, ...params]) => params.some((p) => /^q\s*=\s*0(\.0{0,3})?$/i.test(p)))
      .map(([range = '']) => range.toLowerCase()),
  );
  const out: Language[] = [];
  for (const { tag } of ranges) {
    const primary = tag.split('-')[0];
    if (isLanguage(primary) && !out.includes(primary) && !refused.has(primary)) out.push(primary);
  }
  return out;
}

/**
 * The language to speak to a reader: their own choice, else the first language their browser
 * asks for that the product speaks, else the organisation's default (docs/console.md, "Languages").
 */
export function chooseLanguage(input: {
  readonly own?: Language | null | undefined;
  readonly acceptLanguage?: string | undefined;
  readonly fallback?: Language | undefined;
}): Language {
  return input.own ?? acceptedLanguages(input.acceptLanguage)[0] ?? input.fallback ?? 'en';
}

const compiled = new Map<string, IntlMessageFormat>();

/** A message of the server's catalogue in `language`, its placeholders filled from `params`. */
export function t(language: Language, key: MessageKey, params: MessageParams = {}): string {
  const source = CATALOGUES[language][key] ?? en[key];
  const id = `${language}\u0000${key}`;
  let format = compiled.get(id);
  if (!format) {
    format = new IntlMessageFormat(source, INTL_LOCALE[language]);
    compiled.set(id, format);
  }
  return String(format.format(params));
}

/**
 * A message whose key is made at run time (an error code's), or `fallback` when the catalogue has
 * no such message (a code newer than its translations).
 */
export function tOr(language: Language, key: string, fallback: string, params: MessageParams = {}): string {
  return key in en ? t(language, key as MessageKey, params) : fallback;
}

/**
 * A message with HTML tags (`<strong>{email}</strong>`) as HTML: its text and every parameter
 * escaped, each tag written by `tags` (which gets the escaped inside).
 */
export function tHtml(
  language: Language,
  key: MessageKey,
  params: MessageParams,
  tags: Readonly<Record<string, (inside: string) => string>>,
): string {
  const source = CATALOGUES[language][key] ?? en[key];
  const escaped: Record<string, string | number | ((chunks: string[]) => string)> = {};
  for (const [name, value] of Object.entries(params)) {
    escaped[name] = typeof value === 'string' ? escapeHtml(value) : value;
  }
  for (const [name, wrap] of Object.entries(tags)) escaped[name] = (chunks) => wrap(chunks.join(''));
  // The literal text is escaped too: the message's own characters are text, never markup.
  const format = new IntlMessageFormat(escapeLiterals(source), INTL_LOCALE[language]);
  const out = format.format<string>(escaped);
  return Array.isArray(out) ? out.join('') : String(out);
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** `&`, `"` and `'` in a message's text as entities (its tags' `<` and `>` stay markup). */
function escapeLiterals(message: string): string {
  return message.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
}

/** The Intl locale a language writes dates and numbers in. */
export function intlLocale(language: Language): string {
  return INTL_LOCALE[language];
}

/**
 * An instant as people read it, unambiguously, in `timeZone` with the zone named:
 * "22 January 2026 at 10:00 CET", "22. Januar 2026 um 10:00 MEZ".
 */
export function formatInstant(iso: string, language: Language = 'en', timeZone = 'UTC'): string {
  const at = new Date(iso);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(iso) || Number.isNaN(at.getTime())) {
    throw new RangeError(`"${iso}" is not an ISO 8601 instant`);
  }
  return new Intl.DateTimeFormat(INTL_LOCALE[language], {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
    timeZoneName: 'short',
  }).format(at);
}

/** A whole number with the language's grouping. */
export function formatNumber(n: number, language: Language): string {
  return new Intl.NumberFormat(INTL_LOCALE[language]).format(n);
}

/** An amount in minor units as money in `currency` (ISO 4217): 250000 EUR → "€2,500.00", "2.500,00 €". */
export function formatMoney(minor: number, currency: string, language: Language): string {
  const format = new Intl.NumberFormat(INTL_LOCALE[language], { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}
