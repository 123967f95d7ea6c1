// @ts-check
// One member (administrators): who they are, their seat and how they arrived, their SSO identities,
// and what an administrator may do with them: change the seat tier, change the role (owners),
// unassign the seat, remove them, re-send or revoke their invitation, and hand them primary
// ownership (the primary owner; the member confirms by email). The server decides every rule; the
// page only leaves out what the caller's role can never do.
/* global URLSearchParams */
import * as api from '../api.js';
import { instant, words } from '../format.js';
import { confirmDialog, field, h, notice, onSubmit, pageProblem, replace, roleName, table } from '../dom.js';
import { BASE, may, navigate } from '../shell.js';
import { ApiError } from '../http.js';
import { t } from '../i18n.js';
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
      h('p', { class: 'breadcrumb' }, h('a', { href: `${BASE}/members` }, t('members.title'))),
      h('h1', {}, t('member.title')),
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
    h('p', { class: 'breadcrumb' }, h('a', { href: `${BASE}/members` }, t('members.title'))),
    h('h1', {}, m.displayName ?? m.email),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'member-heading' },
      h('h2', { id: 'member-heading' }, t('member.title')),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, t('members.col.email')),
        h('dd', {}, m.email),
        h('dt', {}, t('members.col.role')),
        h('dd', { 'data-testid': 'member-role' }, roleName(m.role)),
        h('dt', {}, t('members.col.seat')),
        h('dd', { 'data-testid': 'member-seat' }, words(m.seatState)),
        h('dt', {}, t('members.col.tier')),
        h('dd', { 'data-testid': 'member-tier' }, m.tier ?? '—'),
        h('dt', {}, t('member.arrivedBy')),
        h('dd', {}, SOURCES[m.source] ?? words(m.source)),
        h('dt', {}, t('profile.since')),
        h('dd', {}, instant(m.createdAt)),
        h('dt', {}, t('member.lastChanged')),
        h('dd', {}, instant(m.updatedAt)),
      ),
      h('p', {}, h('a', { href: `${BASE}/audit?member=${m.id}` }, t('member.auditLink'))),
    ),
    m.invitation
      ? h(
          'section',
          { class: 'card', 'aria-labelledby': 'invitation-heading' },
          h('h2', { id: 'invitation-heading' }, t('member.invitation')),
          h(
            'p',
            {},
            t('member.invitationState', {
              status: words(m.invitation.status),
              sent: instant(m.invitation.sentAt),
              expires: instant(m.invitation.expiresAt),
            }),
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
      h('h2', { id: 'identities-heading' }, t('member.identities')),
      table(
        t('member.identitiesCaption'),
        [
          t('member.col.connection'),
          t('member.col.protocol'),
          t('member.col.subject'),
          t('member.col.linked'),
          t('member.col.lastSignIn'),
        ],
        m.identities.map((i) => [
          i.connectionName,
          i.protocol === 'saml' ? 'SAML' : 'OpenID Connect',
          h('code', {}, i.subject),
          instant(i.createdAt),
          instant(i.lastSignInAt) || t('member.never'),
        ]),
        { empty: t('member.noneYet') },
      ),
    ),
    self
      ? h('p', { class: 'hint' }, t('member.self'))
      : h(
          'section',
          { class: 'card', 'aria-labelledby': 'manage-heading' },
          h('h2', { id: 'manage-heading' }, t('member.manage')),
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
      label: t('invite.tier'),
      name: 'tier',
      value: m.tier ?? '',
      options: tiers.map((tier) => ({
        value: tier.id,
        label:
          tier.id === m.tier
            ? t('member.tierCurrent', { tier: tier.name })
            : t('member.tierFree', { tier: tier.name, free: tier.available }),
      })),
    }),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'submit' },
        m.seatState === 'unassigned' ? t('member.giveSeat') : t('member.changeTier'),
      ),
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
        notice(t('member.tierChanged', { email: changed.email, tier: words(changed.tier ?? tier) }));
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
    [t('member.reviewBuy'), problem.purchase],
    [t('member.reviewUpgrade'), problem.alternative],
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
      label: t('members.col.role'),
      name: 'role',
      value: m.role,
      options: ['user', 'admin', 'owner'].map((r) => ({ value: r, label: roleName(r) })),
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('member.changeRole'))),
  );
  onSubmit(form, async (v) => {
    const changed = await api.changeRole(m.id, v.role ?? m.role);
    await reload();
    notice(t('member.roleChanged', { email: changed.email, role: roleName(changed.role).toLowerCase() }));
  });
  return form;
}

/** Unassign and remove, each confirmed in a dialog. */
function seatActions(/** @type {import('../api.js').Member} */ m, /** @type {() => Promise<void>} */ reload) {
  if (m.seatState === 'removed' || m.role === 'primary_owner') return null;
  const buttons = [];
  if (m.seatState === 'seated') {
    const unassign = h('button', { type: 'button' }, t('member.unassign'));
    unassign.addEventListener('click', () => {
      void confirmDialog({
        title: t('member.unassignTitle', { email: m.email }),
        body: h('p', {}, t('member.unassignBody')),
        confirm: t('member.unassign'),
      }).then((yes) => {
        if (!yes) return;
        api.unassign(m.id).then(
          () => reload().then(() => notice(t('member.unassigned', { email: m.email }))),
          (error) => notice(error instanceof Error ? error.message : t('member.unassignFailed'), 'error'),
        );
      });
    });
    buttons.push(unassign);
  }
  const remove = h('button', { type: 'button', class: 'danger' }, t('member.remove'));
  remove.addEventListener('click', () => {
    void confirmDialog({
      title: t('member.removeTitle', { email: m.email }),
      body: h('p', {}, t('member.removeBody')),
      confirm: t('member.remove'),
      danger: true,
    }).then((yes) => {
      if (!yes) return;
      api.removeMember(m.id).then(
        () => {
          navigate(`${BASE}/members`);
          notice(t('member.removed', { email: m.email }));
        },
        (error) => notice(error instanceof Error ? error.message : t('member.removeFailed'), 'error'),
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
    h('h3', {}, t('member.primaryOwnership')),
    h('p', { class: 'hint' }, t('member.transferHint', { email: m.email })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('member.transfer'))),
  );
  onSubmit(form, async () => {
    const yes = await confirmDialog({
      title: t('member.transferTitle', { email: m.email }),
      body: h('p', {}, t('member.transferBody')),
      confirm: t('member.transferSend'),
    });
    if (!yes) return;
    const transfer = await api.startTransfer(m.id);
    notice(t('member.transferSent', { email: transfer.to.email, expires: instant(transfer.expiresAt) }));
  });
  return form;
}
