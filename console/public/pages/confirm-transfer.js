// @ts-check
// Confirming a transfer of primary ownership from its email (/console/confirm-transfer#token=…):
// nothing changes until the new primary owner presses the button.
/* global history */
import * as api from '../api.js';
import { h, onSubmit, replace } from '../dom.js';
import { t } from '../i18n.js';
import { BASE } from '../shell.js';
import { fragmentToken } from './sign-in.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  const token = fragmentToken();
  if (!token) {
    replace(ctx.main, h('h1', {}, t('transfer.title')), h('p', { role: 'alert' }, t('transfer.incomplete')));
    return;
  }
  const form = h(
    'form',
    { class: 'card' },
    h('p', {}, t('transfer.intro')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('transfer.action'))),
  );
  onSubmit(form, async () => {
    await api.confirmOwnershipTransfer(token);
    history.replaceState(null, '', `${BASE}/confirm-transfer`);
    replace(
      ctx.main,
      h('h1', {}, t('transfer.done')),
      h('p', { role: 'status' }, t('transfer.confirmed')),
      h('p', {}, h('a', { href: BASE }, t('app.notFound.back'))),
    );
  });
  replace(ctx.main, h('h1', {}, t('transfer.title')), form);
  await Promise.resolve();
}
