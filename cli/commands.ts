// The operator's commands, each a call into the services of the container, returning both the
// machine form (for --json, in the admin API's shapes: cli/views.ts) and the text a person reads,
// with URLs below PUBLIC_BASE_URL. No SQL here: lookups go through the store.
import type { PurchaseInput } from '../billing/billing.js';
import type { GroupMapping, Organisation } from '../domain/records.js';
import type { OidcConnectionInput, SamlConnectionInput } from '../provisioning/sso.js';
import { parseIdpMetadata } from '../sso/saml-metadata.js';
import { readFileSync } from 'node:fs';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { OPERATOR } from '../domain/model.js';
import { currencyDigits, formatMinor } from '../domain/money.js';
import { termEnd } from '../domain/term.js';
import { INVITATION_TTL_DAYS } from '../seats/seat-pool.js';
import type { NewOrganisation } from '../provisioning/organisations.js';
import type { Container } from '../server/container.js';
import { addKeyToFile } from '../server/secret-keys.js';
import {
  organisationInput,
  quoteArgs,
  UsageError,
  type CommandName,
  type FileCommandName,
  type OptionValues,
  type QuoteArgs,
} from './args.js';
import { fields, invoiceText, lineTable, money, table } from './format.js';
import {
  connectionView,
  invoiceSummary,
  invoiceView,
  issuedApiTokenView,
  mappingView,
  memberJson,
  organisationView,
  quoteView,
  tierView,
  waitingView,
  type Urls,
} from './views.js';

export interface Output {
  /** What --json prints: one document. */
  readonly data: unknown;
  readonly text: string;
}

export interface Invocation {
  /** The backup and restore commands work on the file, not the services: cli/backup.ts. */
  readonly command: Exclude<CommandName, FileCommandName>;
  readonly params: Readonly<Record<string, string>>;
  readonly values: OptionValues;
}

/** Runs a command against the services; `at` makes its URLs (server/config.ts's PUBLIC_BASE_URL). */
export type Step = (c: Container, at: Urls) => Promise<Output>;

/**
 * Checks the command's own arguments (before any database is opened, so a typo creates nothing)
 * and returns the step that runs it against the services.
 */
export function prepareCommand({ command, params, values }: Invocation): Step {
  const slug = params['slug'] ?? '';
  switch (command) {
    case 'org create': {
      const input = organisationInput(values);
      return (c) => createOrganisation(c, input);
    }
    case 'org list':
      return listOrganisations;
    case 'org show':
      return (c) => showOrganisation(c, slug);
    case 'invoices':
      return (c) => listInvoices(c, slug);
    case 'invoice':
      return async (c) => {
        const invoice = await c.billing.invoice(
          (await organisationBySlug(c, slug)).id,
          params['number'] ?? '',
          OPERATOR,
        );
        return { data: invoiceView(invoice), text: invoiceText(invoice, slug) };
      };
    case 'quote': {
      const args = quoteArgs(values);
      return (c) => quote(c, slug, args);
    }
    case 'confirm':
      return async (c) => {
        const invoice = await c.billing.confirm(
          (await organisationBySlug(c, slug)).id,
          params['quote-id'] ?? '',
          OPERATOR,
        );
        return { data: invoiceView(invoice), text: invoiceText(invoice, slug) };
      };
    case 'renew':
      return renew;
    case 'scim-token create': {
      const name = values.name;
      if (name === undefined)
        throw new UsageError(['scim-token create needs --name (what the token is for)']);
      return async (c, at) => {
        const issued = await c.scimTokens.create((await organisationBySlug(c, slug)).id, name, OPERATOR, {
          expiresAt: values['expires-at'],
        });
        return {
          data: { token: issued.token, scimBaseUrl: at.scimBaseUrl, ...issued.record },
          text: [
            `SCIM token ${issued.record.id} (${issued.record.name}) created. Copy it now: it is not shown again.`,
            '',
            `  ${issued.token}`,
            '',
            `In the identity provider: SCIM base URL ${at.scimBaseUrl}, authentication "HTTP header / Bearer token".`,
          ].join('\n'),
        };
      };
    }
    case 'scim-token list':
      return async (c, at) => {
        const tokens = await c.scimTokens.list((await organisationBySlug(c, slug)).id, OPERATOR);
        return {
          data: { scimBaseUrl: at.scimBaseUrl, tokens },
          text: `SCIM base URL: ${at.scimBaseUrl}\n\n${table(
            ['id', 'name', 'starts with', 'created', 'last used', 'revoked'],
            tokens.map((t) => [
              String(t.id),
              t.name,
              `${t.prefix}…`,
              t.createdAt,
              t.lastUsedAt ?? '',
              t.revokedAt ?? '',
            ]),
          )}`,
        };
      };
    case 'scim-token revoke': {
      const id = Number(params['token-id']);
      if (!Number.isSafeInteger(id) || id < 1)
        throw new UsageError([`"${params['token-id']}" is not a token id`]);
      return async (c) => {
        await c.scimTokens.revoke((await organisationBySlug(c, slug)).id, id, OPERATOR);
        return { data: { revoked: id }, text: `SCIM token ${id} revoked.` };
      };
    }
    case 'api-token create': {
      const role = values.role;
      const problems: string[] = [];
      if (role !== 'owner' && role !== 'admin')
        problems.push(
          role === undefined
            ? 'api-token create needs --role owner or --role admin'
            : `--role must be owner or admin, not "${role}"`,
        );
      const name = values.name ?? OPERATOR_TOKEN_NAME;
      if (name.trim() === '') problems.push('--name needs a name for the token');
      if (problems.length > 0 || (role !== 'owner' && role !== 'admin')) throw new UsageError(problems);
      return async (c, at) => {
        // Made by the operator, the token answers to no member (docs/rules.md, "Members and roles").
        const issued = await c.apiTokens.create(
          (await organisationBySlug(c, slug)).id,
          { name, role },
          OPERATOR,
        );
        return {
          data: issuedApiTokenView(issued.token, issued.record, at),
          text: [
            `API token ${issued.record.id} (${issued.record.name}, ${issued.record.role}) created for ${slug}. Copy it now: it is not shown again.`,
            '',
            `  ${issued.token}`,
            '',
            `Send it as "Authorization: Bearer <token>" to ${at.apiBaseUrl}; owners see and revoke it among the organisation's API tokens.`,
          ].join('\n'),
        };
      };
    }
    case 'waiting':
      return async (c) => {
        const { refused, awaiting } = await c.directory.waiting((await organisationBySlug(c, slug)).id);
        return {
          data: waitingView(awaiting, refused),
          text: [
            `Refused for want of a seat (${refused.length}):`,
            table(
              ['userName', 'first attempt', 'last attempt', 'attempts'],
              refused.map((r) => [r.userName, r.firstAttemptAt, r.lastAttemptAt, String(r.attempts)]),
            ),
            '',
            `Awaiting a seat, first come first served (${awaiting.length}):`,
            table(
              ['userName', 'email', 'waiting since'],
              awaiting.map((m) => [m.userName ?? '', m.email, m.waitingSince ?? '']),
            ),
          ].join('\n'),
        };
      };
    case 'sync-now':
      return async (c) => {
        const seated = await c.directory.syncNow((await organisationBySlug(c, slug)).id, OPERATOR);
        return { data: { seated }, text: `Seated ${seated} waiting user(s).` };
      };
    case 'org set': {
      const policy = values['seat-exhaustion'];
      const mode = values['provisioning-mode'];
      const problems: string[] = [];
      if (policy === undefined && mode === undefined)
        problems.push('org set needs --seat-exhaustion or --provisioning-mode');
      if (policy !== undefined && policy !== 'reject' && policy !== 'hold')
        problems.push('--seat-exhaustion must be reject or hold');
      if (mode !== undefined && mode !== 'invite_only' && mode !== 'jit' && mode !== 'scim') {
        problems.push('--provisioning-mode must be invite_only, jit or scim');
      }
      if (problems.length > 0) throw new UsageError(problems);
      return async (c) => {
        const id = (await organisationBySlug(c, slug)).id;
        if (policy === 'reject' || policy === 'hold')
          await c.directory.setSeatExhaustion(id, policy, OPERATOR);
        if (mode === 'invite_only' || mode === 'jit' || mode === 'scim')
          await c.directory.setProvisioningMode(id, mode, OPERATOR);
        const organisation = await organisationBySlug(c, slug);
        return {
          data: {
            seatExhaustion: organisation.seatExhaustion,
            provisioningMode: organisation.provisioningMode,
          },
          text: `${slug}: seat exhaustion ${organisation.seatExhaustion}, provisioning mode ${organisation.provisioningMode}.`,
        };
      };
    }
    case 'mapping list':
    case 'mapping set':
    case 'mapping remove': {
      const change = mappingChange(command, values);
      return async (c) => {
        const result = await c.directory.configureGroupMappings(
          (await organisationBySlug(c, slug)).id,
          change,
          OPERATOR,
        );
        return {
          data: { enabled: result.enabled, mappings: result.mappings.map(mappingView) },
          text: [
            `Advanced group mappings: ${result.enabled ? 'on' : 'off'}.`,
            table(
              ['group', 'role', 'tier'],
              result.mappings.map((m) => [m.groupName, m.role ?? '', m.tierId ?? '']),
            ),
          ].join('\n'),
        };
      };
    }
    case 'sso add-saml':
    case 'sso add-oidc': {
      const input = connectionInput(command, values);
      return async (c, at) => {
        const made = await c.sso.createConnection((await organisationBySlug(c, slug)).id, input, OPERATOR);
        // New: nothing is linked yet, and an OIDC connection always has its secret.
        const connection = connectionView(
          { ...made, clientSecretSet: made.protocol === 'oidc', linkedIdentities: 0 },
          at,
        );
        return {
          data: connection,
          text: `Added ${connection.protocol.toUpperCase()} connection "${connection.name}".\n${connectionUrls(connection)}`,
        };
      };
    }
    case 'secrets rotate':
      return rotateSecrets;
    case 'sso list':
      return async (c, at) => {
        const connections = (
          await c.sso.listConnections((await organisationBySlug(c, slug)).id, OPERATOR)
        ).map((k) => connectionView(k, at));
        return {
          data: { connections },
          text:
            connections.length === 0
              ? 'No single sign-on connections.'
              : connections
                  .map(
                    (k) =>
                      `${k.protocol.toUpperCase()}  ${k.name}${k.enabled ? '' : ' (off)'}\n${connectionUrls(k)}`,
                  )
                  .join('\n\n'),
        };
      };
    case 'sso require-off':
      // The operator's way back in for an organisation whose identity provider is broken, besides
      // the primary owner's mailed link (docs/sso.md, "Require single sign-on"). Turning it on stays
      // an owner's choice, made in the console or the API, after trying a connection.
      return async (c) => {
        const organisation = await organisationBySlug(c, slug);
        const was = organisation.requireSso;
        await c.sso.setRequireSso(organisation.id, false, OPERATOR);
        return {
          data: { requireSso: false },
          text: was
            ? `${slug} no longer requires single sign-on: mailed sign-in links and invitations work again.`
            : `${slug} did not require single sign-on; nothing changed.`,
        };
      };
    case 'jobs':
      return async (c) => {
        const done = await c.runJobs();
        return {
          data: done,
          text: `Renewals: ${done.renewals}. Expired invitations: ${done.expiredInvitations}.`,
        };
      };
  }
}

type MappingChange = Parameters<Container['directory']['configureGroupMappings']>[1];

/** The mapping options of one command → the change the directory applies (syntax only). */
function mappingChange(
  command: 'mapping list' | 'mapping set' | 'mapping remove',
  values: OptionValues,
): MappingChange {
  if (command === 'mapping list') {
    if (values.enable && values.disable) throw new UsageError(['--enable and --disable exclude each other']);
    return values.enable ? { enabled: true } : values.disable ? { enabled: false } : {};
  }
  const group = values.group;
  if (group === undefined || group.trim() === '') throw new UsageError([`${command} needs --group NAME`]);
  if (command === 'mapping remove') return { remove: [group] };
  const role = values.role as GroupMapping['role'] | undefined;
  if (role !== undefined && role !== 'owner' && role !== 'admin' && role !== 'user') {
    throw new UsageError([`--role must be owner, admin or user, not "${role}"`]);
  }
  if (role === undefined && values.tier === undefined)
    throw new UsageError(['mapping set needs --role, --tier, or both']);
  return { set: [{ groupName: group, role: role ?? null, tierId: values.tier ?? null }] };
}

/** What the administrator gives the identity provider. */
function connectionUrls({ serviceProvider: sp }: ReturnType<typeof connectionView>): string {
  return 'redirectUri' in sp
    ? `  Redirect URI: ${sp.redirectUri}`
    : `  SP entity id and metadata: ${sp.entityId}\n  Assertion Consumer Service: ${sp.acsUrl}`;
}

/** The name of a token the operator makes without --name. */
const OPERATOR_TOKEN_NAME = 'Operator';

async function organisationBySlug(c: Container, slug: string): Promise<Organisation> {
  const organisation = await c.store.read((q) => q.organisations.bySlug(slug));
  if (!organisation) throw new NotFoundError(`No organisation with slug "${slug}".`);
  return organisation;
}

async function createOrganisation(c: Container, input: NewOrganisation): Promise<Output> {
  const { organisation, primaryOwner, invoice } = await c.organisations.create(input, OPERATOR);
  const domains = await c.store.read((q) => q.organisations.domains(organisation.id));
  return {
    data: {
      organisation: organisationView(organisation, domains),
      primaryOwner: memberJson(primaryOwner),
      invoice: invoiceView(invoice),
    },
    text: [
      `Created organisation ${organisation.slug} (${organisation.name}).`,
      `Invoice ${invoice.number} for the first term: ${money(invoice.totalMinor, invoice.currency)}.`,
      `Invited the primary owner ${primaryOwner.email}; the invitation holds one ${primaryOwner.tierId ?? ''} seat ` +
        `for ${INVITATION_TTL_DAYS} days.`,
    ].join('\n'),
  };
}

/** What `org show --json` prints (and `org list --json`, one per organisation). */
export type OrganisationView = ReturnType<typeof describeOrganisation>;

/** The organisation's contract and seats, as `org show` and `org list` report them. */
async function describeOrganisation(c: Container, organisation: Organisation) {
  const { contract, domains, members } = await c.store.read(async (q) => ({
    contract: await q.contracts.byOrganisation(organisation.id),
    domains: await q.organisations.domains(organisation.id),
    members: (await q.members.list(organisation.id)).length,
  }));
  if (!contract) throw new NotFoundError(`Organisation "${organisation.slug}" has no contract.`);
  return {
    organisation: organisationView(organisation, domains),
    // As GET /api/v1/billing shows the contract.
    contract: {
      currency: contract.currency,
      currencyDigits: currencyDigits(contract.currency),
      timeZone: contract.timeZone,
      termNumber: contract.termNumber,
      termStart: contract.termStart,
      // The last day of the term (inclusive), as invoices print periods.
      termEnd: termEnd(contract.termStart, contract.timeZone).minus({ days: 1 }).toISODate()!,
      autoRenew: contract.autoRenew,
      status: contract.status,
    },
    tiers: (await c.seats.usage(organisation.id)).map(tierView),
    members,
  };
}

async function listOrganisations(c: Container): Promise<Output> {
  const all = [];
  for (const o of await c.store.read((q) => q.organisations.all()))
    all.push(await describeOrganisation(c, o));
  const rows = all.map(({ organisation, contract, tiers: seats }) => [
    organisation.slug,
    organisation.name,
    `${contract.termStart} to ${contract.termEnd}`,
    contract.currency,
    contract.status,
    `${seats.reduce((n, t) => n + t.held, 0)}/${seats.reduce((n, t) => n + t.allocation, 0)}`,
  ]);
  return {
    data: { organisations: all },
    text:
      all.length === 0
        ? 'No organisations yet: create one with seatkeeper org create.'
        : table(['Slug', 'Name', 'Term', 'Currency', 'Status', 'Seats held'], rows, [
            'left',
            'left',
            'left',
            'left',
            'left',
            'right',
          ]),
  };
}

async function showOrganisation(c: Container, slug: string): Promise<Output> {
  const shown = await describeOrganisation(c, await organisationBySlug(c, slug));
  const { organisation, contract, tiers: seats, members } = shown;
  const head = fields([
    ['Organisation', `${organisation.slug} (${organisation.name})`],
    ['Domains', organisation.domains.map((d) => d.domain).join(', ')],
    ['Term', `${contract.termNumber}: ${contract.termStart} to ${contract.termEnd} (${contract.timeZone})`],
    ['Currency', contract.currency],
    ['Auto-renew', contract.autoRenew ? 'yes' : 'no'],
    ['Status', contract.status],
    ['Members', String(members)],
  ]);
  const tiers = table(
    ['Tier', `Price/month (${contract.currency})`, 'Allocation', 'Held', 'Seated', 'Invited', 'Available'],
    seats.map((t) => [
      t.id,
      formatMinor(t.unitPriceMinor, contract.currency),
      ...[t.allocation, t.held, t.seated, t.invited, t.available].map(String),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
  return { data: shown, text: `${head}\n\n${tiers}` };
}

async function listInvoices(c: Container, slug: string): Promise<Output> {
  const invoices = await c.billing.invoices((await organisationBySlug(c, slug)).id, OPERATOR);
  const rows = invoices.map((i) => [
    i.number,
    i.kind,
    String(i.termNumber),
    i.issuedAt,
    money(i.totalMinor, i.currency),
  ]);
  return {
    data: { invoices: invoices.map(invoiceSummary) },
    text: table(['Number', 'Kind', 'Term', 'Issued', 'Total'], rows, [
      'left',
      'left',
      'right',
      'left',
      'right',
    ]),
  };
}

async function quote(c: Container, slug: string, args: QuoteArgs): Promise<Output> {
  const organisation = await organisationBySlug(c, slug);
  const input: PurchaseInput = { add: args.add, upgrades: await withMoves(c, organisation, args) };
  const priced = await c.billing.quote(organisation.id, input, OPERATOR, args.idempotencyKey);
  const head = fields([
    ['Quote', priced.id],
    ['Organisation', slug],
    ['Valid until', priced.expiresAt],
  ]);
  return {
    data: quoteView(priced),
    text:
      `${head}\n\n${lineTable(priced.lines, priced.totalMinor, priced.currency)}\n\n` +
      `To buy: seatkeeper confirm ${slug} ${priced.id}`,
  };
}

/**
 * Attaches each --move member to the upgrade out of the tier that member holds. The operator names
 * people by email; the service takes member ids.
 */
async function withMoves(
  c: Container,
  organisation: Organisation,
  args: QuoteArgs,
): Promise<NonNullable<PurchaseInput['upgrades']>> {
  const moves = new Map(args.upgrades.map((u) => [u, [] as number[]]));
  for (const email of args.moves) {
    const member = await c.store.read((q) => q.members.byEmail(organisation.id, email));
    if (!member || member.seatState === 'removed') {
      throw new NotFoundError(`No member ${email} in organisation "${organisation.slug}".`);
    }
    if (member.tierId === null) {
      throw new ValidationError(
        `${member.email} holds no seat (${member.seatState.replace('_', ' ')}), so cannot be moved in an upgrade.`,
        {},
        'invalid_move',
      );
    }
    const from = member.tierId;
    const candidates = args.upgrades.filter((u) => u.from === from);
    if (candidates.length !== 1) {
      throw new ValidationError(
        candidates.length === 0
          ? `${member.email} holds a ${from} seat, but no --upgrade moves ${from} seats.`
          : `${member.email} holds a ${from} seat and several upgrades move ${from} seats ` +
              `(to ${candidates.map((u) => u.to).join(', ')}); quote them one at a time.`,
        {},
        'invalid_move',
      );
    }
    moves.get(candidates[0]!)!.push(member.id);
  }
  return args.upgrades.map((u) => ({ ...u, moveMemberIds: moves.get(u) ?? [] }));
}

/**
 * A new key first in the key file (when the keys come from one), then every stored secret sealed
 * again under the first key, in one transaction. Running servers pick the new key up when they
 * meet a value sealed under it (they read the key file again).
 */
async function rotateSecrets(c: Container): Promise<Output> {
  const keyFile = c.secretKeys.keyFile;
  if (keyFile !== null) {
    addKeyToFile(keyFile);
    c.secretKeys.reload?.();
  }
  const outcome = await c.storedSecrets.rotate();
  if (outcome.unknownKeys.length > 0) {
    throw new ValidationError(
      `Some secrets are sealed under key ${outcome.unknownKeys.join(', ')}, which is not configured; they were left as they are.`,
      { unknownKeys: outcome.unknownKeys },
      'secret_key_missing',
    );
  }
  const keyId = c.secretKeys.keys()[0]!.id;
  return {
    data: { keyId, keySource: c.secretKeys.origin, resealed: outcome.resealed },
    text: `Sealed ${outcome.resealed} stored secret${outcome.resealed === 1 ? '' : 's'} under key ${keyId} (${c.secretKeys.origin}).`,
  };
}

async function renew(c: Container): Promise<Output> {
  const outcomes = await c.renewals.run();
  return {
    data: { outcomes },
    text:
      outcomes.length === 0
        ? 'Nothing to renew: no term has ended.'
        : table(
            ['Organisation', 'Outcome', 'Term', 'Invoice'],
            outcomes.map((o) => [o.slug, o.outcome, String(o.termNumber), o.invoiceNumber ?? '']),
            ['left', 'left', 'right', 'left'],
          ),
  };
}

/** `sso add-saml` / `sso add-oidc` options → the connection to create (files are read here). */
export function connectionInput(
  command: 'sso add-saml' | 'sso add-oidc',
  values: OptionValues,
): SamlConnectionInput | OidcConnectionInput {
  const problems: string[] = [];
  const name = values.name ?? '';
  if (name.trim() === '') problems.push(`${command} needs --name`);
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      problems.push(`cannot read ${path}`);
      return '';
    }
  };
  if (command === 'sso add-oidc') {
    for (const option of ['issuer', 'client-id', 'client-secret'] as const)
      if (!values[option]) problems.push(`sso add-oidc needs --${option}`);
    if (problems.length > 0) throw new UsageError(problems);
    return {
      protocol: 'oidc',
      name,
      issuer: values.issuer!,
      clientId: values['client-id']!,
      clientSecret: values['client-secret']!,
      ...(values.scope ? { scopes: ['openid', ...values.scope.filter((s) => s !== 'openid')] } : {}),
      claimMap: {
        ...(values['email-attribute'] ? { email: values['email-attribute'] } : {}),
        ...(values['groups-attribute'] ? { groups: values['groups-attribute'] } : {}),
      },
    };
  }
  let idp: { idpEntityId: string; idpSsoUrl: string; idpCerts: string[] } | undefined;
  if (values.metadata) {
    const xml = read(values.metadata);
    if (xml !== '') {
      try {
        const imported = parseIdpMetadata(xml);
        idp = {
          idpEntityId: imported.idpEntityId,
          idpSsoUrl: imported.idpSsoUrl,
          idpCerts: [...imported.idpCerts],
        };
      } catch (error) {
        problems.push(`${values.metadata}: ${error instanceof Error ? error.message : 'not IdP metadata'}`);
      }
    }
  } else {
    if (!values['entity-id'])
      problems.push('sso add-saml needs --metadata, or --entity-id, --sso-url and --cert');
    if (!values['sso-url']) problems.push('sso add-saml needs --sso-url (or --metadata)');
    if (!values.cert?.length) problems.push('sso add-saml needs at least one --cert (or --metadata)');
    idp = {
      idpEntityId: values['entity-id'] ?? '',
      idpSsoUrl: values['sso-url'] ?? '',
      idpCerts: (values.cert ?? []).map(read),
    };
  }
  if (problems.length > 0 || !idp) throw new UsageError(problems);
  return {
    protocol: 'saml',
    name,
    ...idp,
    responseSigned: !values['response-unsigned'],
    idpInitiated: values['idp-initiated'] === true,
    attributeMap: {
      ...(values['email-attribute'] ? { email: values['email-attribute'] } : {}),
      ...(values['groups-attribute'] ? { groups: values['groups-attribute'] } : {}),
    },
  };
}
