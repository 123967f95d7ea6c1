// @ts-check
// Members (administrators): the organisation's members, filtered by role, tier, seat state and
// source, searched by name or email, in pages; "Add member" (an invitation that holds a seat at
// once and mails its link); and the invitations still pending or recently ended, with re-send and
// revoke. Filters and page live in the URL, so back and forward work.
/* global URLSearchParams */
import * as api from '../api.js';
import { count, instant, words } from '../format.js';
import { confirmDialog, field, h, notice, onSubmit, pageProblem, replace, roleName, table } from '../dom.js';
import { BASE, may, navigate } from '../shell.js';
import { exportLink, importPanel } from './member-csv.js';
import { t } from '../i18n.js';
import { bulkActions } from '../member-bulk.js';
import { seatSummary } from '../seat-summary.js';

const PER_PAGE = 25;
const FILTERS = /** @type {const} */ (['q', 'role', 'tier', 'seatState', 'source', 'inactiveDays', 'sort']);
/** The idle seats: seated members nobody has seen for 30 days, longest idle first. */
const IDLE_SEATS = '?seatState=seated&inactiveDays=30&sort=lastActive';
/**
 * The server's seat states (domain/model.ts), in its order: this script cannot import them, and
 * test/unit/console/seat-states.test.ts fails when the two lists differ.
 */
const SEAT_STATES = [
  'seated',
  'invited',
  'unassigned',
  'deactivated',
  'awaiting_seat',
  'unmapped',
  'removed',
];

/** How members arrived, in words. */
/** How each source of members is named, in the language in use (read when drawn, not at load). */
export const SOURCES = {
  get manual() {
    return t('members.source.manual');
  },
  get jit() {
    return t('members.source.jit');
  },
  get scim() {
    return t('members.source.scim');
  },
};

/** Problems about the person invited, shown at the field they concern. */
export const INVITE_FIELDS = {
  invalid_email: '/email',
  domain_not_verified: '/email',
  member_exists: '/email',
  unknown_tier: '/tier',
  seats_exhausted: '/tier',
  invalid_role: '/role',
};

/**
 * The import panel, kept across the redraw its own "Send" causes, so its result stays in view.
 * @type {HTMLElement | null}
 */
let keptImport = null;

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {import('../api.js').MemberFilters} */
  const filters = {};
  for (const key of FILTERS) {
    const value = ctx.search.get(key);
    if (value) /** @type {Record<string, string>} */ (filters)[key] = value;
  }
  const page = Math.max(1, Number(ctx.search.get('page')) || 1);
  /** @type {Awaited<ReturnType<typeof api.members>>} */
  let list;
  /** @type {import('../api.js').Usage} */
  let usage;
  try {
    [list, usage] = await Promise.all([api.members({ ...filters, page, perPage: PER_PAGE }), api.usage()]);
  } catch (error) {
    replace(ctx.main, h('h1', {}, t('members.title')), pageProblem(error));
    return;
  }
  const tiers = usage.tiers;
  const owner = ctx.session ? may(ctx.session.role, 'owner') : false;
  const invitations = h('section', { class: 'card', 'aria-labelledby': 'invitations-heading' });
  const adding = h('section', { class: 'card', 'aria-labelledby': 'add-heading', hidden: true });
  const addButton = h(
    'button',
    { type: 'button', class: 'primary', 'aria-expanded': 'false' },
    t('members.add'),
  );
  addButton.addEventListener('click', () => {
    const opening = adding.hidden;
    adding.hidden = !opening;
    addButton.setAttribute('aria-expanded', String(opening));
    if (opening) adding.querySelector('input')?.focus();
  });
  // The CSV import: a dry run first, then "Send N invitations"; the list is drawn again after.
  const importing =
    keptImport ??
    importPanel(() => {
      keptImport = importing;
      void render(ctx);
    });
  keptImport = null;
  const importToggle = h(
    'button',
    { type: 'button', 'aria-expanded': String(!importing.hidden) },
    t('memberCsv.importToggle'),
  );
  importToggle.addEventListener('click', () => {
    importing.hidden = !importing.hidden;
    importToggle.setAttribute('aria-expanded', String(!importing.hidden));
  });
  // After an invitation, the list and the invitations are drawn again (the invitee is a member now).
  replace(
    adding,
    inviteForm(tiers, owner, () => void render(ctx)),
  );

  const pages = Math.max(1, Math.ceil(list.total / list.perPage));
  // Select members on this page, then change their tier, unassign or remove them together.
  const bulk = bulkActions({ members: list.members, tiers, done: () => void render(ctx) });
  const memberTable = table(
    t('members.title'),
    [
      '',
      t('members.col.name'),
      t('members.col.email'),
      t('members.col.role'),
      t('members.col.tier'),
      t('members.col.seat'),
      t('members.col.source'),
      t('members.lastActive'),
    ],
    list.members.map((m) => [
      '',
      h('a', { href: `${BASE}/members/${m.id}` }, m.displayName ?? m.email),
      m.email,
      roleName(m.role),
      m.tier ?? '—',
      words(m.seatState),
      SOURCES[m.source] ?? words(m.source),
      h(
        'span',
        { 'data-last-active': m.lastActiveAt ?? '' },
        m.lastActiveAt ? instant(m.lastActiveAt) : t('members.never'),
      ),
    ]),
    { empty: t('members.none') },
  );
  bulk.attach(memberTable);
  sortHeader(memberTable, ctx.search);
  replace(
    ctx.main,
    h(
      'div',
      { class: 'section-head' },
      h('h1', {}, t('members.title')),
      h(
        'div',
        { class: 'actions' },
        // The export takes the list's filters and order (GET /members.csv).
        exportLink(/** @type {Record<string, string>} */ (filters)),
        importToggle,
        addButton,
      ),
    ),
    seatSummary(usage),
    adding,
    importing,
    filterForm(filters, tiers),
    h('p', { 'data-testid': 'member-count' }, t('members.count', { count: list.total })),
    list.members.length > 0 ? bulk.bar : null,
    h('div', { class: 'table-scroll' }, memberTable),
    pager(ctx.search, list.page, pages),
    invitations,
  );
  await showInvitations(invitations);
}

/** @param {import('../api.js').MemberFilters} filters @param {import('../api.js').UsageTier[]} tiers */
function filterForm(filters, tiers) {
  const any = { value: '', label: t('members.filter.any') };
  const form = h(
    'form',
    { class: 'card', role: 'search', 'aria-label': t('members.filter.label'), novalidate: true },
    h(
      'div',
      { class: 'filters' },
      grow(
        field({
          label: t('members.filter.search'),
          name: 'q',
          type: 'search',
          value: filters.q ?? '',
          placeholder: t('members.filter.searchPlaceholder'),
        }),
      ),
      field({
        label: t('members.col.role'),
        name: 'role',
        value: filters.role ?? '',
        options: [
          any,
          ...['primary_owner', 'owner', 'admin', 'user'].map((r) => ({ value: r, label: roleName(r) })),
        ],
      }),
      field({
        label: t('members.col.tier'),
        name: 'tier',
        value: filters.tier ?? '',
        options: [any, ...tiers.map((t) => ({ value: t.id, label: t.name }))],
      }),
      field({
        label: t('members.filter.seatState'),
        name: 'seatState',
        value: filters.seatState ?? '',
        options: [any, ...SEAT_STATES.map((s) => ({ value: s, label: words(s) }))],
      }),
      field({
        label: t('members.col.source'),
        name: 'source',
        value: filters.source ?? '',
        options: [any, ...Object.entries(SOURCES).map(([value, label]) => ({ value, label }))],
      }),
      field({
        label: t('members.inactiveDays'),
        name: 'inactiveDays',
        type: 'number',
        min: 1,
        value: filters.inactiveDays ?? '',
        hint: t('members.inactiveHint'),
      }),
      h('input', { type: 'hidden', name: 'sort', value: filters.sort ?? '' }),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, t('members.filter.apply')),
      h('a', { href: `${BASE}/members`, class: 'button' }, t('members.filter.clear')),
      h(
        'a',
        { href: `${BASE}/members${IDLE_SEATS}`, class: 'button', 'data-testid': 'idle-seats' },
        t('members.idleSeats'),
      ),
    ),
  );
  onSubmit(form, async (v) => {
    const params = new URLSearchParams();
    for (const key of FILTERS) {
      const value = (v[key] ?? '').trim();
      if (value) params.set(key, value);
    }
    navigate(`${BASE}/members${params.size ? `?${params}` : ''}`);
    await Promise.resolve();
  });
  for (const select of Array.from(form.querySelectorAll('select'))) {
    select.addEventListener('change', () => form.requestSubmit());
  }
  return form;
}

/**
 * The "Last active" header becomes a link that sorts by it: never active and longest idle first,
 * then most recent first, then back to the order by email.
 * @param {HTMLTableElement} tableElement
 * @param {URLSearchParams} search
 */
function sortHeader(tableElement, search) {
  const header = tableElement.querySelector('thead th:last-child');
  if (!header) return;
  const current = search.get('sort');
  const next = current === 'lastActive' ? '-lastActive' : current === '-lastActive' ? null : 'lastActive';
  const params = new URLSearchParams(search);
  params.delete('page');
  if (next) params.set('sort', next);
  else params.delete('sort');
  header.setAttribute(
    'aria-sort',
    current === 'lastActive' ? 'ascending' : current === '-lastActive' ? 'descending' : 'none',
  );
  header.replaceChildren(
    h(
      'a',
      { href: `${BASE}/members${params.size ? `?${params}` : ''}`, 'data-testid': 'sort-last-active' },
      t('members.lastActive'),
      current === 'lastActive' ? ' ↑' : current === '-lastActive' ? ' ↓' : '',
    ),
  );
}

function grow(/** @type {HTMLElement} */ element) {
  element.classList.add('grow');
  return element;
}

function pager(
  /** @type {URLSearchParams} */ search,
  /** @type {number} */ page,
  /** @type {number} */ pages,
) {
  if (pages <= 1) return null;
  const to = (/** @type {number} */ n) => {
    const params = new URLSearchParams(search);
    params.set('page', String(n));
    return `${BASE}/members?${params}`;
  };
  return h(
    'nav',
    { class: 'pager', 'aria-label': t('pager.label') },
    page > 1 ? h('a', { href: to(page - 1), rel: 'prev' }, t('pager.previous')) : null,
    h('span', {}, t('pager.position', { page, pages })),
    page < pages ? h('a', { href: to(page + 1), rel: 'next' }, t('pager.next')) : null,
  );
}

/**
 * The "Add member" form: an invitation holding a seat of the chosen tier.
 * @param {import('../api.js').UsageTier[]} tiers
 * @param {boolean} owner only owners invite owners
 * @param {() => void} added
 */
function inviteForm(tiers, owner, added) {
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'add-heading' },
    h('h2', { id: 'add-heading' }, t('members.add')),
    h('p', { class: 'hint' }, t('invite.hint')),
    field({
      label: t('members.col.email'),
      name: 'email',
      type: 'email',
      required: true,
      autocomplete: 'off',
    }),
    field({ label: t('invite.name'), name: 'displayName', pointer: '/displayName' }),
    field({
      label: 'Role',
      name: 'role',
      value: 'user',
      options: [
        { value: 'user', label: roleName('user') },
        { value: 'admin', label: roleName('admin') },
        ...(owner ? [{ value: 'owner', label: roleName('owner') }] : []),
      ],
    }),
    field({
      label: t('invite.tier'),
      name: 'tier',
      value: '',
      options: [
        { value: '', label: t('invite.lowestTier') },
        ...[...tiers]
          .sort((a, b) => a.rank - b.rank)
          .map((t) => ({ value: t.id, label: `${t.name} (${count(t.available)} free)` })),
      ],
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('invite.send'))),
  );
  onSubmit(
    form,
    async (v) => {
      const email = (v.email ?? '').trim();
      const invited = await api.invite({
        email,
        ...(v.displayName?.trim() ? { displayName: v.displayName.trim() } : {}),
        role: v.role ?? 'user',
        ...(v.tier ? { tier: v.tier } : {}),
      });
      form.reset();
      notice(
        t('invite.sent', {
          email: invited.email,
          tier: invited.tier ? words(invited.tier) : '',
          expires: instant(invited.expiresAt),
        }),
      );
      added();
    },
    INVITE_FIELDS,
  );
  return form;
}

/** The invitations pending or ended lately, with re-send and revoke. */
async function showInvitations(/** @type {HTMLElement} */ section) {
  const heading = h('h2', { id: 'invitations-heading' }, t('invitations.title'));
  /** @type {Awaited<ReturnType<typeof api.invitations>>} */
  let list;
  try {
    list = await api.invitations({ perPage: 50 });
  } catch (error) {
    replace(section, heading, pageProblem(error));
    return;
  }
  const reload = () => void showInvitations(section);
  replace(
    section,
    heading,
    table(
      t('invitations.caption'),
      [
        t('members.col.email'),
        t('members.col.role'),
        t('members.col.tier'),
        t('invitations.col.status'),
        t('invitations.col.sent'),
        t('invitations.col.expires'),
        t('invitations.col.actions'),
      ],
      list.invitations.map((i) => [
        h('a', { href: `${BASE}/members/${i.memberId}` }, i.email),
        roleName(i.role),
        i.tier ?? '—',
        words(i.status),
        instant(i.sentAt),
        instant(i.expiresAt),
        invitationActions(i, reload),
      ]),
      { empty: t('invitations.none') },
    ),
    list.total > list.invitations.length
      ? h(
          'p',
          { class: 'hint' },
          t('invitations.showing', { shown: list.invitations.length, total: list.total }),
        )
      : null,
  );
}

/**
 * Re-send and revoke buttons for an invitation, named after the invitee.
 * @param {import('../api.js').Invitation} i
 * @param {() => void} reload
 */
export function invitationActions(i, reload) {
  if (i.status === 'accepted') return '';
  const resend = h(
    'button',
    { type: 'button', 'aria-label': t('invitation.action.resendLabel', { email: i.email }) },
    t('invitation.action.resend'),
  );
  resend.addEventListener('click', () => {
    resend.disabled = true;
    api.resendInvitation(i.id).then(
      (sent) => {
        notice(t('invitation.action.resent', { email: sent.email, expires: instant(sent.expiresAt) }));
        reload();
      },
      (error) => {
        resend.disabled = false;
        notice(error instanceof Error ? error.message : t('invitation.action.resendFailed'), 'error');
      },
    );
  });
  if (i.status !== 'pending') return h('div', { class: 'actions' }, resend);
  const revoke = h(
    'button',
    { type: 'button', class: 'danger', 'aria-label': t('invitation.action.revokeLabel', { email: i.email }) },
    t('invitation.action.revoke'),
  );
  revoke.addEventListener('click', () => {
    void confirmDialog({
      title: t('invitation.action.revokeTitle', { email: i.email }),
      body: h('p', {}, t('invitation.action.revokeBody')),
      confirm: t('invitation.action.revokeConfirm'),
      danger: true,
    }).then((yes) => {
      if (!yes) return;
      api.revokeInvitation(i.id).then(
        () => {
          notice(t('invitation.action.revoked', { email: i.email }));
          reload();
        },
        (error) =>
          notice(error instanceof Error ? error.message : t('invitation.action.revokeFailed'), 'error'),
      );
    });
  });
  return h('div', { class: 'actions' }, resend, revoke);
}
