// The audit log's events in words: the server's English (provisioning/audit-events.ts) and the
// console's catalogues (console/public/locales/*.json) name the same events alike.
import assert from '../../helpers/assert.js';
import { readFileSync } from 'node:fs';
import { describe, test } from '@jest/globals';
import { AUDIT_EVENTS, eventText } from '../../../provisioning/audit-events.js';

const LANGUAGES = ['en', 'de', 'it', 'es', 'pt'] as const;

function catalogue(lang: string): Record<string, string> {
  const url = new URL(`../../../console/public/locales/${lang}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, string>;
}

describe('audit event words', () => {
  test('When an event is known, then its words come from the table; an unknown one is made readable from its name', () => {
    assert.equal(eventText('seat.claimed'), 'Seat claimed');
    assert.equal(eventText('seat.tier_changed'), 'Tier changed');
    assert.equal(eventText('member_import.applied'), 'Member import applied');
  });

  test('When the console shows an event in any language, then it has words for every event the server names, the English the same', () => {
    for (const lang of LANGUAGES) {
      const messages = catalogue(lang);
      for (const [action, english] of Object.entries(AUDIT_EVENTS)) {
        const said = messages[`audit.event.${action}`];
        assert.ok(said !== undefined && said.trim() !== '', `${lang}: words for ${action}`);
        if (lang === 'en') assert.equal(said, english, action);
        else if (!/^(SCIM|API|SSO|SAML)/.test(english))
          assert.notEqual(said, english, `${lang}: ${action} translated`);
      }
    }
  });
});
