// @ts-check
// The audit log (administrators): every seat, member, role, billing and configuration change, newest
// first, in words (who by name, what as "Seat claimed"), filtered by person (name or email), event,
// kind of actor and time, in pages; the same selection as a CSV file. The filters live in the page's
// URL, so a filtered view can be bookmarked or shared.
/* global URLSearchParams */
import * as api from '../api.js';
import { instant, words } from '../format.js';
import { field, h, onSubmit, pageProblem, replace, showProblem, table } from '../dom.js';
import { ApiError } from '../http.js';
import { t } from '../i18n.js';
import { BASE, navigate } from '../shell.js';

const FILTERS = /** @type {const} */ (['person', 'action', 'actorType', 'actorId', 'member', 'from', 'to']);
const PER_PAGE = 50;

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {import('../api.js').AuditFilters} */
  const filters = {};
  for (const key of FILTERS) {
    const value = ctx.search.get(key);
    if (value) filters[key] = value;
  }
  const cursor = ctx.search.get('cursor') ?? undefined;
  // The event types in words, for the Event select; without them the select offers none.
  const eventTypes = await api.auditEventTypes().then(
    (r) => r.eventTypes,
    () => [],
  );
  const form = filterForm(filters, eventTypes);
  /** @type {{ entries: import('../api.js').AuditEntry[], nextCursor: string | null }} */
  let page;
  try {
    page = await api.audit({ ...filters, ...(cursor ? { cursor } : {}), limit: PER_PAGE });
  } catch (error) {
    // A filter the server refuses is shown next to that filter.
    const badFilter = error instanceof ApiError && error.status === 400;
    replace(ctx.main, h('h1', {}, t('audit.title')), form, badFilter ? null : pageProblem(error));
    if (badFilter) showProblem(form, error);
    return;
  }
  const rest = new URLSearchParams(/** @type {Record<string, string>} */ (filters));
  replace(
    ctx.main,
    h('h1', {}, t('audit.title')),
    form,
    h(
      'p',
      {},
      h('a', { href: api.auditCsvUrl(filters), download: 'audit-log.csv', class: 'button' }, t('audit.csv')),
      ' ',
      h('span', { class: 'hint' }, t('audit.csvHint')),
    ),
    h(
      'div',
      { class: 'table-scroll' },
      table(
        cursor ? t('audit.older') : t('audit.latest'),
        [
          t('audit.col.when'),
          t('audit.col.who'),
          t('audit.col.what'),
          t('audit.col.about'),
          t('audit.col.change'),
          t('audit.col.invoice'),
        ],
        page.entries.map((e) => [
          h('time', { datetime: e.at }, instant(e.at)),
          actor(e.actor),
          h('span', { title: e.action }, eventWords(e.action, e.event)),
          subject(e.subject),
          change(e.before, e.after),
          e.invoiceNumber
            ? h('a', { href: `${BASE}/invoices/${encodeURIComponent(e.invoiceNumber)}` }, e.invoiceNumber)
            : '',
        ]),
        { empty: t('audit.none') },
      ),
    ),
    h(
      'nav',
      { class: 'pager', 'aria-label': t('pager.label') },
      cursor ? h('a', { href: `${BASE}/audit${rest.size ? `?${rest}` : ''}` }, t('audit.newest')) : null,
      page.nextCursor
        ? h(
            'a',
            { href: `${BASE}/audit?${withCursor(rest, page.nextCursor)}`, rel: 'next' },
            t('audit.older'),
          )
        : h('span', { class: 'hint' }, t('audit.noOlder')),
    ),
  );
}

/** An event in words in the console's language; the server's English for one it has no words for. */
function eventWords(/** @type {string} */ action, /** @type {string | undefined} */ english) {
  const key = `audit.event.${action}`;
  const said = t(key);
  return said === key ? (english ?? words(action)) : said;
}

function withCursor(/** @type {URLSearchParams} */ rest, /** @type {string} */ cursor) {
  const next = new URLSearchParams(rest);
  next.set('cursor', cursor);
  return next.toString();
}

/** A `datetime-local` value (the reader's zone) as an ISO instant, or a date/instant as typed. */
function toInstant(/** @type {string} */ value) {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) {
    const at = new Date(value);
    if (!Number.isNaN(at.getTime())) return at.toISOString();
  }
  return value;
}

/** An ISO instant as a `datetime-local` value in the reader's zone. */
function toLocalInput(/** @type {string | undefined} */ iso) {
  if (!iso) return '';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

function filterForm(
  /** @type {import('../api.js').AuditFilters} */ filters,
  /** @type {{ action: string, text: string }[]} */ eventTypes,
) {
  const known = eventTypes.some((t) => t.action === filters.action);
  const form = h(
    'form',
    { novalidate: true, class: 'card', role: 'search', 'aria-label': t('audit.filter.label') },
    h(
      'div',
      { class: 'filters' },
      field({
        label: t('audit.filter.person'),
        name: 'person',
        type: 'search',
        value: filters.person ?? '',
        hint: t('audit.filter.personHint'),
      }),
      field({
        label: t('audit.filter.event'),
        name: 'action',
        value: filters.action ?? '',
        options: [
          { value: '', label: t('audit.filter.anyEvent') },
          // An action from a bookmark that the list does not know stays selectable.
          ...(filters.action && !known ? [{ value: filters.action, label: words(filters.action) }] : []),
          ...[...eventTypes]
            .map((type) => ({ value: type.action, label: eventWords(type.action, type.text) }))
            .sort((a, b) => a.label.localeCompare(b.label)),
        ],
      }),
      field({
        label: t('audit.filter.doneBy'),
        name: 'actorType',
        value: filters.actorType ?? '',
        options: [
          { value: '', label: t('audit.filter.anyone') },
          { value: 'member', label: t('audit.actor.member') },
          { value: 'api_token', label: t('audit.actor.api_token') },
          { value: 'scim_token', label: t('audit.actor.scim_token') },
          { value: 'jit', label: t('audit.actor.jitFilter') },
          { value: 'operator', label: t('audit.actor.operator') },
          { value: 'system', label: t('audit.actor.systemJob') },
        ],
      }),
      // Narrowing by id comes from links (a member's page); it is kept, not typed.
      filters.actorId ? h('input', { type: 'hidden', name: 'actorId', value: filters.actorId }) : null,
      filters.member ? h('input', { type: 'hidden', name: 'member', value: filters.member }) : null,
      field({
        label: t('audit.filter.from'),
        name: 'from',
        type: 'datetime-local',
        value: toLocalInput(filters.from),
      }),
      field({
        label: t('audit.filter.to'),
        name: 'to',
        type: 'datetime-local',
        value: toLocalInput(filters.to),
      }),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('members.filter.apply')),
      h('a', { href: `${BASE}/audit`, class: 'button' }, t('members.filter.clear')),
    ),
  );
  onSubmit(form, async (v) => {
    const params = new URLSearchParams();
    for (const key of FILTERS) {
      const value = (v[key] ?? '').trim();
      if (value) params.set(key, key === 'from' || key === 'to' ? toInstant(value) : value);
    }
    navigate(`${BASE}/audit${params.size ? `?${params}` : ''}`);
    await Promise.resolve();
  });
  return form;
}

/** A member as their name with their email under it, or the email alone. */
function person(
  /** @type {string | null} */ name,
  /** @type {string | null} */ label,
  /** @type {string} */ id,
) {
  if (name && label) return [h('span', {}, name), h('br', {}), h('span', { class: 'hint' }, label)];
  return label ?? `#${id}`;
}

function actor(/** @type {import('../api.js').AuditEntry['actor']} */ a) {
  const kind = {
    member: t('audit.actor.member'),
    api_token: t('audit.actor.api_token'),
    scim_token: t('audit.actor.scim_token'),
    jit: t('audit.actor.jit'),
    operator: t('audit.actor.operator'),
    system: t('audit.actor.system'),
  }[a.type];
  return h(
    'span',
    {},
    a.type === 'member' ? person(a.name, a.label, a.id ?? '') : (a.label ?? (a.id ? `#${a.id}` : '')),
    h('br', {}),
    h('span', { class: 'hint' }, kind ?? words(a.type)),
  );
}

function subject(/** @type {import('../api.js').AuditEntry['subject']} */ s) {
  const label = s.type === 'member' ? (s.name ?? s.label ?? `#${s.id}`) : (s.label ?? `#${s.id}`);
  return h(
    'span',
    {},
    s.type === 'member' && /^\d+$/.test(s.id) ? h('a', { href: `${BASE}/members/${s.id}` }, label) : label,
    s.type === 'member' && s.name && s.label ? [h('br', {}), h('span', { class: 'hint' }, s.label)] : null,
    h('br', {}),
    h('span', { class: 'hint' }, words(s.type)),
  );
}

function change(/** @type {unknown} */ before, /** @type {unknown} */ after) {
  if (before === null && after === null) return '';
  return h(
    'details',
    {},
    h('summary', {}, t('audit.change.beforeAndAfter')),
    h('p', { class: 'hint' }, t('audit.change.before')),
    h('pre', { class: 'json' }, before === null ? '—' : JSON.stringify(before, null, 2)),
    h('p', { class: 'hint' }, t('audit.change.after')),
    h('pre', { class: 'json' }, after === null ? '—' : JSON.stringify(after, null, 2)),
  );
}
