// escapeHtml (i18n/index.ts): the one escape for the HTML the server writes (mail parts, SSO pages,
// translated HTML), so a name typed by a person or sent by a directory is shown as text, never markup.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { escapeHtml } from '../../../i18n/index.js';
import { invitationMail } from '../../../mail/messages.js';

describe('Escaping text for HTML', () => {
  test('When text holds markup characters, then each becomes its entity, ampersands first', () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;',
    );
    assert.equal(escapeHtml('&amp;'), '&amp;amp;');
  });

  test('When text holds no markup characters, then it is unchanged', () => {
    assert.equal(escapeHtml('Zoë Müller, ACME GmbH'), 'Zoë Müller, ACME GmbH');
  });

  test('When a mail names an organisation with markup in its name, then its HTML part shows the name as text', () => {
    const mail = invitationMail({
      organisationName: '<b>Acme</b>',
      inviterName: null,
      link: 'https://seats.example/invitations/accept?token=x',
      expiresAt: '2026-03-08T09:00:00Z',
    });
    assert.ok(mail.html.includes('&lt;b&gt;Acme&lt;/b&gt;'), mail.html);
    assert.ok(!mail.html.includes('<b>Acme'), mail.html);
  });
});
