// @ts-check
// Billing settings (owners): the contract, the seats per tier with "Add seats" and "Upgrade seats",
// and the product's purchase flow: enter increases per tier and upgrades to a higher tier, Review (a
// quote: every invoice line and the total, nothing bought), then confirm with a button that says
// what it buys and for how much (the invoice is issued at once and shown). Also what the next
// renewal would invoice, refreshed after each purchase, and whom invoices are addressed to.
import * as api from '../api.js';
import { count, date, instant, money, perMonth, words } from '../format.js';
import { field, h, notice, onSubmit, pageProblem, replace, table } from '../dom.js';
import { ApiError } from '../http.js';
import { t } from '../i18n.js';
import { billingContactSection } from './billing-contact.js';
import { loadSeatSummary } from '../seat-summary.js';

/** @typedef {import('../api.js').Billing} Billing */
/** @typedef {import('../api.js').InvoiceLine} InvoiceLine */

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {Billing} */
  let overview;
  try {
    overview = await api.billing();
  } catch (error) {
    replace(ctx.main, h('h1', {}, t('billing.title')), pageProblem(error));
    return;
  }
  const seats = h('section', { 'aria-labelledby': 'seats-heading', class: 'card' });
  const renewal = h('section', { 'aria-labelledby': 'renewal-heading', class: 'card' });
  renewalOf.set(seats, renewal);
  replace(
    ctx.main,
    h('h1', {}, t('billing.title')),
    contractSection(overview),
    loadSeatSummary(),
    seats,
    renewal,
    billingContactSection(),
  );
  // Arriving with a purchase filled in (from a refused tier change): straight to the editor.
  const prefilled = Object.fromEntries([...ctx.search].filter(([key]) => /^(add|upgrade|move)\./.test(key)));
  if (Object.keys(prefilled).length > 0) showEditor(seats, overview, prefilled);
  else showSeats(seats, overview);
  void showRenewal(renewal);
}

function contractSection(/** @type {Billing} */ { contract }) {
  return h(
    'section',
    { 'aria-labelledby': 'contract-heading', class: 'card' },
    h('h2', { id: 'contract-heading' }, t('billing.contract')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('billing.currentTerm')),
      h(
        'dd',
        {},
        t('billing.termRange', {
          number: contract.termNumber,
          start: date(contract.termStart),
          end: date(contract.termEnd),
        }),
      ),
      h('dt', {}, t('billing.timeZone')),
      h('dd', {}, contract.timeZone),
      h('dt', {}, t('invoice.currency')),
      h('dd', {}, contract.currency),
      h('dt', {}, t('billing.autoRenew')),
      h('dd', {}, contract.autoRenew ? t('billing.yes') : t('billing.no')),
      h('dt', {}, t('billing.status')),
      h('dd', {}, words(contract.status)),
    ),
    h('p', { class: 'hint' }, t('billing.prorated')),
  );
}

/** The renewal section of the page a seats section is on: refreshed after a purchase. */
const renewalOf = new WeakMap();

/** The seats per tier, with the buttons that open the editor at adding or at upgrading. */
function showSeats(/** @type {HTMLElement} */ section, /** @type {Billing} */ overview) {
  const { contract, tiers } = overview;
  const add = h('button', { type: 'button' }, t('billing.addSeats'));
  add.addEventListener('click', () => showEditor(section, overview, {}, 'add'));
  const upgrade =
    upgradePaths(tiers).length > 0 ? h('button', { type: 'button' }, t('billing.upgradeSeats')) : null;
  upgrade?.addEventListener('click', () => showEditor(section, overview, {}, 'upgrade'));
  replace(
    section,
    h(
      'div',
      { class: 'section-head' },
      h('h2', { id: 'seats-heading' }, t('billing.seats')),
      h('div', { class: 'actions' }, add, upgrade),
    ),
    table(
      t('billing.seatsCaption'),
      [
        t('usage.col.tier'),
        t('billing.col.price'),
        t('usage.col.bought'),
        t('billing.col.inUse'),
        t('usage.col.available'),
      ],
      tiers.map((tier) => [
        tier.name,
        perMonth(tier.unitPriceMinor, contract.currency, contract.currencyDigits),
        count(tier.allocation),
        count(tier.held),
        count(tier.available),
      ]),
      { numeric: [1, 2, 3, 4] },
    ),
  );
}

/** Upgrade paths: every tier to each higher-ranked one, lowest first. */
function upgradePaths(/** @type {Billing['tiers']} */ tiers) {
  const byRank = [...tiers].sort((a, b) => a.rank - b.rank);
  return byRank.flatMap((from, i) => byRank.slice(i + 1).map((to) => ({ from, to })));
}

/** Step one: how many seats to add per tier and to upgrade, then Review. */
function showEditor(
  /** @type {HTMLElement} */ section,
  /** @type {Billing} */ overview,
  /** @type {Record<string, string>} */ previous = {},
  /** @type {'add' | 'upgrade'} */ start = 'add',
) {
  const { tiers } = overview;
  const paths = upgradePaths(tiers);
  const form = h(
    'form',
    { novalidate: true, class: 'seat-editor' },
    h('h2', { id: 'seats-heading' }, t('billing.changeHeading')),
    h(
      'fieldset',
      { 'data-part': 'add' },
      h('legend', {}, t('billing.addSeats')),
      [...tiers]
        .sort((a, b) => a.rank - b.rank)
        .map((tier) =>
          field({
            label: t('billing.addTier', { tier: tier.name }),
            name: `add.${tier.id}`,
            pointer: `/add/${tier.id}`,
            type: 'number',
            min: 0,
            value: previous[`add.${tier.id}`] ?? '0',
          }),
        ),
    ),
    paths.length > 0
      ? h(
          'fieldset',
          { 'data-part': 'upgrade' },
          h('legend', {}, t('billing.upgradeSeats')),
          h('p', { class: 'hint' }, t('billing.upgradeHint')),
          paths.map(({ from, to }) => [
            field({
              label: t('billing.upgradeTier', { from: from.name, to: to.name }),
              name: `upgrade.${from.id}.${to.id}`,
              type: 'number',
              min: 0,
              value: previous[`upgrade.${from.id}.${to.id}`] ?? '0',
            }),
            field({
              label: t('billing.moving', { from: from.name, to: to.name }),
              name: `move.${from.id}.${to.id}`,
              rows: 2,
              value: previous[`move.${from.id}.${to.id}`] ?? '',
              hint: t('billing.movingHint', { from: from.name }),
            }),
          ]),
        )
      : null,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('billing.review')),
      h('button', { type: 'button', 'data-cancel': true }, t('dialog.cancel')),
    ),
  );
  form.querySelector('[data-cancel]')?.addEventListener('click', () => showSeats(section, overview));
  onSubmit(form, async (v) => {
    /** @type {import('../api.js').QuoteRequest} */
    const request = {};
    /** @type {Record<string, number>} */
    const add = {};
    for (const t of tiers) {
      const n = wholeNumber(v[`add.${t.id}`]);
      if (n !== 0) add[t.id] = n; // the server judges anything but zero
    }
    if (Object.keys(add).length > 0) request.add = add;
    /** @type {NonNullable<import('../api.js').QuoteRequest['upgrades']>} */
    const upgrades = [];
    for (const { from, to } of paths) {
      const name = `upgrade.${from.id}.${to.id}`;
      const move = `move.${from.id}.${to.id}`;
      const n = wholeNumber(v[name]);
      // Errors about this upgrade point at its index in the request that is sent.
      const at = `/upgrades/${upgrades.length}`;
      form.querySelector(`[name="${name}"]`)?.setAttribute('data-pointer', `${at}/quantity`);
      form.querySelector(`[name="${move}"]`)?.setAttribute('data-pointer', `${at}/moveMemberIds`);
      if (n === 0) continue;
      const moveMemberIds = await memberIds(v[move] ?? '', `${at}/moveMemberIds`);
      upgrades.push({
        from: from.id,
        to: to.id,
        quantity: n,
        ...(moveMemberIds.length ? { moveMemberIds } : {}),
      });
    }
    if (upgrades.length > 0) request.upgrades = upgrades;
    if (!request.add && !request.upgrades) {
      // Nothing to price: said in words, with no code (nothing was asked of the server).
      throw new ApiError({ status: 400, code: '', detail: t('billing.nothingToBuy') });
    }
    /** @type {import('../api.js').Quote} */
    let quoted;
    try {
      quoted = await api.quote(request);
    } catch (error) {
      throw atMoveField(error, upgrades);
    }
    showReview(section, overview, quoted, v);
  });
  replace(section, form);
  /** @type {HTMLInputElement | null} */ (
    form.querySelector(`[data-part="${start}"] input`) ?? form.querySelector('input')
  )?.focus();
}

/**
 * The members named by email (one per line, or separated by commas), as member ids; an address that
 * is not a member's is refused at the field it was typed in.
 * @param {string} text
 * @param {string} pointer
 */
async function memberIds(text, pointer) {
  const emails = text
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter(Boolean);
  const ids = [];
  for (const email of emails) {
    const { members } = await api.members({ q: email, perPage: 10 });
    const found = members.find((m) => m.email.toLowerCase() === email.toLowerCase());
    if (!found) {
      throw new ApiError({
        status: 400,
        code: 'unknown_member',
        detail: t('billing.notMember', { email }),
        errors: [{ pointer, detail: t('billing.notMemberOfOrganisation', { email }) }],
      });
    }
    ids.push(found.id);
  }
  return ids;
}

/**
 * A refusal about the members an upgrade needs (too few unclaimed seats, or a named member not in
 * the tier) is shown at that upgrade's members field.
 * @param {unknown} error
 * @param {{ from: string }[]} upgrades as sent
 */
function atMoveField(error, upgrades) {
  if (!(error instanceof ApiError) || error.problem.errors?.length) return error;
  if (error.code !== 'upgrade_needs_members' && error.code !== 'member_not_in_tier') return error;
  const tier = typeof error.problem.tier === 'string' ? error.problem.tier : upgrades[0]?.from;
  const index = Math.max(
    0,
    upgrades.findIndex((u) => u.from === tier),
  );
  return new ApiError({
    ...error.problem,
    errors: [{ pointer: `/upgrades/${index}/moveMemberIds`, detail: error.message }],
  });
}

/** A field's value as a number of seats: empty is 0, anything else goes to the server to judge. */
function wholeNumber(/** @type {string | undefined} */ text) {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return 0;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : NaN;
}

/** The lines and total of an invoice or quote. */
export function linesTable(
  /** @type {string} */ caption,
  /** @type {InvoiceLine[]} */ lines,
  /** @type {number} */ totalMinor,
  /** @type {string} */ currency,
  /** @type {number | undefined} */ digits,
) {
  const lined = table(
    caption,
    [
      t('billing.col.description'),
      t('billing.seats'),
      t('billing.col.monthly'),
      t('billing.col.months'),
      t('billing.col.amount'),
    ],
    lines.map((l) => [
      l.description,
      count(l.quantity),
      money(l.unitPriceMinor, currency, digits),
      l.months.text,
      h('span', { 'data-testid': 'line-amount' }, money(l.amountMinor, currency, digits)),
    ]),
    { numeric: [1, 2, 3, 4], empty: t('billing.noLines') },
  );
  lined.append(
    h(
      'tfoot',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'row', colspan: 4 }, t('billing.total')),
        h('td', { class: 'num', 'data-testid': 'total' }, money(totalMinor, currency, digits)),
      ),
    ),
  );
  return lined;
}

/**
 * What the confirm button does, in words: "Buy 5 seats for €2,500.00", "Upgrade 10 seats for …",
 * or both, with the quote's total.
 * @param {import('../api.js').Quote} quoted
 * @param {number} digits
 */
export function purchaseLabel(quoted, digits) {
  const added = quoted.lines.filter((l) => l.action === 'add').reduce((n, l) => n + l.quantity, 0);
  const upgraded = quoted.lines.filter((l) => l.action === 'upgrade').reduce((n, l) => n + l.quantity, 0);
  const amount = money(quoted.totalMinor, quoted.currency, digits);
  const key =
    added > 0 && upgraded > 0 ? 'billing.buy.both' : added > 0 ? 'billing.buy.add' : 'billing.buy.upgrade';
  return t(key, { added, upgraded, amount });
}

/** Step two: the quote's lines and total; the confirm button buys exactly that. */
function showReview(
  /** @type {HTMLElement} */ section,
  /** @type {Billing} */ overview,
  /** @type {import('../api.js').Quote} */ quoted,
  /** @type {Record<string, string>} */ entered,
) {
  const digits = overview.contract.currencyDigits;
  const form = h(
    'form',
    {},
    h('h2', { id: 'seats-heading' }, t('billing.reviewHeading')),
    linesTable(t('billing.invoiceOfPurchase'), quoted.lines, quoted.totalMinor, quoted.currency, digits),
    h('p', { class: 'hint' }, t('billing.priceHolds', { until: instant(quoted.expiresAt) })),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, purchaseLabel(quoted, digits)),
      h('button', { type: 'button', 'data-back': true }, t('billing.change')),
    ),
  );
  form.querySelector('[data-back]')?.addEventListener('click', () => showEditor(section, overview, entered));
  onSubmit(form, async () => {
    const issued = await api.confirmQuote(quoted.id);
    const fresh = await api.billing();
    showSeats(section, fresh);
    section.append(
      h(
        'div',
        { class: 'issued', role: 'region', 'aria-labelledby': 'issued-heading' },
        h('h3', { id: 'issued-heading' }, t('billing.issuedHeading', { number: issued.number })),
        linesTable(
          t('invoice.title', { number: issued.number }),
          issued.lines,
          issued.totalMinor,
          issued.currency,
          digits,
        ),
        h(
          'p',
          {},
          h(
            'a',
            { href: `/console/invoices/${encodeURIComponent(issued.number)}` },
            t('billing.viewInvoice', { number: issued.number }),
          ),
        ),
      ),
    );
    notice(t('billing.bought', { number: issued.number }));
    // The renewal counts seats in use; refreshed, it never shows a figure from before the purchase.
    const renewal = renewalOf.get(section);
    if (renewal) await showRenewal(renewal);
  });
  replace(section, form);
  form.querySelector('button')?.focus();
}

async function showRenewal(/** @type {HTMLElement} */ section) {
  replace(
    section,
    h('h2', { id: 'renewal-heading' }, t('billing.renewal')),
    h('p', { class: 'loading' }, t('app.loading')),
  );
  try {
    const preview = await api.renewalPreview();
    replace(
      section,
      h('h2', { id: 'renewal-heading' }, t('billing.renewal')),
      preview.renews
        ? [
            h(
              'p',
              {},
              t('billing.renewalText', {
                number: preview.nextTerm.number,
                start: date(preview.nextTerm.start),
              }),
            ),
            linesTable(
              t('billing.renewalPreview'),
              preview.lines,
              preview.totalMinor,
              preview.currency,
              undefined,
            ),
          ]
        : h('p', {}, t('billing.noRenewal', { end: date(preview.nextTerm.start) })),
    );
  } catch (error) {
    replace(section, h('h2', { id: 'renewal-heading' }, t('billing.renewal')), pageProblem(error));
  }
}
