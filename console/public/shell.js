// @ts-check
// The console's frame: who is signed in (GET /api/v1/session), the navigation their role may use,
// and the client-side router that loads one page module per path under /console. Pages still ask
// the API for everything: the navigation only hides what the server would refuse anyway.
/* global document, window, location, history, HTMLAnchorElement, URL, URLSearchParams */
import * as api from './api.js';
import { ApiError, useCsrfToken, whenSessionEnds } from './http.js';
import { clearNotice, h, notice, pageProblem, replace, roleName } from './dom.js';
import { browserLocale, t, useLocale } from './i18n.js';

export const BASE = '/console';

/** @typedef {import('./api.js').Session} Session */
/** @typedef {import('./api.js').Role} Role */

/**
 * What a page gets: where to draw, who is signed in, the path's parameters and query.
 * @typedef {object} PageContext
 * @property {HTMLElement} main
 * @property {Session | null} session null on the public pages when nobody is signed in
 * @property {string[]} params the path's captured parts
 * @property {URLSearchParams} search
 */

/** @typedef {{ render: (ctx: PageContext) => Promise<void> }} PageModule */

/**
 * @typedef {object} PageRoute
 * @property {RegExp} path below /console
 * @property {() => Promise<PageModule>} load
 * @property {Role | 'public'} role the least role the navigation offers it to
 * @property {string} [nav] the navigation label's message key (locales/*.json), when it is in the navigation
 * @property {string} [href] the navigation link, below /console
 */

/** @type {PageRoute[]} */
const ROUTES = [
  { path: /^\/sign-in$/, role: 'public', load: () => import('./pages/sign-in.js') },
  { path: /^\/accept-invitation$/, role: 'public', load: () => import('./pages/accept-invitation.js') },
  { path: /^\/confirm-transfer$/, role: 'public', load: () => import('./pages/confirm-transfer.js') },
  { path: /^\/ask-for-seat$/, role: 'public', load: () => import('./pages/ask-for-seat.js') },
  {
    path: /^\/members$/,
    href: '/members',
    role: 'admin',
    nav: 'nav.members',
    load: () => import('./pages/members.js'),
  },
  { path: /^\/members\/(\d+)$/, role: 'admin', load: () => import('./pages/member.js') },
  {
    path: /^\/seat-requests$/,
    href: '/seat-requests',
    role: 'admin',
    nav: 'nav.seatRequests',
    load: () => import('./pages/seat-requests.js'),
  },
  {
    path: /^\/usage$/,
    href: '/usage',
    role: 'admin',
    nav: 'nav.usage',
    load: () => import('./pages/usage.js'),
  },
  {
    path: /^\/billing$/,
    href: '/billing',
    role: 'owner',
    nav: 'nav.billing',
    load: () => import('./pages/billing.js'),
  },
  {
    path: /^\/invoices$/,
    href: '/invoices',
    role: 'owner',
    nav: 'nav.invoices',
    load: () => import('./pages/invoices.js'),
  },
  { path: /^\/invoices\/([\w-]+)$/, role: 'owner', load: () => import('./pages/invoice.js') },
  {
    path: /^\/identity$/,
    href: '/identity',
    role: 'owner',
    nav: 'nav.identity',
    load: () => import('./pages/identity.js'),
  },
  {
    path: /^\/audit$/,
    href: '/audit',
    role: 'admin',
    nav: 'nav.audit',
    load: () => import('./pages/audit.js'),
  },
  {
    path: /^\/profile$/,
    href: '/profile',
    role: 'user',
    nav: 'nav.profile',
    load: () => import('./pages/profile.js'),
  },
];

const RANK = { user: 1, admin: 2, owner: 3, primary_owner: 4 };

/** True when `role` is `atLeast` or above (the roles table of the product). */
export function may(/** @type {Role} */ role, /** @type {Role} */ atLeast) {
  return RANK[role] >= RANK[atLeast];
}

/** @type {Session | null} */
let current = null;
/** @type {boolean} */
let sessionKnown = false;

/** The signed-in session, if any. */
export function session() {
  return current;
}

/** Where a member starts: the members list for administrators, their profile for the rest. */
export function home(/** @type {Session} */ s) {
  return may(s.role, 'admin') ? `${BASE}/members` : `${BASE}/profile`;
}

/** Goes to a console path (pushing history unless `replace`), then draws it. */
export function navigate(/** @type {string} */ to, /** @type {{ replace?: boolean }} */ options = {}) {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  void draw();
}

/**
 * Reads the session again (after signing in), then goes to `to` or the member's home page.
 * @param {string | undefined} to
 * @returns {Promise<boolean>} whether the browser is signed in now
 */
export async function signedIn(to) {
  await loadSession();
  if (current) {
    navigate(to ?? home(current), { replace: true });
    return true;
  }
  // The server signed the person in, but this browser did not keep the session cookie (cookies
  // blocked, or a clock far off): say so rather than leave them on a page that worked.
  navigate(`${BASE}/sign-in`, { replace: true });
  notice(t('app.cookiesBlocked'), 'error');
  return false;
}

async function loadSession() {
  try {
    current = await api.session();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    current = null;
  }
  sessionKnown = true;
  useCsrfToken(current?.csrfToken ?? null);
  // The server chose the member's language (their preference, Accept-Language, the organisation's).
  await useLocale(current?.locale ?? browserLocale());
  drawFrame();
}

/** The header (organisation, who, sign out) and the navigation for the session's role. */
function drawFrame() {
  const who = /** @type {HTMLElement} */ (document.getElementById('who'));
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  if (!current) {
    replace(who);
    replace(nav);
    nav.hidden = true;
    return;
  }
  const s = current;
  replace(
    who,
    h(
      'span',
      { class: 'org', 'data-testid': 'organisation' },
      s.organisation.name ?? s.organisation.slug ?? '',
    ),
    h(
      'span',
      { class: 'member' },
      s.member?.displayName ?? s.member?.email ?? '',
      ' · ',
      h('span', { 'data-testid': 'role' }, roleName(s.role)),
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'link-button',
        onclick: () => {
          api.signOut().then(
            () => {
              current = null;
              useCsrfToken(null);
              drawFrame();
              navigate(`${BASE}/sign-in`, { replace: true });
              notice(t('app.signedOut'));
            },
            (error) => notice(error instanceof Error ? error.message : t('app.signOutFailed'), 'error'),
          );
        },
      },
      t('app.signOut'),
    ),
  );
  replace(
    nav,
    h(
      'ul',
      {},
      ROUTES.filter((r) => r.nav && r.role !== 'public' && may(s.role, r.role)).map((r) =>
        h('li', {}, h('a', { href: `${BASE}${r.href}` }, t(r.nav ?? ''))),
      ),
    ),
  );
  nav.hidden = false;
  markCurrent();
}

/** aria-current on the navigation link of the page shown. */
function markCurrent() {
  for (const a of Array.from(document.querySelectorAll('#nav a'))) {
    const href = a.getAttribute('href') ?? '';
    const here = location.pathname === href || location.pathname.startsWith(`${href}/`);
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

let drawing = 0;

/** Draws the page for the current URL. */
async function draw() {
  const ticket = ++drawing;
  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  clearNotice();
  if (!sessionKnown) await loadSession();
  const path = location.pathname.replace(/\/+$/, '').slice(BASE.length) || '/';
  if (path === '/') {
    navigate(current ? home(current) : `${BASE}/sign-in`, { replace: true });
    return;
  }
  const match = ROUTES.map((r) => ({ route: r, found: r.path.exec(path) })).find((m) => m.found);
  if (!match) {
    document.title = t('app.title', { page: t('app.notFound.title') });
    replace(
      main,
      h('h1', {}, t('app.notFound.heading')),
      h('p', {}, h('a', { href: BASE }, t('app.notFound.back'))),
    );
    return;
  }
  if (match.route.role !== 'public' && !current) {
    // Not signed in: the sign-in page, which brings the person back here afterwards.
    navigate(`${BASE}/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, {
      replace: true,
    });
    return;
  }
  markCurrent();
  replace(main, h('p', { class: 'loading' }, t('app.loading')));
  main.setAttribute('aria-busy', 'true');
  try {
    const page = await match.route.load();
    if (ticket !== drawing) return;
    const target = h('div', { class: 'page' });
    await page.render({
      main: target,
      session: current,
      params: match.found?.slice(1).map((p) => decodeURIComponent(p)) ?? [],
      search: new URLSearchParams(location.search),
    });
    if (ticket !== drawing) return;
    replace(main, target);
  } catch (error) {
    if (ticket !== drawing) return;
    if (error instanceof ApiError && error.status === 401) return; // the sign-in page is on its way
    replace(main, h('h1', {}, t('app.failed')), pageProblem(error));
  } finally {
    if (ticket === drawing) main.removeAttribute('aria-busy');
  }
  const heading = main.querySelector('h1');
  document.title = t('app.title', { page: heading?.textContent ?? t('app.console') });
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

/** Console links navigate in place; everything else is left to the browser. */
function interceptLinks() {
  document.addEventListener('click', (event) => {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    const target = event.target instanceof Element ? event.target.closest('a') : null;
    if (!(target instanceof HTMLAnchorElement) || target.target || target.hasAttribute('download')) return;
    const url = new URL(target.href, location.href);
    if (url.origin !== location.origin || !(url.pathname === BASE || url.pathname.startsWith(`${BASE}/`)))
      return;
    if (url.pathname.startsWith(`${BASE}/assets/`)) return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
  window.addEventListener('popstate', () => void draw());
}

export function start() {
  whenSessionEnds(() => {
    current = null;
    useCsrfToken(null);
    drawFrame();
    navigate(`${BASE}/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, {
      replace: true,
    });
    notice(t('app.sessionEnded'), 'error');
  });
  interceptLinks();
  // The browser's language until the session says the member's; the page's fixed texts follow it.
  void useLocale(browserLocale()).then(() => {
    const skip = document.querySelector('.skip-link');
    if (skip) skip.textContent = t('app.skipLink');
    document.getElementById('nav')?.setAttribute('aria-label', t('app.navLabel'));
    return draw();
  });
}
