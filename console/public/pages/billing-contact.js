// @ts-check
// Whom invoices are addressed to (owners, on the Billing page): the billing contact's name and
// email, the postal address line by line, the country and an optional VAT id. Shown on every
// invoice, its page and its PDF.
import * as api from '../api.js';
import { field, h, notice, onSubmit, pageProblem, replace } from '../dom.js';
import { locale, t } from '../i18n.js';

/** @typedef {import('../api.js').BillingContact} BillingContact */

/** A country code as its name in the reader's language ("DE" → "Germany"). */
export function countryName(/** @type {string} */ code) {
  try {
    return new Intl.DisplayNames([locale()], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** The contact as a definition list, or a sentence when there is none. */
export function contactFacts(/** @type {BillingContact | null} */ contact) {
  if (!contact) return h('p', { class: 'hint' }, t('billingContact.none'));
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, t('billingContact.contact')),
    h('dd', {}, contact.name),
    h('dt', {}, t('billingContact.email')),
    h('dd', {}, contact.email),
    h('dt', {}, t('billingContact.address')),
    h(
      'dd',
      { class: 'address' },
      contact.addressLines.map((l) => h('span', {}, l)),
      h('span', {}, countryName(contact.country)),
    ),
    contact.vatId ? [h('dt', {}, t('billingContact.vatId')), h('dd', {}, contact.vatId)] : null,
  );
}

/** The Billing page's section: loads the contact and shows it with a button to edit it. */
export function billingContactSection() {
  const section = h('section', { 'aria-labelledby': 'billing-contact-heading', class: 'card' });
  replace(
    section,
    h('h2', { id: 'billing-contact-heading' }, t('billingContact.heading')),
    h('p', { class: 'loading' }, t('app.loading')),
  );
  api.billingContact().then(
    ({ contact }) => show(section, contact),
    (error) =>
      replace(
        section,
        h('h2', { id: 'billing-contact-heading' }, t('billingContact.heading')),
        pageProblem(error),
      ),
  );
  return section;
}

function show(/** @type {HTMLElement} */ section, /** @type {BillingContact | null} */ contact) {
  const edit = h('button', { type: 'button' }, t(contact ? 'billingContact.edit' : 'billingContact.add'));
  edit.addEventListener('click', () => showForm(section, contact));
  replace(
    section,
    h(
      'div',
      { class: 'section-head' },
      h('h2', { id: 'billing-contact-heading' }, t('billingContact.heading')),
      edit,
    ),
    contactFacts(contact),
    h('p', { class: 'hint' }, t('billingContact.hint')),
  );
}

function showForm(/** @type {HTMLElement} */ section, /** @type {BillingContact | null} */ contact) {
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'billing-contact-heading' },
    h('h2', { id: 'billing-contact-heading' }, t('billingContact.heading')),
    field({
      label: t('billingContact.name'),
      name: 'name',
      value: contact?.name ?? '',
      autocomplete: 'name',
    }),
    field({
      label: t('billingContact.email'),
      name: 'email',
      type: 'email',
      value: contact?.email ?? '',
      autocomplete: 'email',
    }),
    field({
      label: t('billingContact.address'),
      name: 'addressLines',
      rows: 4,
      value: contact?.addressLines.join('\n') ?? '',
      hint: t('billingContact.addressHint'),
    }),
    field({
      label: t('billingContact.country'),
      name: 'country',
      value: contact?.country ?? '',
      hint: t('billingContact.countryHint'),
      autocomplete: 'country',
    }),
    field({ label: t('billingContact.vatIdOptional'), name: 'vatId', value: contact?.vatId ?? '' }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('billingContact.save')),
      h('button', { type: 'button', 'data-cancel': true }, t('billingContact.cancel')),
    ),
  );
  form.querySelector('[data-cancel]')?.addEventListener('click', () => show(section, contact));
  onSubmit(form, async (v) => {
    const vatId = (v.vatId ?? '').trim();
    const saved = await api.setBillingContact({
      name: v.name ?? '',
      email: v.email ?? '',
      addressLines: (v.addressLines ?? '')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean),
      country: v.country ?? '',
      vatId: vatId === '' ? null : vatId,
    });
    show(section, saved.contact);
    notice(t('billingContact.saved'));
  });
  replace(section, form);
  form.querySelector('input')?.focus();
}
