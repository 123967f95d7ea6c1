// @ts-check
// Confirming a transfer of primary ownership from its email (/console/confirm-transfer#token=…):
// nothing changes until the new primary owner presses the button.
/* global history */
import * as api from '../api.js';
import { h, onSubmit, replace } from '../dom.js';
import { BASE } from '../shell.js';
import { fragmentToken } from './sign-in.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  const token = fragmentToken();
  if (!token) {
    replace(
      ctx.main,
      h('h1', {}, 'Confirm the ownership transfer'),
      h('p', { role: 'alert' }, 'This link is incomplete. Open the link from the email again.'),
    );
    return;
  }
  const form = h(
    'form',
    { class: 'card' },
    h(
      'p',
      {},
      'You were asked to become the primary owner of your organisation: responsible for its contract and seats. The current primary owner stays an owner.',
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Confirm transfer')),
  );
  onSubmit(form, async () => {
    await api.confirmOwnershipTransfer(token);
    history.replaceState(null, '', `${BASE}/confirm-transfer`);
    replace(
      ctx.main,
      h('h1', {}, 'You are now the primary owner'),
      h('p', { role: 'status' }, 'The transfer is confirmed.'),
      h('p', {}, h('a', { href: BASE }, 'Go to the console')),
    );
  });
  replace(ctx.main, h('h1', {}, 'Confirm the ownership transfer'), form);
  await Promise.resolve();
}
