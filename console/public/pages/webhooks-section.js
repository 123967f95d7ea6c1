// @ts-check
// The Webhooks section of Identity and access (owners): the endpoints Seatkeeper posts its events to
// (docs/webhooks.md), adding one with the event types it wants (its signing secret shown once),
// enabling and disabling, rotating the secret (the new one shown once), deleting, and each
// endpoint's delivery log, in pages, where any delivery can be sent again.
import * as api from '../api.js';
import { instant } from '../format.js';
import { field, h, onSubmit, table, uid } from '../dom.js';
import { actionButton, fill, load, secretBox } from '../sections.js';
import { t } from '../i18n.js';

/** The `events` entry that subscribes to every type, including types added later. */
const ALL_EVENTS = '*';
const LOG_PAGE = 20;
/** Unlike a token's, the signing secret is kept as it is (it keys the HMAC), but it is never shown again. */
const secretNote = () => t('webhooks.secretNote');

/** @typedef {import('../api.js').WebhookEndpoint} Endpoint */
/** @typedef {import('../api.js').WebhookDelivery} Delivery */

/**
 * @param {HTMLElement} section the Webhooks card
 * @param {HTMLElement} log the delivery log's card, hidden until an endpoint's log is opened
 * @param {HTMLElement | null} [issued] a new signing secret, shown this once
 */
export async function showWebhooks(section, log, issued = null) {
  await load(section, async () => {
    const { endpoints, eventTypes } = await api.webhooks();
    const reload = () => showWebhooks(section, log);
    fill(
      section,
      h('p', { class: 'hint' }, ...around('webhooks.intro', 'header', h('code', {}, 'webhook-signature'))),
      issued,
      h(
        'div',
        { class: 'table-scroll' },
        table(
          t('webhooks.endpoints'),
          [
            t('webhooks.col.url'),
            t('webhooks.col.events'),
            t('webhooks.col.status'),
            t('webhooks.col.actions'),
          ],
          endpoints.map((e) => [
            [
              h('code', {}, e.url),
              e.description ? [h('br', {}), h('span', { class: 'hint' }, e.description)] : null,
            ],
            eventList(e.events),
            e.enabled
              ? h('span', { class: 'badge ok' }, t('webhooks.enabled'))
              : h('span', { class: 'badge' }, t('webhooks.disabled')),
            endpointActions(section, log, e, reload),
          ]),
          { empty: t('webhooks.none') },
        ),
      ),
      // Open while there is none, so the first one is one step away.
      h(
        'details',
        { open: endpoints.length === 0 },
        h('summary', {}, t('webhooks.addTitle')),
        endpointForm(section, log, eventTypes),
      ),
    );
  });
}

function eventList(/** @type {string[]} */ events) {
  if (events.includes(ALL_EVENTS)) return t('webhooks.allEvents');
  return events.map((type, i) => [i > 0 ? ', ' : '', h('code', {}, type)]);
}

/**
 * @param {HTMLElement} section
 * @param {HTMLElement} log
 * @param {Endpoint} e
 * @param {() => Promise<void>} reload
 */
function endpointActions(section, log, e, reload) {
  const openLog = h(
    'button',
    { type: 'button', 'aria-label': t('webhooks.logOf', { url: e.url }) },
    t('webhooks.log'),
  );
  openLog.addEventListener('click', () => void openDeliveries(log, e));
  const toggle = actionButton({
    label: e.enabled ? t('webhooks.disable') : t('webhooks.enable'),
    name: e.enabled ? t('webhooks.disableNamed', { url: e.url }) : t('webhooks.enableNamed', { url: e.url }),
    run: () => api.changeWebhook(e.id, { enabled: !e.enabled }),
    said: () =>
      e.enabled ? t('webhooks.disabledSaid', { url: e.url }) : t('webhooks.enabledSaid', { url: e.url }),
    then: reload,
  });
  const rotate = actionButton({
    label: t('webhooks.rotate'),
    name: t('webhooks.rotateNamed', { url: e.url }),
    ask: {
      title: t('webhooks.rotateTitle', { url: e.url }),
      body: h('p', {}, t('webhooks.rotateBody')),
      confirm: t('webhooks.rotate'),
      danger: true,
    },
    run: () => api.rotateWebhookSecret(e.id),
    said: () => t('webhooks.rotatedSaid', { url: e.url }),
    then: (made) =>
      showWebhooks(section, log, secretBox(t('webhooks.signingSecret'), made.secret, secretNote())),
  });
  const remove = actionButton({
    label: t('webhooks.delete'),
    name: t('webhooks.deleteNamed', { url: e.url }),
    danger: true,
    ask: {
      title: t('webhooks.deleteTitle', { url: e.url }),
      body: h('p', {}, t('webhooks.deleteBody')),
      confirm: t('webhooks.deleteConfirm'),
      danger: true,
    },
    run: () => api.deleteWebhook(e.id),
    said: () => t('webhooks.deletedSaid', { url: e.url }),
    then: () => {
      // Its log cannot be read any more.
      if (log.getAttribute('data-endpoint') === String(e.id)) log.hidden = true;
      return reload();
    },
  });
  return h('div', { class: 'actions wrap' }, openLog, toggle, rotate, remove);
}

/**
 * @param {HTMLElement} section
 * @param {HTMLElement} log
 * @param {string[]} eventTypes
 */
function endpointForm(section, log, eventTypes) {
  const events = eventChoice(eventTypes);
  const form = h(
    'form',
    { novalidate: true },
    field({
      label: t('webhooks.url'),
      name: 'url',
      type: 'url',
      required: true,
      placeholder: 'https://hr.example.com/hooks/seatkeeper',
      hint: t('webhooks.urlHint'),
    }),
    field({
      label: t('webhooks.description'),
      name: 'description',
      placeholder: t('webhooks.descriptionPlaceholder'),
    }),
    events.fieldset,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('webhooks.add'))),
  );
  onSubmit(form, async (v) => {
    const description = (v.description ?? '').trim();
    const made = await api.createWebhook({
      url: (v.url ?? '').trim(),
      events: events.chosen(),
      ...(description ? { description } : {}),
    });
    await showWebhooks(section, log, secretBox(t('webhooks.signingSecret'), made.secret, secretNote()));
  });
  return form;
}

/**
 * The event types as checkboxes, and "All events". The group is where the server's `/events` errors
 * are shown (`data-pointer`, and an error slot as `field` makes one).
 * @param {string[]} eventTypes
 */
function eventChoice(eventTypes) {
  const id = uid('f-events');
  const box = (/** @type {string} */ value, /** @type {import('../dom.js').Children} */ label) => {
    const boxId = uid('event');
    const input = h('input', { type: 'checkbox', id: boxId, value });
    return { input, row: h('div', { class: 'choice' }, input, ' ', h('label', { for: boxId }, label)) };
  };
  const all = box(ALL_EVENTS, t('webhooks.allEventsLater'));
  const types = eventTypes.map((type) => box(type, h('code', {}, type)));
  // With all events chosen, single types mean nothing: they are greyed out, not sent.
  all.input.addEventListener('change', () => {
    for (const type of types) type.input.disabled = all.input.checked;
  });
  const fieldset = h(
    'fieldset',
    { id, tabindex: -1, 'data-pointer': '/events', 'aria-describedby': `${id}-hint ${id}-error` },
    h('legend', {}, t('webhooks.eventsLegend')),
    h('p', { class: 'hint', id: `${id}-hint` }, t('webhooks.eventsHint')),
    all.row,
    h(
      'div',
      { class: 'choices' },
      types.map((type) => type.row),
    ),
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
  );
  return {
    fieldset,
    /** @returns {string[]} */
    chosen: () =>
      all.input.checked
        ? [ALL_EVENTS]
        : types.filter((type) => type.input.checked).map((type) => type.input.value),
  };
}

// The delivery log.

/** Shows an endpoint's log from `cursor` (or the newest) and takes the reader there. */
async function openDeliveries(
  /** @type {HTMLElement} */ log,
  /** @type {Endpoint} */ e,
  /** @type {string | undefined} */ cursor = undefined,
) {
  await showDeliveries(log, e, cursor);
  const heading = log.querySelector('h2');
  heading?.setAttribute('tabindex', '-1');
  heading?.focus();
}

/**
 * @param {HTMLElement} log
 * @param {Endpoint} e
 * @param {string | undefined} cursor the last id of the page before, or undefined for the newest
 */
async function showDeliveries(log, e, cursor) {
  log.setAttribute('data-endpoint', String(e.id));
  log.hidden = false;
  await load(log, async () => {
    const page = await api.webhookDeliveries(e.id, { cursor, limit: LOG_PAGE });
    const newest = () => showDeliveries(log, e, undefined);
    const button = (/** @type {string} */ label, /** @type {() => void} */ onclick) =>
      h('button', { type: 'button', onclick }, label);
    fill(
      log,
      h('p', {}, ...around('webhooks.logIntro', 'url', h('code', {}, e.url))),
      h(
        'div',
        { class: 'table-scroll' },
        table(
          cursor ? t('webhooks.older') : t('webhooks.latest'),
          [
            t('webhooks.col.eventType'),
            t('webhooks.col.eventId'),
            t('webhooks.col.state'),
            t('webhooks.col.attempts'),
            t('webhooks.col.last'),
            t('webhooks.col.queued'),
            t('webhooks.col.actions'),
          ],
          page.deliveries.map((d) => [
            h('code', {}, d.eventType),
            h('code', {}, d.eventPublicId),
            deliveryState(d),
            attempts(d),
            d.attempts === 0
              ? h('span', { class: 'hint' }, t('webhooks.notTried'))
              : (d.lastError ?? (d.lastStatus === null ? '—' : `HTTP ${d.lastStatus}`)),
            h('time', { datetime: d.createdAt }, instant(d.createdAt)),
            actionButton({
              label: t('webhooks.redeliver'),
              name: t('webhooks.redeliverNamed', { type: d.eventType, id: d.eventPublicId }),
              run: () => api.redeliverWebhook(e.id, d.id),
              said: () => t('webhooks.redeliveredSaid', { type: d.eventType, id: d.eventPublicId }),
              then: newest,
            }),
          ]),
          { empty: cursor ? t('webhooks.noOlder') : t('webhooks.nothingSent') },
        ),
      ),
      h(
        'nav',
        { class: 'pager', 'aria-label': t('webhooks.pages') },
        cursor ? button(t('webhooks.newest'), () => void openDeliveries(log, e)) : null,
        page.nextCursor
          ? button(t('webhooks.olderButton'), () => void openDeliveries(log, e, page.nextCursor ?? undefined))
          : h('span', { class: 'hint' }, t('webhooks.noOlder')),
        button(t('webhooks.refresh'), () => void showDeliveries(log, e, cursor)),
        button(t('webhooks.close'), () => {
          log.hidden = true;
        }),
      ),
    );
  });
}

function deliveryState(/** @type {Delivery} */ d) {
  const [badge, when] =
    d.state === 'delivered'
      ? [h('span', { class: 'badge ok' }, t('webhooks.state.delivered')), instant(d.deliveredAt)]
      : d.state === 'failed'
        ? [h('span', { class: 'badge warn' }, t('webhooks.state.failed')), instant(d.failedAt)]
        : [
            h('span', { class: 'badge' }, t('webhooks.state.pending')),
            d.attempts > 0
              ? t('webhooks.nextAttempt', { when: instant(d.nextAttemptAt) })
              : t('webhooks.due', { when: instant(d.nextAttemptAt) }),
          ];
  return [badge, h('br', {}), h('span', { class: 'hint' }, when)];
}

/** The count, opening onto every attempt: when, what came back, how long it took. */
function attempts(/** @type {Delivery} */ d) {
  if (d.attemptLog.length === 0) return String(d.attempts);
  return h(
    'details',
    {},
    h('summary', {}, String(d.attempts)),
    h(
      'ol',
      { class: 'attempt-log' },
      d.attemptLog.map((a) =>
        h(
          'li',
          {},
          h('time', { datetime: a.startedAt }, instant(a.startedAt)),
          ': ',
          a.error ?? `HTTP ${a.status}`,
          `, ${a.durationMs} ms`,
        ),
      ),
    ),
  );
}

/**
 * A message with an element inside it (a code sample), wherever the language puts it: the message's
 * `{name}` is replaced by `node`.
 * @param {string} key
 * @param {string} name
 * @param {Node} node
 */
function around(key, name, node) {
  const marker = '\u0000';
  const [before = '', after = ''] = t(key, { [name]: marker }).split(marker);
  return [before, node, after];
}
