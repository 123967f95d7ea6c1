// @ts-check
// The console's languages: the message catalogues (locales/<language>.json, ICU MessageFormat),
// `t(key, params)` to say a message in the language in use, and which language that is. The
// server decides it for a signed-in member (GET /session `locale`: their preference, else the
// browser's Accept-Language, else the organisation's default); before sign-in the browser's own
// languages choose. English is the fallback for a message a catalogue lacks.
/* global document, fetch, navigator */
import { IntlMessageFormat } from './vendor/intl-messageformat.js';

/** The languages the console speaks, English first (the source language and the fallback). */
export const LOCALES = /** @type {const} */ (['en', 'de', 'it', 'es', 'pt']);
/** @typedef {(typeof LOCALES)[number]} Locale */

/** Each language's name in itself, for a language picker. */
export const LANGUAGE_NAMES = /** @type {Record<Locale, string>} */ ({
  en: 'English',
  de: 'Deutsch',
  it: 'Italiano',
  es: 'Español',
  pt: 'Português',
});

/** @type {Locale} */
let current = 'en';
/** @type {Partial<Record<Locale, Record<string, string>>>} */
const catalogues = {};
/** @type {Map<string, IntlMessageFormat>} */
const compiled = new Map();

/** True for a language the console speaks. */
export function isLocale(/** @type {unknown} */ value) {
  return typeof value === 'string' && /** @type {readonly string[]} */ (LOCALES).includes(value);
}

/**
 * The first of `wanted` (BCP 47 tags, most wanted first) the console speaks, by primary language:
 * "de-CH" → "de"; 'en' when none is.
 * @param {readonly string[]} wanted
 * @returns {Locale}
 */
export function pickLocale(wanted) {
  for (const tag of wanted) {
    const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
    if (isLocale(primary)) return /** @type {Locale} */ (primary);
  }
  return 'en';
}

/** The language the browser asks for, as the console speaks it. */
export function browserLocale() {
  return pickLocale(navigator.languages?.length ? navigator.languages : [navigator.language ?? 'en']);
}

/** The language in use. */
export function locale() {
  return current;
}

async function load(/** @type {Locale} */ lang) {
  if (catalogues[lang]) return;
  const res = await fetch(`/console/assets/locales/${lang}.json`, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`The ${lang} messages could not be loaded (${res.status}).`);
  catalogues[lang] = /** @type {Record<string, string>} */ (await res.json());
}

/**
 * Speaks `lang` from now on (after loading its catalogue and English, the fallback); an unknown
 * language is English. Sets the document's lang attribute, so screen readers and hyphenation follow.
 * @param {string | null | undefined} lang
 */
export async function useLocale(lang) {
  const next = isLocale(lang) ? /** @type {Locale} */ (lang) : 'en';
  await load('en');
  if (next !== 'en') {
    try {
      await load(next);
    } catch {
      // Shown in English rather than not at all.
    }
  }
  if (next !== current) compiled.clear();
  current = catalogues[next] ? next : 'en';
  document.documentElement.lang = current;
}

/**
 * A message in the language in use, its ICU placeholders filled from `params`:
 * t('members.count', { count: 3 }) → "3 members". A key no catalogue has is shown as itself.
 * @param {string} key
 * @param {Record<string, string | number | Date | null | undefined>} [params]
 * @returns {string}
 */
export function t(key, params = {}) {
  const own = catalogues[current]?.[key];
  const lang = own === undefined ? 'en' : current;
  const source = own ?? catalogues.en?.[key];
  if (source === undefined) return key;
  const id = `${lang}\u0000${key}`;
  let format = compiled.get(id);
  if (!format) {
    format = new IntlMessageFormat(source, lang);
    compiled.set(id, format);
  }
  /** @type {Record<string, string | number | Date>} */
  const values = {};
  for (const [name, value] of Object.entries(params)) values[name] = value ?? '';
  return String(format.format(values));
}
