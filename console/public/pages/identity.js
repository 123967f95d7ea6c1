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
import { showWebhooks } from './webhooks-section.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {import('../api.js').IdentitySettings} */
  let settings;
  try {
    settings = await api.identity();
  } catch (error) {
    replace(ctx.main, h('h1', {}, 'Identity and access'), pageProblem(error));
    return;
  }
  const provisioning = card('provisioning', 'Provisioning');
  const sso = card('sso', 'Single sign-on');
  const scim = card('scim', 'SCIM directory sync');
  const tokens = card('api-tokens', 'API tokens');
  const webhooks = card('webhooks', 'Webhooks');
  // An endpoint's delivery log, drawn below the endpoints when the owner opens one.
  const deliveries = card('webhook-deliveries', 'Webhook delivery log');
  deliveries.hidden = true;
  const mappings = card('group-mappings', 'Advanced group mappings');
  replace(
    ctx.main,
    h('h1', {}, 'Identity and access'),
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
      label: 'Provisioning mode',
      name: 'provisioningMode',
      value: s.provisioningMode,
      options: [
        { value: 'invite_only', label: 'Invitations only' },
        { value: 'jit', label: 'Just-in-time: the first SSO sign-in creates the account' },
        { value: 'scim', label: 'SCIM: the identity provider pushes the directory' },
      ],
    }),
    field({
      label: 'When no seat is left',
      name: 'seatExhaustion',
      value: s.seatExhaustion,
      options: [
        { value: 'reject', label: 'Refuse, and list the person as waiting' },
        { value: 'hold', label: 'Keep the person awaiting a seat; seat them when one frees up' },
      ],
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save provisioning')),
  );
  onSubmit(form, async (v) => {
    const saved = await api.changeIdentity({
      ...(v.provisioningMode ? { provisioningMode: v.provisioningMode } : {}),
      ...(v.seatExhaustion ? { seatExhaustion: v.seatExhaustion } : {}),
    });
    showProvisioning(section, saved);
    notice('Provisioning settings saved.');
  });
  fill(
    section,
    form,
    table(
      'Email domains',
      ['Domain', 'Verified'],
      s.domains.map((d) => [
        d.domain,
        d.verified
          ? h('span', { class: 'badge ok' }, `Verified ${instant(d.verifiedAt)}`)
          : h('span', { class: 'badge warn' }, 'Not verified: people on it cannot be invited or sign in'),
      ]),
      { empty: 'No domains.' },
    ),
    h('p', { class: 'hint' }, 'Group mappings are ', s.groupMappingsEnabled ? 'on' : 'off', ' (see below).'),
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
        'Connections',
        ['Name', 'Protocol', 'Status', 'People linked', 'Give your identity provider', 'Actions'],
        connections.map((c) => [
          c.name,
          c.protocol === 'saml' ? 'SAML 2.0' : 'OpenID Connect',
          c.enabled ? h('span', { class: 'badge ok' }, 'Enabled') : h('span', { class: 'badge' }, 'Disabled'),
          String(c.linkedIdentities),
          serviceProvider(c),
          connectionActions(section, c),
        ]),
        { empty: 'No single sign-on connection yet.' },
      ),
      h('details', {}, h('summary', {}, 'Add a SAML connection'), samlForm(section)),
      h('details', {}, h('summary', {}, 'Add an OpenID Connect connection'), oidcForm(section)),
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
    label: required ? 'Stop requiring single sign-on' : 'Require single sign-on',
    name: required ? 'Stop requiring single sign-on' : 'Require single sign-on',
    danger: required,
    ask: {
      title: required ? 'Stop requiring single sign-on?' : 'Require single sign-on?',
      body: h(
        'p',
        {},
        required
          ? 'People on your verified domains can then sign in with a mailed link and accept invitations without the identity provider again.'
          : 'People on your verified domains then sign in and accept invitations only through your identity provider: someone disabled there cannot get in by mail. The primary owner can still sign in with a mailed link, to get back in if the identity provider fails.',
      ),
      confirm: required ? 'Stop requiring' : 'Require single sign-on',
      danger: required,
    },
    run: () => api.changeIdentity({ requireSso: !required }),
    said: (s) => (s.requireSso ? 'Single sign-on is now required.' : 'Single sign-on is no longer required.'),
    then: () => showSso(section),
  });
  return h(
    'div',
    { class: 'require-sso', 'data-testid': 'require-sso' },
    h(
      'p',
      {},
      required ? h('span', { class: 'badge ok' }, 'Required') : h('span', { class: 'badge' }, 'Not required'),
      ' Single sign-on for people on your verified domains: mailed sign-in links and invitation acceptance go through your identity provider. The primary owner keeps a mailed link as the way back in.',
    ),
    h('div', { class: 'actions' }, toggle),
  );
}

function serviceProvider(/** @type {import('../api.js').SsoConnection} */ c) {
  const sp = c.serviceProvider;
  const rows = /** @type {[string, string | undefined][]} */ (
    c.protocol === 'saml'
      ? [
          ['Entity ID / metadata', sp.metadataUrl ?? sp.entityId],
          ['Assertion consumer service', sp.acsUrl],
        ]
      : [['Redirect URI', sp.redirectUri]]
  );
  return h(
    'dl',
    { class: 'facts' },
    rows.flatMap(([label, value]) => [
      h('dt', {}, label),
      h('dd', {}, value ? copyable(value, `${label} of ${c.name}`) : ''),
    ]),
  );
}

function connectionActions(
  /** @type {HTMLElement} */ section,
  /** @type {import('../api.js').SsoConnection} */ c,
) {
  const toggle = actionButton({
    label: c.enabled ? 'Disable' : 'Enable',
    name: `${c.enabled ? 'Disable' : 'Enable'} ${c.name}`,
    run: () => api.changeSsoConnection(c.id, { enabled: !c.enabled }),
    said: () => `${c.name} is ${c.enabled ? 'disabled' : 'enabled'}.`,
    then: () => showSso(section),
  });
  const remove = actionButton({
    label: 'Delete',
    name: `Delete ${c.name}`,
    danger: true,
    ask: {
      title: `Delete ${c.name}?`,
      body: h(
        'p',
        {},
        `People signing in through it can no longer; ${c.linkedIdentities} linked identities are unlinked. Members keep their seats and roles.`,
      ),
      confirm: 'Delete connection',
      danger: true,
    },
    run: () => api.deleteSsoConnection(c.id),
    said: () => `${c.name} is deleted.`,
    then: () => showSso(section),
  });
  return h('div', { class: 'actions' }, toggle, remove);
}

function samlForm(/** @type {HTMLElement} */ section) {
  const form = h(
    'form',
    { novalidate: true },
    field({ label: 'Connection name', name: 'name', required: true }),
    field({
      label: 'Identity provider metadata (XML)',
      name: 'metadata',
      rows: 6,
      hint: 'Paste the metadata your identity provider gives you, or fill in the three settings below instead.',
    }),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Or by hand'),
      field({ label: 'Identity provider entity ID', name: 'idpEntityId' }),
      field({ label: 'Identity provider sign-in URL', name: 'idpSsoUrl', type: 'url' }),
      field({ label: 'Signing certificate (PEM)', name: 'idpCerts', rows: 4 }),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add SAML connection')),
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
    notice(`${made.name} is added. Give your identity provider the URLs listed with it.`);
    await showSso(section);
  });
  return form;
}

function oidcForm(/** @type {HTMLElement} */ section) {
  const form = h(
    'form',
    { novalidate: true },
    field({ label: 'Connection name', name: 'name', required: true }),
    field({
      label: 'Issuer URL',
      name: 'issuer',
      type: 'url',
      required: true,
      placeholder: 'https://login.example.com',
    }),
    field({ label: 'Client ID', name: 'clientId', required: true }),
    field({
      label: 'Client secret',
      name: 'clientSecret',
      type: 'password',
      required: true,
      autocomplete: 'off',
      hint: 'Stored apart and never shown again.',
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add OpenID Connect connection')),
  );
  onSubmit(form, async (v) => {
    const made = await api.createSsoConnection({
      protocol: 'oidc',
      name: v.name ?? '',
      issuer: v.issuer ?? '',
      clientId: v.clientId ?? '',
      clientSecret: v.clientSecret ?? '',
    });
    notice(`${made.name} is added. Register the redirect URI listed with it at your identity provider.`);
    await showSso(section);
  });
  return form;
}

// Tokens: SCIM and API, each shown once.

/**
 * Revoked, expired, or active with when it was last used and when it ends, so an owner can spot a
 * stale token and revoke it.
 * @param {{ revokedAt: string | null, lastUsedAt: string | null, expiresAt?: string | null }} t
 */
function tokenStatus(t) {
  if (t.revokedAt) return h('span', { class: 'badge' }, `Revoked ${instant(t.revokedAt)}`);
  if (t.expiresAt && Date.parse(t.expiresAt) <= Date.now()) {
    return h('span', { class: 'badge' }, `Expired ${instant(t.expiresAt)}`);
  }
  const used = t.lastUsedAt ? `Active, last used ${instant(t.lastUsedAt)}` : 'Active, never used';
  return h('span', { class: 'badge ok' }, t.expiresAt ? `${used}; expires ${instant(t.expiresAt)}` : used);
}

/**
 * @param {string} what
 * @param {{ id: number, name: string, revokedAt: string | null }} t
 * @param {(id: number) => Promise<unknown>} revoke
 * @param {() => Promise<void>} reload
 */
function revokeButton(what, t, revoke, reload) {
  if (t.revokedAt) return '';
  return actionButton({
    label: 'Revoke',
    name: `Revoke ${what} ${t.name}`,
    danger: true,
    ask: {
      title: `Revoke ${what} “${t.name}”?`,
      body: h('p', {}, 'It stops working at once. This cannot be undone.'),
      confirm: 'Revoke',
      danger: true,
    },
    run: () => revoke(t.id),
    said: () => `${t.name} is revoked.`,
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
      field({ label: 'SCIM token name', name: 'name', required: true, placeholder: 'Okta' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create SCIM token')),
    );
    onSubmit(form, async (v) => {
      const made = await api.createScimToken(v.name ?? '');
      await showScim(section, secretBox('SCIM token', made.token));
    });
    fill(
      section,
      h(
        'p',
        {},
        'SCIM base URL for your identity provider: ',
        copyable(scimBaseUrl, 'SCIM base URL', { 'data-testid': 'scim-base-url' }),
      ),
      issued,
      table(
        'SCIM tokens',
        ['Name', 'Starts with', 'Created', 'Status', 'Actions'],
        tokens.map((t) => [
          t.name,
          h('code', {}, `${t.prefix}…`),
          instant(t.createdAt),
          tokenStatus(t),
          revokeButton('SCIM token', t, api.revokeScimToken, reload),
        ]),
        { empty: 'No SCIM tokens.' },
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
      field({ label: 'API token name', name: 'name', required: true, placeholder: 'Reporting script' }),
      field({
        label: 'API token role',
        name: 'role',
        value: 'admin',
        options: [
          { value: 'user', label: 'User' },
          { value: 'admin', label: 'Admin' },
          { value: 'owner', label: 'Owner' },
        ],
        hint: 'What the token may do, as a member with that role could. Never above your own role.',
      }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create API token')),
    );
    onSubmit(form, async (v) => {
      const made = await api.createApiToken({ name: v.name ?? '', role: v.role ?? 'admin' });
      await showApiTokens(section, secretBox('API token', made.token));
    });
    fill(
      section,
      h(
        'p',
        { class: 'hint' },
        'Scripts call the admin API at ',
        copyable(`${location.origin}/api/v1`, 'admin API base URL'),
        ' with ',
        h('code', {}, 'Authorization: Bearer <token>'),
        '.',
      ),
      issued,
      table(
        'API tokens',
        ['Name', 'Role', 'Starts with', 'Created', 'Status', 'Actions'],
        tokens.map((t) => [
          t.name,
          roleName(t.role),
          h('code', {}, `${t.prefix}…`),
          instant(t.createdAt),
          tokenStatus(t),
          revokeButton('API token', t, api.revokeApiToken, reload),
        ]),
        { empty: 'No API tokens.' },
      ),
      form,
    );
  });
}

// Advanced group mappings.

async function showMappings(/** @type {HTMLElement} */ section) {
  await load(section, async () => {
    const [current, usage] = await Promise.all([api.groupMappings(), api.usage()]);
    const tiers = usage.tiers.map((t) => ({ value: t.id, label: t.name }));
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
      h('td', {}, mappingField('Group name', 'groupName', m?.groupName ?? '', null, index)),
      h(
        'td',
        {},
        mappingField(
          'Role',
          'role',
          m?.role ?? '',
          [
            { value: '', label: '— no role —' },
            ...['user', 'admin', 'owner'].map((r) => ({ value: r, label: roleName(r) })),
          ],
          index,
        ),
      ),
      h(
        'td',
        {},
        mappingField('Tier', 'tier', m?.tier ?? '', [{ value: '', label: '— no tier —' }, ...tiers], index),
      ),
      h('td', {}),
    );
    const remove = h('button', { type: 'button', 'aria-label': `Remove mapping ${index + 1}` }, 'Remove');
    remove.addEventListener('click', () => row.remove());
    row.lastElementChild?.append(remove);
    rows.append(row);
  };
  for (const m of current.mappings) addRow(m);
  const add = h('button', { type: 'button' }, 'Add mapping');
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
      h('label', { for: enabledId }, 'Use advanced group mappings'),
    ),
    h(
      'p',
      { class: 'hint' },
      'With mappings on, people must be in a group mapped to a role to be members; the highest mapped role wins. A tier mapping sets the seat tier for directory sync.',
    ),
    h(
      'table',
      {},
      h('caption', {}, 'Group mappings'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Group', 'Role', 'Tier', ''].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      rows,
    ),
    h(
      'div',
      { class: 'actions' },
      add,
      h('button', { type: 'submit', class: 'primary' }, 'Save group mappings'),
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
      const confirm = h('button', { type: 'button', class: 'danger' }, 'Confirm change');
      const cancel = h('button', { type: 'button' }, 'Cancel');
      replace(
        outcome,
        h(
          'div',
          { class: 'form-problem', role: 'alert' },
          h('h3', {}, 'Confirm this change'),
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
    notice('Group mappings saved.');
    void showMappings(section).then(() => {
      const after = section.querySelector('[aria-live]');
      if (after && consequences.changes.length > 0) {
        replace(
          after,
          h('div', { class: 'issued' }, h('h3', {}, 'What the change did'), changesList(consequences)),
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
  const aria = `${label} of mapping ${index + 1}`;
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
  if (c.changes.length === 0) return h('p', {}, 'Nobody’s role, seat or tier changes.');
  return h(
    'ul',
    {},
    c.changes.map((m) =>
      h(
        'li',
        {},
        h('strong', {}, m.you ? `${m.email} (you)` : m.email),
        m.primaryOwner ? ' (primary owner: keeps role and seat)' : '',
        ': ',
        [
          m.role ? `role ${roleName(m.role.from)} → ${roleName(m.role.to)}` : null,
          m.seatState ? `seat ${words(m.seatState.from)} → ${words(m.seatState.to)}` : null,
          m.tier ? `tier ${m.tier.from ?? 'none'} → ${m.tier.to ?? 'none'}` : null,
        ]
          .filter(Boolean)
          .join('; '),
      ),
    ),
  );
}
