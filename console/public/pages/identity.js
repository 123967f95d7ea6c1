// @ts-check
// Identity and access (owners): how people arrive (provisioning mode, what happens when seats run
// out, the verified domains), single sign-on connections (SAML from the identity provider's metadata
// or by hand, OpenID Connect), SCIM tokens and API tokens (each secret shown once), webhooks
// (./webhooks-section.js), and advanced group mappings, whose risky changes the server asks to
// confirm with the list of what they do.
/* global location */
import * as api from '../api.js';
import { instant, words } from '../format.js';
import { field, h, notice, onSubmit, pageProblem, replace, roleName, table, uid } from '../dom.js';
import { ApiError } from '../http.js';
import { copyable } from '../copy.js';
import { actionButton, card, fill, load, problemText, secretBox } from '../sections.js';
import { t } from '../i18n.js';
import { showWebhooks } from './webhooks-section.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {import('../api.js').IdentitySettings} */
  let settings;
  try {
    settings = await api.identity();
  } catch (error) {
    replace(ctx.main, h('h1', {}, t('identity.title')), pageProblem(error));
    return;
  }
  const provisioning = card('provisioning', t('identity.section.provisioning'));
  const sso = card('sso', t('identity.section.sso'));
  const scim = card('scim', t('identity.section.scim'));
  const tokens = card('api-tokens', t('identity.section.apiTokens'));
  const webhooks = card('webhooks', t('identity.section.webhooks'));
  // An endpoint's delivery log, drawn below the endpoints when the owner opens one.
  const deliveries = card('webhook-deliveries', t('identity.section.webhookDeliveries'));
  deliveries.hidden = true;
  const mappings = card('group-mappings', t('identity.section.groupMappings'));
  replace(
    ctx.main,
    h('h1', {}, t('identity.title')),
    provisioning,
    sso,
    scim,
    tokens,
    webhooks,
    deliveries,
    mappings,
  );
  showProvisioning(provisioning, settings);
  await Promise.all([
    showSso(sso),
    showScim(scim),
    showApiTokens(tokens),
    showWebhooks(webhooks, deliveries),
    showMappings(mappings),
  ]);
}

// Provisioning mode and policy.

function showProvisioning(
  /** @type {HTMLElement} */ section,
  /** @type {import('../api.js').IdentitySettings} */ s,
) {
  const form = h(
    'form',
    { novalidate: true },
    field({
      label: t('identity.provisioningMode'),
      name: 'provisioningMode',
      value: s.provisioningMode,
      options: [
        { value: 'invite_only', label: t('identity.mode.invite_only') },
        { value: 'jit', label: t('identity.mode.jit') },
        { value: 'scim', label: t('identity.mode.scim') },
      ],
    }),
    field({
      label: t('identity.seatExhaustion'),
      name: 'seatExhaustion',
      value: s.seatExhaustion,
      options: [
        { value: 'reject', label: t('identity.exhaustion.reject') },
        { value: 'hold', label: t('identity.exhaustion.hold') },
      ],
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('identity.saveProvisioning'))),
  );
  onSubmit(form, async (v) => {
    const saved = await api.changeIdentity({
      ...(v.provisioningMode ? { provisioningMode: v.provisioningMode } : {}),
      ...(v.seatExhaustion ? { seatExhaustion: v.seatExhaustion } : {}),
    });
    showProvisioning(section, saved);
    notice(t('identity.provisioningSaved'));
  });
  fill(
    section,
    form,
    table(
      t('identity.domains'),
      [t('identity.col.domain'), t('identity.col.verified')],
      s.domains.map((d) => [
        d.domain,
        d.verified
          ? h('span', { class: 'badge ok' }, t('identity.verifiedAt', { when: instant(d.verifiedAt) }))
          : h('span', { class: 'badge warn' }, t('identity.notVerified')),
      ]),
      { empty: t('identity.noDomains') },
    ),
    h(
      'p',
      { class: 'hint' },
      s.groupMappingsEnabled ? t('identity.groupMappingsOn') : t('identity.groupMappingsOff'),
    ),
  );
}

// Single sign-on connections.

async function showSso(/** @type {HTMLElement} */ section) {
  await load(section, async () => {
    const [{ connections }, settings] = await Promise.all([api.ssoConnections(), api.identity()]);
    fill(
      section,
      requireSso(section, settings.requireSso),
      table(
        t('identity.connections'),
        [
          t('identity.col.name'),
          t('identity.col.protocol'),
          t('identity.col.status'),
          t('identity.col.peopleLinked'),
          t('identity.col.giveProvider'),
          t('identity.col.actions'),
        ],
        connections.map((c) => [
          c.name,
          c.protocol === 'saml' ? 'SAML 2.0' : 'OpenID Connect',
          c.enabled
            ? h('span', { class: 'badge ok' }, t('identity.enabled'))
            : h('span', { class: 'badge' }, t('identity.disabled')),
          String(c.linkedIdentities),
          serviceProvider(c),
          connectionActions(section, c),
        ]),
        { empty: t('identity.noConnections') },
      ),
      h('details', {}, h('summary', {}, t('identity.addSaml')), samlForm(section)),
      h('details', {}, h('summary', {}, t('identity.addOidc')), oidcForm(section)),
    );
  });
}

/**
 * Whether single sign-on is required, and the switch. Required: people on the verified domains get
 * no mailed sign-in link and accept invitations by signing in through the identity provider; the
 * primary owner keeps a mailed link, to get back in when the provider itself fails.
 */
function requireSso(/** @type {HTMLElement} */ section, /** @type {boolean} */ required) {
  const toggle = actionButton({
    label: required ? t('identity.requireSso.stop') : t('identity.requireSso.start'),
    name: required ? t('identity.requireSso.stop') : t('identity.requireSso.start'),
    danger: required,
    ask: {
      title: required ? t('identity.requireSso.stopTitle') : t('identity.requireSso.startTitle'),
      body: h('p', {}, required ? t('identity.requireSso.stopBody') : t('identity.requireSso.startBody')),
      confirm: required ? t('identity.requireSso.stopConfirm') : t('identity.requireSso.start'),
      danger: required,
    },
    run: () => api.changeIdentity({ requireSso: !required }),
    said: (s) => (s.requireSso ? t('identity.requireSso.now') : t('identity.requireSso.noLonger')),
    then: () => showSso(section),
  });
  return h(
    'div',
    { class: 'require-sso', 'data-testid': 'require-sso' },
    h(
      'p',
      {},
      required
        ? h('span', { class: 'badge ok' }, t('identity.requireSso.required'))
        : h('span', { class: 'badge' }, t('identity.requireSso.notRequired')),
      ` ${t('identity.requireSso.explain')}`,
    ),
    h('div', { class: 'actions' }, toggle),
  );
}

function serviceProvider(/** @type {import('../api.js').SsoConnection} */ c) {
  const sp = c.serviceProvider;
  const rows = /** @type {[string, string | undefined][]} */ (
    c.protocol === 'saml'
      ? [
          [t('identity.sp.entityId'), sp.metadataUrl ?? sp.entityId],
          [t('identity.sp.acs'), sp.acsUrl],
        ]
      : [[t('identity.sp.redirectUri'), sp.redirectUri]]
  );
  return h(
    'dl',
    { class: 'facts' },
    rows.flatMap(([label, value]) => [
      h('dt', {}, label),
      h('dd', {}, value ? copyable(value, t('identity.sp.of', { what: label, name: c.name })) : ''),
    ]),
  );
}

function connectionActions(
  /** @type {HTMLElement} */ section,
  /** @type {import('../api.js').SsoConnection} */ c,
) {
  const toggle = actionButton({
    label: c.enabled ? t('identity.disable') : t('identity.enable'),
    name: c.enabled
      ? t('identity.disableNamed', { name: c.name })
      : t('identity.enableNamed', { name: c.name }),
    run: () => api.changeSsoConnection(c.id, { enabled: !c.enabled }),
    said: () =>
      c.enabled ? t('identity.disabledSaid', { name: c.name }) : t('identity.enabledSaid', { name: c.name }),
    then: () => showSso(section),
  });
  const remove = actionButton({
    label: t('identity.delete'),
    name: t('identity.deleteNamed', { name: c.name }),
    danger: true,
    ask: {
      title: t('identity.deleteTitle', { name: c.name }),
      body: h('p', {}, t('identity.deleteBody', { count: c.linkedIdentities })),
      confirm: t('identity.deleteConfirm'),
      danger: true,
    },
    run: () => api.deleteSsoConnection(c.id),
    said: () => t('identity.deletedSaid', { name: c.name }),
    then: () => showSso(section),
  });
  return h('div', { class: 'actions' }, toggle, remove);
}

function samlForm(/** @type {HTMLElement} */ section) {
  const form = h(
    'form',
    { novalidate: true },
    field({ label: t('identity.connectionName'), name: 'name', required: true }),
    field({
      label: t('identity.saml.metadata'),
      name: 'metadata',
      rows: 6,
      hint: t('identity.saml.metadataHint'),
    }),
    h(
      'fieldset',
      {},
      h('legend', {}, t('identity.saml.byHand')),
      field({ label: t('identity.saml.entityId'), name: 'idpEntityId' }),
      field({ label: t('identity.saml.ssoUrl'), name: 'idpSsoUrl', type: 'url' }),
      field({ label: t('identity.saml.certs'), name: 'idpCerts', rows: 4 }),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('identity.saml.add'))),
  );
  onSubmit(form, async (v) => {
    const metadata = (v.metadata ?? '').trim();
    /** @type {Record<string, unknown>} */
    const body = { protocol: 'saml', name: v.name ?? '' };
    if (metadata) body.metadata = metadata;
    else {
      if (v.idpEntityId) body.idpEntityId = v.idpEntityId;
      if (v.idpSsoUrl) body.idpSsoUrl = v.idpSsoUrl;
      if (v.idpCerts?.trim()) body.idpCerts = [v.idpCerts.trim()];
    }
    const made = await api.createSsoConnection(body);
    notice(t('identity.saml.added', { name: made.name }));
    await showSso(section);
  });
  return form;
}

function oidcForm(/** @type {HTMLElement} */ section) {
  const form = h(
    'form',
    { novalidate: true },
    field({ label: t('identity.connectionName'), name: 'name', required: true }),
    field({
      label: t('identity.oidc.issuer'),
      name: 'issuer',
      type: 'url',
      required: true,
      placeholder: 'https://login.example.com',
    }),
    field({ label: t('identity.oidc.clientId'), name: 'clientId', required: true }),
    field({
      label: t('identity.oidc.clientSecret'),
      name: 'clientSecret',
      type: 'password',
      required: true,
      autocomplete: 'off',
      hint: t('identity.oidc.clientSecretHint'),
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('identity.oidc.add'))),
  );
  onSubmit(form, async (v) => {
    const made = await api.createSsoConnection({
      protocol: 'oidc',
      name: v.name ?? '',
      issuer: v.issuer ?? '',
      clientId: v.clientId ?? '',
      clientSecret: v.clientSecret ?? '',
    });
    notice(t('identity.oidc.added', { name: made.name }));
    await showSso(section);
  });
  return form;
}

// Tokens: SCIM and API, each shown once.

/**
 * Revoked, expired, or active with when it was last used and when it ends, so an owner can spot a
 * stale token and revoke it.
 * @param {{ revokedAt: string | null, lastUsedAt: string | null, expiresAt?: string | null }} tok
 */
function tokenStatus(tok) {
  if (tok.revokedAt)
    return h('span', { class: 'badge' }, t('identity.token.revoked', { when: instant(tok.revokedAt) }));
  if (tok.expiresAt && Date.parse(tok.expiresAt) <= Date.now()) {
    return h('span', { class: 'badge' }, t('identity.token.expired', { when: instant(tok.expiresAt) }));
  }
  const used = tok.lastUsedAt
    ? t('identity.token.lastUsed', { when: instant(tok.lastUsedAt) })
    : t('identity.token.neverUsed');
  return h(
    'span',
    { class: 'badge ok' },
    tok.expiresAt ? t('identity.token.expires', { used, when: instant(tok.expiresAt) }) : used,
  );
}

/**
 * @param {string} what the kind of token, as the revoke messages name it: 'scim' or 'api'
 * @param {{ id: number, name: string, revokedAt: string | null }} tok
 * @param {(id: number) => Promise<unknown>} revoke
 * @param {() => Promise<void>} reload
 */
function revokeButton(what, tok, revoke, reload) {
  if (tok.revokedAt) return '';
  return actionButton({
    label: t('identity.token.revoke'),
    name: t('identity.token.revokeNamed', { kind: what, name: tok.name }),
    danger: true,
    ask: {
      title: t('identity.token.revokeTitle', { kind: what, name: tok.name }),
      body: h('p', {}, t('identity.token.revokeBody')),
      confirm: t('identity.token.revoke'),
      danger: true,
    },
    run: () => revoke(tok.id),
    said: () => t('identity.token.revokedSaid', { name: tok.name }),
    then: reload,
  });
}

async function showScim(/** @type {HTMLElement} */ section, /** @type {HTMLElement | null} */ issued = null) {
  await load(section, async () => {
    const { scimBaseUrl, tokens } = await api.scimTokens();
    const reload = () => showScim(section);
    const form = h(
      'form',
      { novalidate: true, class: 'inline-form' },
      field({ label: t('identity.scim.tokenName'), name: 'name', required: true, placeholder: 'Okta' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('identity.scim.create'))),
    );
    onSubmit(form, async (v) => {
      const made = await api.createScimToken(v.name ?? '');
      await showScim(section, secretBox(t('identity.scim.token'), made.token));
    });
    fill(
      section,
      h(
        'p',
        {},
        `${t('identity.scim.baseUrlIntro')} `,
        copyable(scimBaseUrl, t('identity.scim.baseUrl'), { 'data-testid': 'scim-base-url' }),
      ),
      issued,
      table(
        t('identity.scim.tokens'),
        [
          t('identity.col.name'),
          t('identity.col.startsWith'),
          t('identity.col.created'),
          t('identity.col.status'),
          t('identity.col.actions'),
        ],
        tokens.map((tok) => [
          tok.name,
          h('code', {}, `${tok.prefix}…`),
          instant(tok.createdAt),
          tokenStatus(tok),
          revokeButton('scim', tok, api.revokeScimToken, reload),
        ]),
        { empty: t('identity.scim.none') },
      ),
      form,
    );
  });
}

async function showApiTokens(
  /** @type {HTMLElement} */ section,
  /** @type {HTMLElement | null} */ issued = null,
) {
  await load(section, async () => {
    const { tokens } = await api.apiTokens();
    const reload = () => showApiTokens(section);
    const form = h(
      'form',
      { novalidate: true },
      field({
        label: t('identity.api.tokenName'),
        name: 'name',
        required: true,
        placeholder: t('identity.api.tokenNamePlaceholder'),
      }),
      field({
        label: t('identity.api.role'),
        name: 'role',
        value: 'admin',
        options: [
          { value: 'user', label: roleName('user') },
          { value: 'admin', label: roleName('admin') },
          { value: 'owner', label: roleName('owner') },
        ],
        hint: t('identity.api.roleHint'),
      }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('identity.api.create'))),
    );
    onSubmit(form, async (v) => {
      const made = await api.createApiToken({ name: v.name ?? '', role: v.role ?? 'admin' });
      await showApiTokens(section, secretBox(t('identity.api.token'), made.token));
    });
    fill(
      section,
      h(
        'p',
        { class: 'hint' },
        ...around('identity.api.hint', {
          url: copyable(`${location.origin}/api/v1`, t('identity.api.baseUrl')),
          header: h('code', {}, 'Authorization: Bearer <token>'),
        }),
      ),
      issued,
      table(
        t('identity.api.tokens'),
        [
          t('identity.col.name'),
          t('identity.col.role'),
          t('identity.col.startsWith'),
          t('identity.col.created'),
          t('identity.col.status'),
          t('identity.col.actions'),
        ],
        tokens.map((tok) => [
          tok.name,
          roleName(tok.role),
          h('code', {}, `${tok.prefix}…`),
          instant(tok.createdAt),
          tokenStatus(tok),
          revokeButton('api', tok, api.revokeApiToken, reload),
        ]),
        { empty: t('identity.api.none') },
      ),
      form,
    );
  });
}

// Advanced group mappings.

async function showMappings(/** @type {HTMLElement} */ section) {
  await load(section, async () => {
    const [current, usage] = await Promise.all([api.groupMappings(), api.usage()]);
    const tiers = usage.tiers.map((tier) => ({ value: tier.id, label: tier.name }));
    fill(section, mappingsForm(section, current, tiers));
  });
}

/**
 * @param {HTMLElement} section
 * @param {{ enabled: boolean, mappings: import('../api.js').GroupMapping[] }} current
 * @param {{ value: string, label: string }[]} tiers
 */
function mappingsForm(section, current, tiers) {
  const enabledId = uid('mappings-enabled');
  const rows = h('tbody', {});
  const addRow = (/** @type {import('../api.js').GroupMapping | null} */ m) => {
    const index = rows.children.length;
    const row = h(
      'tr',
      {},
      h(
        'td',
        {},
        mappingField(t('identity.mapping.groupName'), 'groupName', m?.groupName ?? '', null, index),
      ),
      h(
        'td',
        {},
        mappingField(
          t('identity.col.role'),
          'role',
          m?.role ?? '',
          [
            { value: '', label: t('identity.mapping.noRole') },
            ...['user', 'admin', 'owner'].map((r) => ({ value: r, label: roleName(r) })),
          ],
          index,
        ),
      ),
      h(
        'td',
        {},
        mappingField(
          t('identity.col.tier'),
          'tier',
          m?.tier ?? '',
          [{ value: '', label: t('identity.mapping.noTier') }, ...tiers],
          index,
        ),
      ),
      h('td', {}),
    );
    const remove = h(
      'button',
      { type: 'button', 'aria-label': t('identity.mapping.removeNamed', { n: index + 1 }) },
      t('identity.mapping.remove'),
    );
    remove.addEventListener('click', () => row.remove());
    row.lastElementChild?.append(remove);
    rows.append(row);
  };
  for (const m of current.mappings) addRow(m);
  const add = h('button', { type: 'button' }, t('identity.mapping.add'));
  add.addEventListener('click', () => {
    addRow(null);
    /** @type {HTMLElement | null} */ (rows.lastElementChild?.querySelector('input') ?? null)?.focus();
  });
  const outcome = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { novalidate: true },
    h(
      'p',
      {},
      h('input', {
        type: 'checkbox',
        id: enabledId,
        name: 'enabled',
        checked: current.enabled,
        'data-pointer': '/enabled',
      }),
      ' ',
      h('label', { for: enabledId }, t('identity.mapping.use')),
    ),
    h('p', { class: 'hint' }, t('identity.mapping.hint')),
    h(
      'table',
      {},
      h('caption', {}, t('identity.mapping.caption')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('identity.col.group'), t('identity.col.role'), t('identity.col.tier'), ''].map((label) =>
            h('th', { scope: 'col' }, label),
          ),
        ),
      ),
      rows,
    ),
    h(
      'div',
      { class: 'actions' },
      add,
      h('button', { type: 'submit', class: 'primary' }, t('identity.mapping.save')),
    ),
    outcome,
  );

  /** The form as the PUT body; field pointers follow the rows as they are now. */
  const body = () => {
    const enabled = /** @type {HTMLInputElement} */ (form.querySelector(`#${enabledId}`)).checked;
    /** @type {import('../api.js').GroupMapping[]} */
    const mappings = [];
    Array.from(rows.children).forEach((row, i) => {
      /** @type {Record<string, string>} */
      const v = {};
      for (const control of Array.from(row.querySelectorAll('input, select'))) {
        const c = /** @type {HTMLInputElement | HTMLSelectElement} */ (control);
        const key = c.name.replace(/^mapping-/, '');
        c.setAttribute('data-pointer', `/mappings/${i}/${key}`);
        v[key] = c.value;
      }
      const role = v.role === 'owner' || v.role === 'admin' || v.role === 'user' ? v.role : null;
      mappings.push({ groupName: (v.groupName ?? '').trim(), role, tier: v.tier ? v.tier : null });
    });
    return { enabled, mappings };
  };

  onSubmit(form, async () => {
    replace(outcome);
    const change = body();
    try {
      const saved = await api.putGroupMappings(change);
      done(saved.consequences);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'confirmation_required') throw error;
      // The server made the change, measured it and rolled it back: show what it would do.
      const consequences = /** @type {import('../api.js').MappingConsequences | undefined} */ (
        error.problem.consequences
      );
      const confirm = h('button', { type: 'button', class: 'danger' }, t('identity.mapping.confirm'));
      const cancel = h('button', { type: 'button' }, t('identity.mapping.cancel'));
      replace(
        outcome,
        h(
          'div',
          { class: 'form-problem', role: 'alert' },
          h('h3', {}, t('identity.mapping.confirmTitle')),
          h('p', {}, error.message),
          consequences ? changesList(consequences) : null,
          h('div', { class: 'actions' }, confirm, cancel),
        ),
      );
      cancel.addEventListener('click', () => replace(outcome));
      confirm.addEventListener('click', () => {
        confirm.disabled = true;
        api.putGroupMappings({ ...change, confirm: true }).then(
          (saved) => done(saved.consequences),
          (failure) => {
            confirm.disabled = false;
            notice(problemText(failure), 'error');
          },
        );
      });
      confirm.focus();
    }
  });

  const done = (/** @type {import('../api.js').MappingConsequences} */ consequences) => {
    notice(t('identity.mapping.saved'));
    void showMappings(section).then(() => {
      const after = section.querySelector('[aria-live]');
      if (after && consequences.changes.length > 0) {
        replace(
          after,
          h('div', { class: 'issued' }, h('h3', {}, t('identity.mapping.did')), changesList(consequences)),
        );
      }
    });
  };
  return form;
}

/**
 * One labelled control of a mapping row (the label names the row, for screen readers and tests).
 * @param {string} label
 * @param {string} key
 * @param {string} value
 * @param {{ value: string, label: string }[] | null} options
 * @param {number} index
 */
function mappingField(label, key, value, options, index) {
  const id = uid(`mapping-${key}`);
  const aria = t('identity.mapping.fieldOf', { what: label, n: index + 1 });
  const control = options
    ? h(
        'select',
        { id, name: `mapping-${key}`, 'aria-label': aria, 'aria-describedby': `${id}-error` },
        options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)),
      )
    : h('input', {
        id,
        name: `mapping-${key}`,
        value,
        'aria-label': aria,
        'aria-describedby': `${id}-error`,
      });
  return h('div', {}, control, h('p', { class: 'field-error', id: `${id}-error`, hidden: true }));
}

/** Who a group-mapping change moves, and how. */
function changesList(/** @type {import('../api.js').MappingConsequences} */ c) {
  if (c.changes.length === 0) return h('p', {}, t('identity.change.none'));
  return h(
    'ul',
    {},
    c.changes.map((m) =>
      h(
        'li',
        {},
        h('strong', {}, m.you ? t('identity.change.you', { email: m.email }) : m.email),
        m.primaryOwner ? ` ${t('identity.change.primaryOwner')}` : '',
        ': ',
        [
          m.role ? t('identity.change.role', { from: roleName(m.role.from), to: roleName(m.role.to) }) : null,
          m.seatState
            ? t('identity.change.seat', { from: words(m.seatState.from), to: words(m.seatState.to) })
            : null,
          m.tier
            ? t('identity.change.tier', {
                from: m.tier.from ?? t('identity.change.noTier'),
                to: m.tier.to ?? t('identity.change.noTier'),
              })
            : null,
        ]
          .filter(Boolean)
          .join('; '),
      ),
    ),
  );
}

/**
 * A message with elements inside it (a copy button, a code sample), wherever the language puts
 * them: each `{name}` of the message is replaced by `nodes[name]`.
 * @param {string} key
 * @param {Record<string, Node>} nodes
 * @returns {(string | Node)[]}
 */
function around(key, nodes) {
  const marker = '\u0000';
  const names = Object.keys(nodes);
  /** @type {Record<string, string>} */
  const markers = Object.fromEntries(names.map((name, i) => [name, `${marker}${i}${marker}`]));
  return t(key, markers)
    .split(marker)
    .map((part, i) => (i % 2 === 1 ? (nodes[names[Number(part)] ?? ''] ?? '') : part))
    .filter((part) => part !== '');
}
