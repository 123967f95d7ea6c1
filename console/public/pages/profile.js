// @ts-check
/* global location */
// The signed-in member's own record: all a user-role member sees of the console; their language,
// and for owners the organisation's default language (docs/console.md, "Languages").
import * as api from '../api.js';
import { instant, words } from '../format.js';
import { field, h, notice, onSubmit, pageProblem, replace, roleName } from '../dom.js';
import { browserLocale, LANGUAGE_NAMES, LOCALES, t } from '../i18n.js';
import { may, signedIn } from '../shell.js';
import { askForSeat } from './seat-request-ask.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {Awaited<ReturnType<typeof api.profile>>} */
  let mine;
  try {
    mine = await api.profile();
  } catch (error) {
    replace(ctx.main, h('h1', {}, t('profile.title')), pageProblem(error));
    return;
  }
  const { member: m, organisation } = mine;
  replace(
    ctx.main,
    h('h1', {}, t('profile.title')),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'profile-heading' },
      h('h2', { id: 'profile-heading' }, m.displayName ?? m.email),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, t('profile.organisation')),
        h('dd', {}, organisation.name),
        h('dt', {}, t('profile.email')),
        h('dd', { 'data-testid': 'profile-email' }, m.email),
        h('dt', {}, t('profile.role')),
        h('dd', { 'data-testid': 'profile-role' }, roleName(m.role)),
        h('dt', {}, t('profile.seat')),
        h('dd', {}, words(m.seatState)),
        h('dt', {}, t('profile.tier')),
        h('dd', { 'data-testid': 'profile-tier' }, m.tier ? words(m.tier) : t('format.none')),
        h('dt', {}, t('profile.since')),
        h('dd', {}, instant(m.createdAt)),
      ),
      h('p', { class: 'hint' }, t('profile.managed')),
    ),
    languageCard(ctx),
    askForSeat(m),
  );
}

/** The member's own language, and for owners the organisation's default. */
function languageCard(/** @type {import('../shell.js').PageContext} */ ctx) {
  const session = ctx.session;
  if (!session?.member) return null;
  const mine = h(
    'form',
    { novalidate: true, 'data-testid': 'language-form' },
    field({
      label: t('language.label'),
      name: 'language',
      value: session.language ?? '',
      hint: t('language.hint'),
      options: [
        { value: '', label: t('language.automatic', { language: LANGUAGE_NAMES[browserLocale()] }) },
        ...LOCALES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] })),
      ],
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('language.save'))),
  );
  onSubmit(mine, async (v) => {
    await api.setLanguage(v.language ? v.language : null);
    // Read the session again: the console then speaks the language the server now chooses.
    await signedIn(location.pathname);
    notice(t('language.saved'));
  });
  let organisationForm = null;
  if (may(session.role, 'owner')) {
    organisationForm = h(
      'form',
      { novalidate: true, 'data-testid': 'organisation-language-form' },
      field({
        label: t('language.organisation'),
        name: 'defaultLanguage',
        value: session.defaultLanguage ?? 'en',
        hint: t('language.organisationHint'),
        options: LOCALES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] })),
      }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('language.organisationSave'))),
    );
    onSubmit(organisationForm, async (v) => {
      const saved = await api.setOrganisationLanguage(v.defaultLanguage ?? 'en');
      await signedIn(location.pathname);
      notice(
        t('language.organisationSaved', {
          language: LANGUAGE_NAMES[/** @type {import('../i18n.js').Locale} */ (saved.defaultLanguage)],
        }),
      );
    });
  }
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'language-heading' },
    h('h2', { id: 'language-heading' }, t('language.heading')),
    mine,
    organisationForm,
  );
}
