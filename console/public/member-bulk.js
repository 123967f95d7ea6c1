// @ts-check
// Bulk actions on the members page: select members (a box per row, one for the page), then change
// their seat tier, unassign their seats or remove them. The confirmation names how many members
// and what happens to seats per tier ("3 members will lose their Premium seats; 3 Premium seats
// become free"); the server applies each member on its own (POST /members/bulk) and the result
// names those it refused, and why.
import * as api from './api.js';
import { h, confirmDialog, notice, field } from './dom.js';
import { t } from './i18n.js';

/** @typedef {import('./api.js').Member} Member */
/** @typedef {import('./api.js').UsageTier} UsageTier */
/** @typedef {'change_tier' | 'unassign' | 'remove'} Action */

const HOLDS_SEAT = new Set(['seated', 'invited']);

/**
 * Count per key, in first-seen order.
 * @param {Member[]} members
 * @param {(m: Member) => string | null} key
 */
function countBy(members, key) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const m of members) {
    const k = key(m);
    if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/**
 * What the action does to these members' seats, sentence by sentence, as the confirmation says it.
 * @param {Action} action
 * @param {Member[]} members
 * @param {UsageTier[]} tiers
 * @param {string} [tierId] the tier moved into
 * @returns {string[]}
 */
export function bulkEffect(action, members, tiers, tierId) {
  const name = (/** @type {string} */ id) => tiers.find((x) => x.id === id)?.name ?? id;
  /** @type {string[]} */
  const lines = [];
  if (action === 'unassign') {
    const seated = members.filter((m) => m.seatState === 'seated');
    for (const [tier, count] of countBy(seated, (m) => m.tier)) {
      lines.push(t('bulk.effect.unassign', { count, tier: name(tier) }));
    }
    const rest = members.length - seated.length;
    if (rest > 0) lines.push(t('bulk.effect.notSeated', { count: rest }));
  } else if (action === 'remove') {
    lines.push(t('bulk.effect.remove', { count: members.length }));
    const holding = members.filter((m) => HOLDS_SEAT.has(m.seatState));
    for (const [tier, count] of countBy(holding, (m) => m.tier)) {
      lines.push(t('bulk.effect.freed', { count, tier: name(tier) }));
    }
  } else if (tierId) {
    const already = members.filter((m) => m.tier === tierId && HOLDS_SEAT.has(m.seatState));
    const moving = members.filter(
      (m) => !already.includes(m) && (HOLDS_SEAT.has(m.seatState) || m.seatState === 'unassigned'),
    );
    const free = tiers.find((x) => x.id === tierId)?.available ?? 0;
    if (moving.length > 0) {
      lines.push(t('bulk.effect.move', { count: moving.length, tier: name(tierId), free }));
      if (moving.length > free) {
        lines.push(t('bulk.effect.short', { count: moving.length - free, tier: name(tierId), free }));
      }
      // Which seats free up is certain only when every member moves.
      const movedFrom = moving.filter((m) => HOLDS_SEAT.has(m.seatState));
      if (moving.length <= free) {
        for (const [tier, count] of countBy(movedFrom, (m) => m.tier)) {
          lines.push(t('bulk.effect.freed', { count, tier: name(tier) }));
        }
      }
    }
    if (already.length > 0)
      lines.push(t('bulk.effect.already', { count: already.length, tier: name(tierId) }));
    const stuck = members.length - moving.length - already.length;
    if (stuck > 0) lines.push(t('bulk.effect.noMove', { count: stuck }));
  }
  return lines;
}

/**
 * The selection boxes and the action bar for one page of members.
 * @param {{ members: Member[], tiers: UsageTier[], done: () => void }} spec
 */
export function bulkActions({ members, tiers, done }) {
  /** @type {Map<number, HTMLInputElement>} */
  const boxes = new Map();
  const all = h('input', {
    type: 'checkbox',
    'aria-label': t('bulk.selectAll'),
    'data-testid': 'select-all',
  });
  const counter = h('span', { 'data-testid': 'bulk-count', 'aria-live': 'polite' });
  const apply = h('button', { type: 'submit', class: 'primary' }, t('bulk.apply'));
  const selected = () => members.filter((m) => boxes.get(m.id)?.checked);
  const update = () => {
    const n = selected().length;
    counter.textContent = t('bulk.selected', { count: n });
    apply.disabled = n === 0;
    all.checked = n > 0 && n === members.length;
    all.indeterminate = n > 0 && n < members.length;
  };
  all.addEventListener('change', () => {
    for (const box of boxes.values()) box.checked = all.checked;
    update();
  });
  for (const m of members) {
    const box = h('input', {
      type: 'checkbox',
      'aria-label': t('bulk.select', { name: m.displayName ?? m.email }),
      'data-member': m.id,
    });
    box.addEventListener('change', update);
    boxes.set(m.id, box);
  }

  const actionField = field({
    label: t('bulk.action'),
    name: 'action',
    value: 'unassign',
    options: [
      { value: 'unassign', label: t('bulk.action.unassign') },
      { value: 'change_tier', label: t('bulk.action.change_tier') },
      { value: 'remove', label: t('bulk.action.remove') },
    ],
  });
  const tierField = field({
    label: t('bulk.tier'),
    name: 'tier',
    value: tiers[0]?.id ?? '',
    options: tiers.map((x) => ({ value: x.id, label: x.name })),
  });
  tierField.hidden = true;
  const actionSelect = /** @type {HTMLSelectElement} */ (actionField.querySelector('select'));
  const tierSelect = /** @type {HTMLSelectElement} */ (tierField.querySelector('select'));
  actionSelect.addEventListener('change', () => {
    tierField.hidden = actionSelect.value !== 'change_tier';
  });

  const bar = h(
    'form',
    { class: 'card bulk', 'aria-label': t('bulk.heading'), novalidate: true, 'data-testid': 'bulk-bar' },
    h('div', { class: 'filters' }, counter, actionField, tierField, h('div', { class: 'actions' }, apply)),
  );
  bar.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = selected();
    if (chosen.length === 0) return;
    const action = /** @type {Action} */ (actionSelect.value);
    const tier = action === 'change_tier' ? tierSelect.value : undefined;
    const tierName = tiers.find((x) => x.id === tier)?.name ?? tier ?? '';
    void confirmDialog({
      title: t(`bulk.confirm.title.${action}`, { count: chosen.length, tier: tierName }),
      body: bulkEffect(action, chosen, tiers, tier).map((line) => h('p', {}, line)),
      confirm: t(`bulk.confirm.${action}`, { count: chosen.length, tier: tierName }),
      danger: action !== 'change_tier',
    }).then((yes) => {
      if (!yes) return;
      apply.disabled = true;
      api.bulkMembers({ action, memberIds: chosen.map((m) => m.id), ...(tier ? { tier } : {}) }).then(
        (answer) => {
          const refused = answer.results.filter((r) => !r.ok);
          const email = (/** @type {number} */ id) => members.find((m) => m.id === id)?.email ?? `#${id}`;
          notice(
            [
              h('span', {}, t('bulk.done', { changed: answer.changed, refused: answer.refused })),
              refused.length > 0
                ? h(
                    'ul',
                    {},
                    refused.map((r) =>
                      h(
                        'li',
                        {},
                        t('bulk.refusedItem', { email: email(r.memberId), reason: r.problem?.detail ?? '' }),
                      ),
                    ),
                  )
                : null,
            ],
            refused.length > 0 && answer.changed === 0 ? 'error' : 'ok',
          );
          done();
        },
        (error) => {
          apply.disabled = false;
          notice(error instanceof Error ? error.message : t('bulk.failed'), 'error');
        },
      );
    });
  });
  update();

  return {
    bar,
    /** Puts the boxes into the members table: a first column, its header the page's box. */
    attach(/** @type {HTMLTableElement} */ tableElement) {
      const head = tableElement.querySelector('thead tr th');
      if (head) head.replaceChildren(all);
      const rows = Array.from(tableElement.querySelectorAll('tbody tr'));
      members.forEach((m, i) => {
        const cell = rows[i]?.querySelector('td');
        const box = boxes.get(m.id);
        if (cell && box) cell.replaceChildren(box);
      });
    },
  };
}
