// Every message catalogue speaks every message English has, each a valid ICU MessageFormat
// message with the same placeholders as the English one, so no language shows a raw key, a
// placeholder the code never fills, or leaves out one it does.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { IntlMessageFormat } from 'intl-messageformat';

const LANGUAGES = ['en', 'de', 'it', 'es', 'pt'];

/** The catalogues: the console's (served to the browser) and the server's (mail, SSO pages). */
const CATALOGUES = [
  { name: 'console', dir: fileURLToPath(new URL('../../../console/public/locales/', import.meta.url)) },
  { name: 'server', dir: fileURLToPath(new URL('../../../i18n/locales/', import.meta.url)) },
];

type Catalogue = Record<string, string>;

function read(dir: string, lang: string): Catalogue {
  const parsed: unknown = JSON.parse(readFileSync(`${dir}${lang}.json`, 'utf8'));
  assert.ok(parsed && typeof parsed === 'object' && !Array.isArray(parsed), `${lang}.json is an object`);
  for (const [key, value] of Object.entries(parsed)) {
    assert.equal(typeof value, 'string', `${lang}.json ${key} is a string`);
  }
  return parsed as Catalogue;
}

interface Element {
  type: number;
  value?: unknown;
  options?: Record<string, { value: Element[] }>;
  children?: Element[];
}

/**
 * The placeholders of a message ("name:type"), found through plural, select and tag branches;
 * a plural or select also names its categories' "other" as required.
 */
function placeholders(message: string, lang: string): Set<string> {
  const found = new Set<string>();
  const walk = (elements: Element[]): void => {
    for (const el of elements) {
      // 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural, 8 tag (intl-messageformat TYPE).
      if (el.type >= 1 && el.type <= 6)
        found.add(`${String(el.value)}:${el.type === 1 ? 'argument' : el.type}`);
      if (el.type === 8) found.add(`<${String(el.value)}>`);
      if (el.options) {
        if ((el.type === 5 || el.type === 6) && !el.options.other) {
          throw new Error(`{${String(el.value)}} has no "other" branch`);
        }
        for (const option of Object.values(el.options)) walk(option.value);
      }
      if (el.children) walk(el.children);
    }
  };
  walk(new IntlMessageFormat(message, lang).getAst());
  return found;
}

describe('Message catalogues', () => {
  test('the placeholder check itself sees a missing placeholder and a broken message', () => {
    assert.deepEqual(
      [...placeholders('{count, plural, one {# seat for {name}} other {# seats}}', 'en')].sort(),
      ['count:6', 'name:argument'],
    );
    assert.throws(() => placeholders('{count, plural, one {# seat}', 'en'));
    assert.throws(() => placeholders('{count, plural, one {# seat}}', 'en'), /other/i);
  });

  for (const { name, dir } of CATALOGUES) {
    describe(`the ${name} catalogues`, () => {
      const english = read(dir, 'en');

      test('there is one per language, and no other', () => {
        const files = readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .map((f) => f.replace(/\.json$/, ''))
          .sort();
        assert.deepEqual(files, [...LANGUAGES].sort());
      });

      for (const lang of LANGUAGES) {
        test(`${lang}: every English key, no other, each parsed with English's placeholders`, () => {
          const messages = read(dir, lang);
          const missing = Object.keys(english).filter((k) => !(k in messages));
          const extra = Object.keys(messages).filter((k) => !(k in english));
          assert.deepEqual(missing, [], `${lang}.json lacks these keys`);
          assert.deepEqual(extra, [], `${lang}.json has keys English does not`);
          const problems: string[] = [];
          for (const [key, source] of Object.entries(english)) {
            const message = messages[key] ?? '';
            try {
              const want = [...placeholders(source, 'en')].sort();
              const got = [...placeholders(message, lang)].sort();
              if (want.join() !== got.join()) {
                problems.push(`${key}: placeholders ${got.join(' ')} but English has ${want.join(' ')}`);
              }
              if (message.trim() === '' && source.trim() !== '') problems.push(`${key}: empty`);
            } catch (error) {
              problems.push(`${key}: ${error instanceof Error ? error.message : String(error)}`);
            }
          }
          assert.deepEqual(problems, []);
        });
      }
    });
  }
});
