// @ts-check
// Accepting an invitation from its email (/console/accept-invitation#token=…): one button, then the
// invitee is a seated member and signed in. The token stays in the URL fragment, never sent to the
// server except in the body of the accept request.
/* global history */
import * as api from '../api.js';
import { h, notice, onSubmit, replace } from '../dom.js';
import { t } from '../i18n.js';
import { BASE, signedIn } from '../shell.js';
import { fragmentToken, ssoOrganisation, ssoStart } from './sign-in.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  const token = fragmentToken();
  if (!token) {
    replace(ctx.main, h('h1', {}, t('accept.title')), h('p', { role: 'alert' }, t('accept.incomplete')));
    return;
  }
  const form = h(
    'form',
    { class: 'card' },
    h('p', {}, t('accept.intro')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('accept.action'))),
  );
  onSubmit(form, async () => {
    try {
      await api.acceptInvitation(token);
    } catch (error) {
      // The organisation requires single sign-on: signing in there accepts the invitation.
      const slug = ssoOrganisation(error);
      if (!slug) throw error;
      history.replaceState(null, '', `${BASE}/accept-invitation`);
      replace(
        ctx.main,
        h('h1', {}, t('accept.title')),
        h('p', {}, /** @type {Error} */ (error).message),
        h(
          'p',
          {},
          h('a', { class: 'button primary', href: ssoStart(slug, undefined) }, t('accept.continueSso')),
        ),
      );
      return;
    }
    history.replaceState(null, '', `${BASE}/accept-invitation`);
    if (await signedIn(undefined)) notice(t('accept.welcome'));
  });
  replace(ctx.main, h('h1', {}, t('accept.title')), form);
  await Promise.resolve();
}
