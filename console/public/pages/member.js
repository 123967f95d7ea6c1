// @ts-check
// One member (administrators): who they are, their seat and how they arrived, their SSO identities,
// and what an administrator may do with them: change the seat tier, change the role (owners),
// unassign the seat, remove them, re-send or revoke their invitation, and hand them primary
// ownership (the primary owner; the member confirms by email). The server decides every rule; the
// page only leaves out what the caller's role can never do.
/* global URLSearchParams */
import * as api from '../api.js';
import { count, instant, words } from '../format.js';
import { confirmDialog, field, h, notice, onSubmit, pageProblem, replace, roleName, table } from '../dom.js';
import { BASE, may, navigate } from '../shell.js';
import { ApiError } from '../http.js';
import { invitationActions, SOURCES } from './members.js';

/** Problems about the tier asked for, shown at the tier field. */
const TIER_FIELDS = {
  seats_exhausted: '/tier',
  unknown_tier: '/tier',
  invalid_seat_state: '/tier',
  contract_expired: '/tier',
};

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  const id = Number(ctx.params[0]);
  /** @type {import('../api.js').Member & import('../api.js').MemberDetail} */
  let m;
  /** @type {import('../api.js').Usage} */
  let usage;
  try {
    [m, usage] = await Promise.all([api.member(id), api.usage()]);
  } catch (error) {
    replace(
      ctx.main,
      h('p', { class: 'breadcrumb' }, h('a', { href: `${BASE}/members` }, 'Members')),
      h('h1', {}, 'Member'),
      pageProblem(error),
    );
    return;
  }
  const session = ctx.session;
  const role = session?.role ?? 'user';
  const self = session?.member?.id === m.id;
  const reload = () => render(ctx);
  const holdsSeat = m.seatState === 'seated' || m.seatState === 'invited';

  replace(
    ctx.main,
    h('p', { class: 'breadcrumb' }, h('a', { href: `${BASE}/members` }, 'Members')),
    h('h1', {}, m.displayName ?? m.email),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'member-heading' },
      h('h2', { id: 'member-heading' }, 'Member'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Email'),
        h('dd', {}, m.email),
        h('dt', {}, 'Role'),
        h('dd', { 'data-testid': 'member-role' }, roleName(m.role)),
        h('dt', {}, 'Seat'),
        h('dd', { 'data-testid': 'member-seat' }, words(m.seatState)),
        h('dt', {}, 'Tier'),
        h('dd', { 'data-testid': 'member-tier' }, m.tier ?? '—'),
        h('dt', {}, 'Arrived by'),
        h('dd', {}, SOURCES[m.source] ?? words(m.source)),
        h('dt', {}, 'Member since'),
        h('dd', {}, instant(m.createdAt)),
        h('dt', {}, 'Last changed'),
        h('dd', {}, instant(m.updatedAt)),
      ),
      h('p', {}, h('a', { href: `${BASE}/audit?member=${m.id}` }, 'Audit log of this member')),
    ),
    m.invitation
      ? h(
          'section',
          { class: 'card', 'aria-labelledby': 'invitation-heading' },
          h('h2', { id: 'invitation-heading' }, 'Invitation'),
          h(
            'p',
            {},
            `${words(m.invitation.status)}: sent ${instant(m.invitation.sentAt)}, expires ${instant(m.invitation.expiresAt)}.`,
          ),
          invitationActions(
            {
              id: m.invitation.id,
              memberId: m.id,
              email: m.email,
              displayName: m.displayName,
              role: m.role,
              tier: m.tier,
              status: /** @type {import('../api.js').Invitation['status']} */ (m.invitation.status),
              sentAt: m.invitation.sentAt,
              expiresAt: m.invitation.expiresAt,
              endedAt: null,
            },
            () => void reload(),
          ),
        )
      : null,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'identities-heading' },
      h('h2', { id: 'identities-heading' }, 'Single sign-on identities'),
      table(
        'Identities linked at sign-in',
        ['Connection', 'Protocol', 'Subject', 'Linked', 'Last sign-in'],
        m.identities.map((i) => [
          i.connectionName,
          i.protocol === 'saml' ? 'SAML' : 'OpenID Connect',
          h('code', {}, i.subject),
          instant(i.createdAt),
          instant(i.lastSignInAt) || 'never',
        ]),
        { empty: 'None yet.' },
      ),
    ),
    self
      ? h('p', { class: 'hint' }, 'This is you: your own role and seat are changed by another administrator.')
      : h(
          'section',
          { class: 'card', 'aria-labelledby': 'manage-heading' },
          h('h2', { id: 'manage-heading' }, 'Manage'),
          holdsSeat || m.seatState === 'unassigned'
            ? tierForm(m, usage.tiers, may(role, 'owner'), reload)
            : null,
          may(role, 'owner') && m.role !== 'primary_owner' && m.seatState !== 'removed'
            ? roleForm(m, reload)
            : null,
          seatActions(m, reload),
          role === 'primary_owner' && m.seatState === 'seated' ? transferForm(m) : null,
        ),
  );
}

/**
 * The seat tier: a change (or, for an unassigned member, a seat again). Refused for want of a seat,
 * an owner is offered the purchase the server names, ready to review on the billing page.
 * @param {import('../api.js').Member} m
 * @param {import('../api.js').UsageTier[]} tiers
 * @param {boolean} owner
 * @param {() => Promise<void>} reload
 */
function tierForm(m, tiers, owner, reload) {
  const offer = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { novalidate: true },
    field({
      label: 'Seat tier',
      name: 'tier',
      value: m.tier ?? '',
      options: tiers.map((t) => ({
        value: t.id,
        label: t.id === m.tier ? `${t.name} (current)` : `${t.name} (${count(t.available)} free)`,
      })),
    }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, m.seatState === 'unassigned' ? 'Give a seat' : 'Change tier'),
    ),
    offer,
  );
  onSubmit(
    form,
    async (v) => {
      replace(offer);
      const tier = v.tier ?? '';
      try {
        const changed = await api.changeTier(m.id, tier);
        await reload();
        notice(`${changed.email} now has a ${changed.tier ?? tier} seat.`);
      } catch (error) {
        if (owner && error instanceof ApiError && error.code === 'seats_exhausted') {
          replace(offer, purchaseLinks(error.problem, m));
        }
        throw error;
      }
    },
    TIER_FIELDS,
  );
  return form;
}

/**
 * Links to the billing page with the purchase (and its alternative) the server named filled in.
 * @param {import('../http.js').Problem} problem
 * @param {import('../api.js').Member} m
 */
function purchaseLinks(problem, m) {
  const links = [
    ['Review buying the seat', problem.purchase],
    ['Review upgrading their seat instead', problem.alternative],
  ].flatMap(([label, body]) => {
    const params = purchaseParams(/** @type {import('../api.js').QuoteRequest | undefined} */ (body), m);
    return params ? [h('a', { class: 'button', href: `${BASE}/billing?${params}` }, String(label))] : [];
  });
  return links.length > 0 ? h('div', { class: 'actions' }, links) : null;
}

/**
 * A quote body as the billing editor's fields (`add.premium=1`, `upgrade.standard.premium=1`,
 * `move.standard.premium=<email>`), or null when it has nothing the editor shows.
 * @param {import('../api.js').QuoteRequest | undefined} body
 * @param {import('../api.js').Member} m
 */
function purchaseParams(body, m) {
  if (!body || typeof body !== 'object') return null;
  const params = new URLSearchParams();
  for (const [tier, n] of Object.entries(body.add ?? {})) params.set(`add.${tier}`, String(n));
  for (const u of body.upgrades ?? []) {
    params.set(`upgrade.${u.from}.${u.to}`, String(u.quantity));
    if (u.moveMemberIds?.includes(m.id)) params.set(`move.${u.from}.${u.to}`, m.email);
  }
  return params.size > 0 ? params.toString() : null;
}

/** @param {import('../api.js').Member} m @param {() => Promise<void>} reload */
function roleForm(m, reload) {
  const form = h(
    'form',
    { novalidate: true },
    field({
      label: 'Role',
      name: 'role',
      value: m.role,
      options: ['user', 'admin', 'owner'].map((r) => ({ value: r, label: roleName(r) })),
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Change role')),
  );
  onSubmit(form, async (v) => {
    const changed = await api.changeRole(m.id, v.role ?? m.role);
    await reload();
    notice(`${changed.email} is now ${roleName(changed.role).toLowerCase()}.`);
  });
  return form;
}

/** Unassign and remove, each confirmed in a dialog. */
function seatActions(/** @type {import('../api.js').Member} */ m, /** @type {() => Promise<void>} */ reload) {
  if (m.seatState === 'removed' || m.role === 'primary_owner') return null;
  const buttons = [];
  if (m.seatState === 'seated') {
    const unassign = h('button', { type: 'button' }, 'Unassign seat');
    unassign.addEventListener('click', () => {
      void confirmDialog({
        title: `Unassign ${m.email}’s seat?`,
        body: h(
          'p',
          {},
          'They stay a member but lose access until they get a seat again. Their seat becomes free for someone else.',
        ),
        confirm: 'Unassign seat',
      }).then((yes) => {
        if (!yes) return;
        api.unassign(m.id).then(
          () => reload().then(() => notice(`${m.email}’s seat is free; they stay a member.`)),
          (error) => notice(error instanceof Error ? error.message : 'Unassigning failed.', 'error'),
        );
      });
    });
    buttons.push(unassign);
  }
  const remove = h('button', { type: 'button', class: 'danger' }, 'Remove member');
  remove.addEventListener('click', () => {
    void confirmDialog({
      title: `Remove ${m.email}?`,
      body: h(
        'p',
        {},
        'They lose access at once and any seat they hold is released. Adding them again later keeps their history.',
      ),
      confirm: 'Remove member',
      danger: true,
    }).then((yes) => {
      if (!yes) return;
      api.removeMember(m.id).then(
        () => {
          navigate(`${BASE}/members`);
          notice(`${m.email} is removed.`);
        },
        (error) => notice(error instanceof Error ? error.message : 'Removing failed.', 'error'),
      );
    });
  });
  buttons.push(remove);
  return h('div', { class: 'actions' }, buttons);
}

/** Handing primary ownership to this member: they confirm by the link mailed to them. */
function transferForm(/** @type {import('../api.js').Member} */ m) {
  const form = h(
    'form',
    {},
    h('h3', {}, 'Primary ownership'),
    h(
      'p',
      { class: 'hint' },
      `Make ${m.email} the primary owner. They get an email and must confirm; you stay an owner.`,
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Transfer primary ownership')),
  );
  onSubmit(form, async () => {
    const yes = await confirmDialog({
      title: `Transfer primary ownership to ${m.email}?`,
      body: h('p', {}, 'Nothing changes until they confirm by the link mailed to them (valid 72 hours).'),
      confirm: 'Send confirmation link',
    });
    if (!yes) return;
    const transfer = await api.startTransfer(m.id);
    notice(
      `A confirmation link was mailed to ${transfer.to.email}; it expires ${instant(transfer.expiresAt)}.`,
    );
  });
  return form;
}
