// @ts-check
// Signing in: with the organisation's SSO, or with a one-time link sent by email
// (POST /sign-in-links); opening that link (/console/sign-in#token=…) redeems it. The token is read
// from the URL fragment, which browsers never send to a server, and removed from the address bar.
/* global location, history, URLSearchParams */
import * as api from '../api.js';
import { field, h, notice, onSubmit, pageProblem, replace } from '../dom.js';
import { ApiError } from '../http.js';
import { t } from '../i18n.js';
import { BASE, home, navigate, signedIn } from '../shell.js';

/** A console path to return to after signing in; anything else (another site) is ignored. */
export function safeNext(/** @type {string | null} */ next) {
  return next && /^\/console(\/[\w\-/?=&%.]*)?$/.test(next) && !next.startsWith('//') ? next : undefined;
}

/** The token in the URL fragment (`#token=…`), or null. */
export function fragmentToken() {
  return new URLSearchParams(location.hash.slice(1)).get('token');
}

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  const token = fragmentToken();
  const next = safeNext(ctx.search.get('next'));
  if (token) {
    await redeem(ctx, token, next);
    return;
  }
  if (ctx.session) {
    navigate(next ?? home(ctx.session), { replace: true });
    return;
  }
  replace(
    ctx.main,
    h('h1', {}, t('signIn.title')),
    h('p', {}, t('signIn.intro')),
    signInForms(ctx.search.get('org') ?? '', next),
  );
}

/**
 * Where single sign-on starts for the organisation, coming back to `next` (a console path) or the
 * console; the server checks the return path again and keeps it until the sign-in ends.
 */
export function ssoStart(/** @type {string} */ slug, /** @type {string | undefined} */ next) {
  const params = new URLSearchParams({ org: slug, return_to: next ?? BASE });
  return `/sso/start?${params}`;
}

function signInForms(/** @type {string} */ slug, /** @type {string | undefined} */ next) {
  const sent = h('div', { class: 'sent', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-label': t('signIn.title') },
    h('h2', {}, t('signIn.organisationHeading')),
    field({
      label: t('signIn.organisation'),
      name: 'organisation',
      value: slug,
      required: true,
      autocomplete: 'organization',
      hint: t('signIn.organisationHint'),
    }),
    h('p', {}, h('a', { class: 'button primary', href: '/sso/start', 'data-sso': true }, t('signIn.sso'))),
    h('h2', {}, t('signIn.byEmail')),
    field({ label: t('signIn.email'), name: 'email', type: 'email', required: true, autocomplete: 'email' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('signIn.sendLink'))),
    sent,
  );
  const orgInput = /** @type {HTMLInputElement} */ (form.querySelector('input[name="organisation"]'));
  const sso = /** @type {HTMLAnchorElement} */ (form.querySelector('a[data-sso]'));
  const updateSso = () => {
    const value = orgInput.value.trim();
    sso.href = value ? ssoStart(value, next) : '/sso/start';
  };
  orgInput.addEventListener('input', updateSso);
  updateSso();
  sso.addEventListener('click', (event) => {
    if (orgInput.value.trim()) return;
    event.preventDefault();
    fieldError(orgInput, t('signIn.organisationFirst'));
  });
  onSubmit(form, async (v) => {
    replace(sent);
    const organisation = (v.organisation ?? '').trim();
    const email = (v.email ?? '').trim();
    if (!organisation) return fieldError(orgInput, t('signIn.organisationMissing'));
    await api.requestSignInLink({ organisation, email });
    replace(sent, h('p', { class: 'notice ok' }, t('signIn.linkSent', { email, organisation })));
  });
  return form;
}

/** The organisation of an `sso_required` refusal: it signs in through its identity provider. */
export function ssoOrganisation(/** @type {unknown} */ error) {
  const problem = error instanceof ApiError ? error.problem : undefined;
  return problem?.code === 'sso_required' && typeof problem.organisation === 'string'
    ? problem.organisation
    : undefined;
}

/** Marks one field invalid with a message, as the server's field errors are shown. */
function fieldError(/** @type {HTMLInputElement} */ input, /** @type {string} */ message) {
  const slot = input.ownerDocument.getElementById(`${input.id}-error`);
  if (slot) {
    slot.textContent = message;
    slot.hidden = false;
  }
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

/**
 * @param {import('../shell.js').PageContext} ctx
 * @param {string} token
 * @param {string | undefined} next
 */
async function redeem(ctx, token, next) {
  // The secret leaves the address bar (and the history) before anything else happens.
  history.replaceState(null, '', `${BASE}/sign-in${location.search}`);
  try {
    await api.redeemSignInLink(token);
  } catch (error) {
    replace(
      ctx.main,
      h('h1', {}, t('signIn.linkBroken')),
      pageProblem(error),
      h('p', {}, t('signIn.askAgain')),
      signInForms(ssoOrganisation(error) ?? '', next),
    );
    return;
  }
  if (await signedIn(next)) notice(t('signIn.done'));
}
