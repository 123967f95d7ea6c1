// @ts-check
// The Webhooks section of Identity and access (owners): the endpoints Seatkeeper posts its events to
// (docs/webhooks.md), adding one with the event types it wants (its signing secret shown once),
// enabling and disabling, rotating the secret (the new one shown once), deleting, and each
// endpoint's delivery log, in pages, where any delivery can be sent again.
import * as api from '../api.js';
import { instant } from '../format.js';
import { field, h, onSubmit, table, uid } from '../dom.js';
import { actionButton, fill, load, secretBox } from '../sections.js';

/** The `events` entry that subscribes to every type, including types added later. */
const ALL_EVENTS = '*';
const LOG_PAGE = 20;
/** Unlike a token's, the signing secret is kept as it is (it keys the HMAC), but it is never shown again. */
const SECRET_NOTE =
  'Copy it now into your receiver: it is shown only this once. The receiver checks each delivery’s webhook-signature header with it (Standard Webhooks).';

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
      h(
        'p',
        { class: 'hint' },
        'Seatkeeper posts each event to the endpoints that subscribe to it, signed with the endpoint’s secret in the ',
        h('code', {}, 'webhook-signature'),
        ' header (Standard Webhooks).',
      ),
      issued,
      h(
        'div',
        { class: 'table-scroll' },
        table(
          'Webhook endpoints',
          ['URL', 'Events', 'Status', 'Actions'],
          endpoints.map((e) => [
            [
              h('code', {}, e.url),
              e.description ? [h('br', {}), h('span', { class: 'hint' }, e.description)] : null,
            ],
            eventList(e.events),
            e.enabled
              ? h('span', { class: 'badge ok' }, 'Enabled')
              : h('span', { class: 'badge' }, 'Disabled'),
            endpointActions(section, log, e, reload),
          ]),
          { empty: 'No webhook endpoints.' },
        ),
      ),
      // Open while there is none, so the first one is one step away.
      h(
        'details',
        { open: endpoints.length === 0 },
        h('summary', {}, 'Add a webhook endpoint'),
        endpointForm(section, log, eventTypes),
      ),
    );
  });
}

function eventList(/** @type {string[]} */ events) {
  if (events.includes(ALL_EVENTS)) return 'All events';
  return events.map((type, i) => [i > 0 ? ', ' : '', h('code', {}, type)]);
}

/**
 * @param {HTMLElement} section
 * @param {HTMLElement} log
 * @param {Endpoint} e
 * @param {() => Promise<void>} reload
 */
function endpointActions(section, log, e, reload) {
  const openLog = h('button', { type: 'button', 'aria-label': `Delivery log of ${e.url}` }, 'Delivery log');
  openLog.addEventListener('click', () => void openDeliveries(log, e));
  const toggle = actionButton({
    label: e.enabled ? 'Disable' : 'Enable',
    name: `${e.enabled ? 'Disable' : 'Enable'} ${e.url}`,
    run: () => api.changeWebhook(e.id, { enabled: !e.enabled }),
    said: () =>
      e.enabled
        ? `${e.url} is disabled: nothing new is queued for it, and what is queued waits until it is enabled.`
        : `${e.url} is enabled.`,
    then: reload,
  });
  const rotate = actionButton({
    label: 'Rotate secret',
    name: `Rotate the signing secret of ${e.url}`,
    ask: {
      title: `Give ${e.url} a new signing secret?`,
      body: h(
        'p',
        {},
        'For 24 hours deliveries are signed with both the current secret and the new one, which is shown only once: give the receiver the new one within the day. Then only the new one signs.',
      ),
      confirm: 'Rotate secret',
      danger: true,
    },
    run: () => api.rotateWebhookSecret(e.id),
    said: () => `${e.url} has a new signing secret.`,
    then: (made) => showWebhooks(section, log, secretBox('signing secret', made.secret, SECRET_NOTE)),
  });
  const remove = actionButton({
    label: 'Delete',
    name: `Delete ${e.url}`,
    danger: true,
    ask: {
      title: `Delete webhook endpoint ${e.url}?`,
      body: h(
        'p',
        {},
        'Nothing more is sent to it, and what it has not received yet is given up. This cannot be undone.',
      ),
      confirm: 'Delete endpoint',
      danger: true,
    },
    run: () => api.deleteWebhook(e.id),
    said: () => `${e.url} is deleted.`,
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
      label: 'Endpoint URL',
      name: 'url',
      type: 'url',
      required: true,
      placeholder: 'https://hr.example.com/hooks/seatkeeper',
      hint: 'Where the events are posted, usually https; no user name or password in it (each delivery is signed instead).',
    }),
    field({ label: 'Description (optional)', name: 'description', placeholder: 'HR system' }),
    events.fieldset,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add endpoint')),
  );
  onSubmit(form, async (v) => {
    const description = (v.description ?? '').trim();
    const made = await api.createWebhook({
      url: (v.url ?? '').trim(),
      events: events.chosen(),
      ...(description ? { description } : {}),
    });
    await showWebhooks(section, log, secretBox('signing secret', made.secret, SECRET_NOTE));
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
  const all = box(ALL_EVENTS, 'All events, including types added later');
  const types = eventTypes.map((type) => box(type, h('code', {}, type)));
  // With all events chosen, single types mean nothing: they are greyed out, not sent.
  all.input.addEventListener('change', () => {
    for (const t of types) t.input.disabled = all.input.checked;
  });
  const fieldset = h(
    'fieldset',
    { id, tabindex: -1, 'data-pointer': '/events', 'aria-describedby': `${id}-hint ${id}-error` },
    h('legend', {}, 'Events to send'),
    h('p', { class: 'hint', id: `${id}-hint` }, 'The event types this endpoint receives.'),
    all.row,
    h(
      'div',
      { class: 'choices' },
      types.map((t) => t.row),
    ),
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
  );
  return {
    fieldset,
    /** @returns {string[]} */
    chosen: () =>
      all.input.checked ? [ALL_EVENTS] : types.filter((t) => t.input.checked).map((t) => t.input.value),
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
      h(
        'p',
        {},
        'Deliveries to ',
        h('code', {}, e.url),
        ', newest first. Redeliver sends the same event (same event id) again, as a new delivery.',
      ),
      h(
        'div',
        { class: 'table-scroll' },
        table(
          cursor ? 'Older deliveries' : 'Latest deliveries',
          ['Event type', 'Event ID', 'State', 'Attempts', 'Last status or error', 'Queued', 'Actions'],
          page.deliveries.map((d) => [
            h('code', {}, d.eventType),
            h('code', {}, d.eventPublicId),
            deliveryState(d),
            attempts(d),
            d.attempts === 0
              ? h('span', { class: 'hint' }, 'Not tried yet')
              : (d.lastError ?? (d.lastStatus === null ? '—' : `HTTP ${d.lastStatus}`)),
            h('time', { datetime: d.createdAt }, instant(d.createdAt)),
            actionButton({
              label: 'Redeliver',
              name: `Redeliver ${d.eventType} ${d.eventPublicId}`,
              run: () => api.redeliverWebhook(e.id, d.id),
              said: () => `${d.eventType} ${d.eventPublicId} is queued again, as a new delivery.`,
              then: newest,
            }),
          ]),
          { empty: cursor ? 'No older deliveries.' : 'Nothing was sent to this endpoint yet.' },
        ),
      ),
      h(
        'nav',
        { class: 'pager', 'aria-label': 'Delivery log pages' },
        cursor ? button('Newest', () => void openDeliveries(log, e)) : null,
        page.nextCursor
          ? button('Older', () => void openDeliveries(log, e, page.nextCursor ?? undefined))
          : h('span', { class: 'hint' }, 'No older deliveries.'),
        button('Refresh', () => void showDeliveries(log, e, cursor)),
        button('Close', () => {
          log.hidden = true;
        }),
      ),
    );
  });
}

function deliveryState(/** @type {Delivery} */ d) {
  const [badge, when] =
    d.state === 'delivered'
      ? [h('span', { class: 'badge ok' }, 'Delivered'), instant(d.deliveredAt)]
      : d.state === 'failed'
        ? [h('span', { class: 'badge warn' }, 'Given up'), instant(d.failedAt)]
        : [
            h('span', { class: 'badge' }, 'Pending'),
            `${d.attempts > 0 ? 'next attempt' : 'due'} ${instant(d.nextAttemptAt)}`,
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
