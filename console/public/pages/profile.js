// @ts-check
// The signed-in member's own record: all a user-role member sees of the console.
import * as api from '../api.js';
import { instant, words } from '../format.js';
import { h, pageProblem, replace, roleName } from '../dom.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {Awaited<ReturnType<typeof api.profile>>} */
  let mine;
  try {
    mine = await api.profile();
  } catch (error) {
    replace(ctx.main, h('h1', {}, 'My profile'), pageProblem(error));
    return;
  }
  const { member: m, organisation } = mine;
  replace(
    ctx.main,
    h('h1', {}, 'My profile'),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'profile-heading' },
      h('h2', { id: 'profile-heading' }, m.displayName ?? m.email),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Organisation'),
        h('dd', {}, organisation.name),
        h('dt', {}, 'Email'),
        h('dd', { 'data-testid': 'profile-email' }, m.email),
        h('dt', {}, 'Role'),
        h('dd', { 'data-testid': 'profile-role' }, roleName(m.role)),
        h('dt', {}, 'Seat'),
        h('dd', {}, words(m.seatState)),
        h('dt', {}, 'Tier'),
        h('dd', { 'data-testid': 'profile-tier' }, m.tier ?? '—'),
        h('dt', {}, 'Member since'),
        h('dd', {}, instant(m.createdAt)),
      ),
      h('p', { class: 'hint' }, 'Your role and seat are managed by your organisation’s administrators.'),
    ),
  );
}
