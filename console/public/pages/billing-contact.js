// @ts-check
// Whom invoices are addressed to (owners, on the Billing page): the billing contact's name and
// email, the postal address line by line, the country and an optional VAT id. Shown on every
// invoice, its page and its PDF.
/* global document */
import * as api from '../api.js';
import { field, h, notice, onSubmit, pageProblem, replace } from '../dom.js';

/** @typedef {import('../api.js').BillingContact} BillingContact */

/** A country code as its name in the reader's language ("DE" → "Germany"). */
export function countryName(/** @type {string} */ code) {
  try {
    return (
      new Intl.DisplayNames([document.documentElement.lang || 'en'], { type: 'region' }).of(code) ?? code
    );
  } catch {
    return code;
  }
}

/** The contact as a definition list, or a sentence when there is none. */
export function contactFacts(/** @type {BillingContact | null} */ contact) {
  if (!contact)
    return h('p', { class: 'hint' }, 'No billing contact yet: invoices show the organisation only.');
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Contact'),
    h('dd', {}, contact.name),
    h('dt', {}, 'Email'),
    h('dd', {}, contact.email),
    h('dt', {}, 'Address'),
    h(
      'dd',
      { class: 'address' },
      contact.addressLines.map((l) => h('span', {}, l)),
      h('span', {}, countryName(contact.country)),
    ),
    contact.vatId ? [h('dt', {}, 'VAT ID'), h('dd', {}, contact.vatId)] : null,
  );
}

/** The Billing page's section: loads the contact and shows it with a button to edit it. */
export function billingContactSection() {
  const section = h('section', { 'aria-labelledby': 'billing-contact-heading', class: 'card' });
  replace(
    section,
    h('h2', { id: 'billing-contact-heading' }, 'Billing contact'),
    h('p', { class: 'loading' }, 'Loading…'),
  );
  api.billingContact().then(
    ({ contact }) => show(section, contact),
    (error) =>
      replace(section, h('h2', { id: 'billing-contact-heading' }, 'Billing contact'), pageProblem(error)),
  );
  return section;
}

function show(/** @type {HTMLElement} */ section, /** @type {BillingContact | null} */ contact) {
  const edit = h('button', { type: 'button' }, contact ? 'Edit billing contact' : 'Add billing contact');
  edit.addEventListener('click', () => showForm(section, contact));
  replace(
    section,
    h('div', { class: 'section-head' }, h('h2', { id: 'billing-contact-heading' }, 'Billing contact'), edit),
    contactFacts(contact),
    h('p', { class: 'hint' }, 'Invoices are addressed to this contact, on their page and as PDF.'),
  );
}

function showForm(/** @type {HTMLElement} */ section, /** @type {BillingContact | null} */ contact) {
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'billing-contact-heading' },
    h('h2', { id: 'billing-contact-heading' }, 'Billing contact'),
    field({ label: 'Contact name', name: 'name', value: contact?.name ?? '', autocomplete: 'name' }),
    field({
      label: 'Email',
      name: 'email',
      type: 'email',
      value: contact?.email ?? '',
      autocomplete: 'email',
    }),
    field({
      label: 'Address',
      name: 'addressLines',
      rows: 4,
      value: contact?.addressLines.join('\n') ?? '',
      hint: 'One line per line of the address: street, postcode and city (at most 5 lines).',
    }),
    field({
      label: 'Country code',
      name: 'country',
      value: contact?.country ?? '',
      hint: 'Two letters, such as DE, IT, ES or PT.',
      autocomplete: 'country',
    }),
    field({ label: 'VAT ID (optional)', name: 'vatId', value: contact?.vatId ?? '' }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Save billing contact'),
      h('button', { type: 'button', 'data-cancel': true }, 'Cancel'),
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
    notice('Billing contact saved.');
  });
  replace(section, form);
  form.querySelector('input')?.focus();
}
