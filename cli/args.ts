// Command-line words → typed requests: the command table, global options, and the exact parsing of
// counts and prices. Everything here is syntax; rules that need the database stay in the services.
import { parseArgs } from 'node:util';
import { parseInstant } from '../domain/clock.js';
import { currencyDigits, isCurrency } from '../domain/money.js';
import type { NewOrganisation } from '../provisioning/organisations.js';
import { parsePostgresUrl } from '../server/config.js';

/** Bad arguments: every problem found, so the operator fixes them in one go. Exit code 2. */
export class UsageError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0] : `bad arguments:\n  - ${problems.join('\n  - ')}`);
    this.name = 'UsageError';
  }
}

// One option table for every command, so that parseArgs knows which options take a value wherever
// they appear; which options a command accepts is checked afterwards against COMMANDS.
const OPTIONS = {
  json: { type: 'boolean' },
  db: { type: 'string' },
  'database-url': { type: 'string' },
  now: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  slug: { type: 'string' },
  name: { type: 'string' },
  domain: { type: 'string', multiple: true },
  'term-start': { type: 'string' },
  'time-zone': { type: 'string' },
  currency: { type: 'string' },
  price: { type: 'string', multiple: true },
  seats: { type: 'string', multiple: true },
  'owner-email': { type: 'string' },
  'owner-name': { type: 'string' },
  'no-auto-renew': { type: 'boolean' },
  add: { type: 'string', multiple: true },
  upgrade: { type: 'string', multiple: true },
  move: { type: 'string', multiple: true },
  'idempotency-key': { type: 'string' },
  'seat-exhaustion': { type: 'string' },
  'provisioning-mode': { type: 'string' },
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
  group: { type: 'string' },
  role: { type: 'string' },
  tier: { type: 'string' },
  metadata: { type: 'string' },
  'entity-id': { type: 'string' },
  'sso-url': { type: 'string' },
  cert: { type: 'string', multiple: true },
  'response-unsigned': { type: 'boolean' },
  'idp-initiated': { type: 'boolean' },
  'email-attribute': { type: 'string' },
  'groups-attribute': { type: 'string' },
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  scope: { type: 'string', multiple: true },
  'expires-at': { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;
export type OptionValues = ReturnType<typeof parseOptions>['values'];

const GLOBAL_OPTIONS: readonly OptionName[] = ['json', 'db', 'database-url', 'now', 'help'];

const ORG_CREATE_OPTIONS: readonly OptionName[] = [
  'slug',
  'name',
  'domain',
  'term-start',
  'time-zone',
  'currency',
  'price',
  'seats',
  'owner-email',
  'owner-name',
  'no-auto-renew',
];

export const COMMANDS = {
  'org create': { params: [], options: ORG_CREATE_OPTIONS },
  'org list': { params: [], options: [] },
  'org show': { params: ['slug'], options: [] },
  invoices: { params: ['slug'], options: [] },
  invoice: { params: ['slug', 'number'], options: [] },
  quote: { params: ['slug'], options: ['add', 'upgrade', 'move', 'idempotency-key'] },
  confirm: { params: ['slug', 'quote-id'], options: [] },
  renew: { params: [], options: [] },
  jobs: { params: [], options: [] },
  'scim-token create': { params: ['slug'], options: ['name', 'expires-at'] },
  'scim-token list': { params: ['slug'], options: [] },
  'scim-token revoke': { params: ['slug', 'token-id'], options: [] },
  'api-token create': { params: ['slug'], options: ['role', 'name'] },
  waiting: { params: ['slug'], options: [] },
  'sync-now': { params: ['slug'], options: [] },
  'org set': { params: ['slug'], options: ['seat-exhaustion', 'provisioning-mode'] },
  'mapping list': { params: ['slug'], options: ['enable', 'disable'] },
  'mapping set': { params: ['slug'], options: ['group', 'role', 'tier'] },
  'mapping remove': { params: ['slug'], options: ['group'] },
  'sso add-saml': {
    params: ['slug'],
    options: [
      'name',
      'metadata',
      'entity-id',
      'sso-url',
      'cert',
      'response-unsigned',
      'idp-initiated',
      'email-attribute',
      'groups-attribute',
    ],
  },
  'sso add-oidc': {
    params: ['slug'],
    options: ['name', 'issuer', 'client-id', 'client-secret', 'scope', 'email-attribute', 'groups-attribute'],
  },
  'sso list': { params: ['slug'], options: [] },
  'sso require-off': { params: ['slug'], options: [] },
  'secrets rotate': { params: [], options: [] },
  backup: { params: ['file'], options: [] },
  restore: { params: ['file'], options: [] },
} as const satisfies Record<string, { params: readonly string[]; options: readonly OptionName[] }>;

export type CommandName = keyof typeof COMMANDS;

/** Commands on the database file itself rather than through the services (cli/backup.ts). */
export type FileCommandName = 'backup' | 'restore';

export function isFileCommand(command: CommandName): command is FileCommandName {
  return command === 'backup' || command === 'restore';
}

export const USAGE = `Usage: seatkeeper <command> [options]

Organisations
  org create --slug SLUG --name NAME --domain DOMAIN [--domain ...]
             --term-start YYYY-MM-DD --time-zone ZONE --currency CODE
             --price TIER=AMOUNT [--price ...] --seats TIER=N [--seats ...]
             --owner-email EMAIL [--owner-name NAME] [--no-auto-renew]
                               Provision an organisation, its first annual term, the initial
                               invoice and the primary owner's invitation. Prices are monthly,
                               per seat, in major units (50.00).
  org list                     Every organisation with its term and seats.
  org show SLUG                Organisation, contract and seats per tier.

Billing
  invoices SLUG                The organisation's invoices.
  invoice SLUG NUMBER          One invoice with every line.
  quote SLUG [--add TIER=N ...] [--upgrade FROM:TO=N ...] [--move EMAIL ...]
             [--idempotency-key KEY]
                               Price a purchase without buying; --move names a member to move
                               into the upgraded seats when too few seats are unclaimed.
  confirm SLUG QUOTE-ID        Buy what the quote priced and issue its invoice.

Directory sync (SCIM)
  scim-token create SLUG --name NAME [--expires-at ISO]
                               Create a SCIM bearer token for the identity provider; it is shown
                               once and stored only as a hash. --expires-at: when it stops
                               working (an instant with an offset, e.g. 2027-01-31T00:00:00Z).
  scim-token list SLUG         The organisation's SCIM tokens (never the secrets).
  scim-token revoke SLUG ID    Revoke a token at once.
  waiting SLUG                 Directory users refused for want of a seat, and those awaiting one.
  sync-now SLUG                Seat waiting users now, first come first served, as seats allow.
  org set SLUG [--seat-exhaustion reject|hold] [--provisioning-mode invite_only|jit|scim]
                               When no seat is free: refuse a pushed user (403, recorded), or keep
                               the user awaiting a seat. How members arrive besides invitations.
  mapping list SLUG [--enable | --disable]
                               Advanced group mappings, and turn them on or off.
  mapping set SLUG --group NAME [--role owner|admin|user] [--tier TIER]
  mapping remove SLUG --group NAME
                               Change a mapping; every directory user is re-evaluated at once.

Admin API
  api-token create SLUG --role owner|admin [--name NAME]
                               Create an admin API token for the organisation without a member's
                               sign-in (a first token for its scripts, or for the primary owner
                               before the invitation is accepted). Shown once, stored only as a
                               hash, audited as the operator's; it answers to no member (owners
                               see and revoke it with their other tokens).

Single sign-on
  sso add-saml SLUG --name NAME (--metadata IDP-METADATA.xml | --entity-id ID --sso-url URL --cert CERT.pem ...)
               [--response-unsigned] [--idp-initiated] [--email-attribute A] [--groups-attribute A]
                               Add a SAML connection (from the IdP's metadata, or by hand).
  sso add-oidc SLUG --name NAME --issuer URL --client-id ID --client-secret SECRET [--scope S ...]
               [--email-attribute CLAIM] [--groups-attribute CLAIM]
                               Add an OpenID Connect connection; the secret is never shown again.
  sso list SLUG                The connections, with the URLs to give the identity provider.
  sso require-off SLUG         Stop requiring single sign-on (when the identity provider is broken
                               and nobody can reach the console): mailed sign-in links and
                               invitations work again. Audited as the operator's.

Jobs
  renew                        Roll over every term that has ended (renew or expire).
  jobs                         Run every clock-driven job: renewals and invitation expiry.

Secrets
  secrets rotate               Seal every stored secret (OIDC client and webhook signing secrets)
                               again under the newest key: with a key file, a new key is added
                               first in it (the older ones stay, to open older backups); with
                               SECRETS_KEY, under its first key.

Database
  backup FILE                  Copy the database to FILE while the server keeps serving: one
                               consistent snapshot, checked, written whole or not at all.
  restore FILE                 With every server process stopped: check the backup FILE
                               (integrity, schema no newer than this release, seat counts), keep
                               the current database as <database>.before-restore-<time>, and
                               replace it with the backup.

Global options
  --json                       Machine output: one JSON document on stdout (errors on stderr).
  --db PATH                    Database file (default: DATABASE_PATH, or DATA_DIR/seatkeeper.db).
  --database-url URL           PostgreSQL instead: postgres://user:pass@host:5432/name
                               (default: DATABASE_URL).
  --now ISO                    Act as if it were this instant (rehearsals and tests).
  -h, --help, help             This text.

Exit codes: 0 done, 1 refused by a rule, 2 bad arguments.`;

export type CommandLine =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'run';
      readonly command: CommandName;
      readonly params: Readonly<Record<string, string>>;
      readonly values: OptionValues;
      readonly json: boolean;
      readonly db: string | undefined;
      /** --database-url: PostgreSQL, whatever DATABASE_URL and DATABASE_PATH say. */
      readonly databaseUrl: string | undefined;
      readonly now: string | undefined;
    };

function parseOptions(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes; keep the first, plain line of each.
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      const unknown = /^Unknown option '([^']+)'/.exec(error.message);
      const missing = /^Option '(-\S+)(?:, (-\S+))? <value>' argument (?:missing|is ambiguous)/.exec(
        error.message,
      );
      throw new UsageError([
        unknown
          ? `unknown option ${unknown[1]}`
          : missing
            ? `option ${missing[2] ?? missing[1]} needs a value`
            : error.message.split('\n')[0]!,
      ]);
    }
    throw error;
  }
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const { values, positionals, tokens } = parseOptions(argv);
  if (values.help || positionals[0] === 'help') return { kind: 'help' };
  if (positionals.length === 0) throw new UsageError(['no command given']);

  const [first = '', second = ''] = positionals;
  // Two-word commands ("org create", "scim-token list") are grouped by their first word.
  const subcommands = Object.keys(COMMANDS)
    .filter((c) => c.startsWith(`${first} `))
    .map((c) => c.slice(first.length + 1));
  const grouped = subcommands.length > 0;
  const name = grouped ? `${first} ${second}` : first;
  if (!Object.hasOwn(COMMANDS, name)) {
    const choices = subcommands.join(', ');
    throw new UsageError([
      !grouped
        ? `unknown command "${first}"`
        : second === ''
          ? `"${first}" needs a subcommand: ${choices}`
          : `unknown command "${first} ${second}" (${first} ${choices})`,
    ]);
  }
  const command = name as CommandName;
  const spec = COMMANDS[command];
  const args = positionals.slice(grouped ? 2 : 1);
  const problems: string[] = [];
  spec.params.forEach((param, i) => {
    if (args[i] === undefined) problems.push(`missing ${param.toUpperCase()} for "${command}"`);
  });
  if (args.length > spec.params.length) {
    problems.push(`unexpected argument "${args[spec.params.length]}" for "${command}"`);
  }
  const allowed = new Set<string>([...GLOBAL_OPTIONS, ...spec.options]);
  for (const token of tokens) {
    if (token.kind === 'option' && !allowed.has(token.name)) {
      problems.push(`option --${token.name} does not apply to "${command}"`);
    }
  }
  if (values.now !== undefined) {
    try {
      parseInstant(values.now);
    } catch {
      problems.push(`--now "${values.now}" is not an ISO 8601 instant (e.g. 2026-03-01T10:00:00+01:00)`);
    }
  }
  if (values.db === '') problems.push('--db needs a file path');
  const databaseUrl = values['database-url'];
  if (databaseUrl !== undefined) {
    const problem = parsePostgresUrl(databaseUrl);
    // The URL may carry a password: it is never echoed.
    if (problem !== undefined) problems.push(`--database-url ${problem}`);
    if (values.db !== undefined) problems.push('--db and --database-url name two databases: give one');
  }
  if (problems.length > 0) throw new UsageError(problems);

  return {
    kind: 'run',
    command,
    params: Object.fromEntries(spec.params.map((p, i) => [p, args[i]!])),
    values,
    json: values.json ?? false,
    db: values.db,
    databaseUrl,
    now: values.now,
  };
}

/** True when the raw arguments ask for JSON, for reporting errors found before parsing finished. */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

/** `org create` options → the service's input, with prices converted to minor units exactly. */
export function organisationInput(values: OptionValues): NewOrganisation {
  const problems: string[] = [];
  const required = (option: OptionName, value: string | undefined): string => {
    if (value === undefined || value.trim() === '') problems.push(`missing --${option}`);
    return value ?? '';
  };
  const slug = required('slug', values.slug);
  const name = required('name', values.name);
  const termStart = required('term-start', values['term-start']);
  const timeZone = required('time-zone', values['time-zone']);
  const currency = required('currency', values.currency);
  const ownerEmail = required('owner-email', values['owner-email']);
  const domains = values.domain ?? [];
  if (domains.length === 0) problems.push('missing --domain (at least one verified email domain)');
  if (termStart !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(termStart)) {
    problems.push(`--term-start "${termStart}" must be a date, YYYY-MM-DD`);
  }

  const seatTexts = values.seats ?? [];
  if (seatTexts.length === 0) problems.push('missing --seats (e.g. --seats standard=100)');
  const seats = mapOf('seats', seatTexts, problems, (text, tier) => count(`--seats ${tier}=${text}`, text));

  const priceTexts = values.price ?? [];
  if (priceTexts.length === 0) problems.push('missing --price (e.g. --price standard=50.00)');
  let prices: Record<string, number> = {};
  if (currency !== '' && !isCurrency(currency)) {
    problems.push(`--currency "${currency}" is not an ISO 4217 currency code (e.g. EUR)`);
  } else if (currency !== '') {
    prices = mapOf('price', priceTexts, problems, (text, tier) =>
      toMinor(`--price ${tier}=${text}`, text, currency),
    );
  }
  if (problems.length > 0) throw new UsageError(problems);

  const ownerName = values['owner-name'];
  return {
    slug,
    name,
    domains,
    contract: {
      termStart,
      timeZone,
      currency,
      autoRenew: !(values['no-auto-renew'] ?? false),
      prices,
      seats,
    },
    primaryOwner:
      ownerName === undefined ? { email: ownerEmail } : { email: ownerEmail, displayName: ownerName },
  };
}

export interface QuoteArgs {
  readonly add: Readonly<Record<string, number>>;
  readonly upgrades: readonly { readonly from: string; readonly to: string; readonly quantity: number }[];
  /** Emails of members to move up; matched to an upgrade by the tier each member holds. */
  readonly moves: readonly string[];
  readonly idempotencyKey: string | undefined;
}

export function quoteArgs(values: OptionValues): QuoteArgs {
  const problems: string[] = [];
  const add = mapOf('add', values.add ?? [], problems, (text, tier) => count(`--add ${tier}=${text}`, text));
  const upgrades: { from: string; to: string; quantity: number }[] = [];
  for (const text of values.upgrade ?? []) {
    const match = /^([^:=\s]+):([^:=\s]+)=(.*)$/.exec(text);
    if (!match) {
      problems.push(`--upgrade "${text}" must be FROM:TO=N (e.g. --upgrade standard:premium=10)`);
      continue;
    }
    const [, from = '', to = '', n = ''] = match;
    if (upgrades.some((u) => u.from === from && u.to === to)) {
      problems.push(`--upgrade ${from}:${to} is given twice`);
      continue;
    }
    const quantity = count(`--upgrade ${text}`, n);
    if (typeof quantity === 'string') problems.push(quantity);
    else upgrades.push({ from, to, quantity });
  }
  const moves = values.move ?? [];
  const seen = new Set<string>();
  for (const email of moves) {
    if (seen.has(email.toLowerCase())) problems.push(`--move ${email} is given twice`);
    seen.add(email.toLowerCase());
  }
  if (moves.length > 0 && (values.upgrade ?? []).length === 0) {
    problems.push('--move names a member to move in an upgrade, so it needs an --upgrade');
  }
  if (problems.length > 0) throw new UsageError(problems);
  return { add, upgrades, moves, idempotencyKey: values['idempotency-key'] };
}

/**
 * TIER=VALUE pairs → a record, each value converted by `convert`, which returns the value or a
 * problem text. Problems (malformed pair, tier given twice, bad value) are collected.
 */
function mapOf<T>(
  option: string,
  texts: readonly string[],
  problems: string[],
  convert: (value: string, key: string) => T | string,
): Record<string, T> {
  const result: Record<string, T> = {};
  for (const text of texts) {
    const match = /^([^=\s]+)=(.*)$/.exec(text);
    if (!match) {
      problems.push(`--${option} "${text}" must be TIER=VALUE (e.g. --${option} standard=...)`);
      continue;
    }
    const [, key = '', value = ''] = match;
    if (key in result) {
      problems.push(`--${option} ${key} is given twice`);
      continue;
    }
    const converted = convert(value, key);
    if (typeof converted === 'string') problems.push(converted);
    else result[key] = converted;
  }
  return result;
}

/** A whole number of seats, 0 or more; or the problem with it. */
function count(what: string, text: string): number | string {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) ? n : `${what}: the number of seats must be a whole number, 0 or more`;
}

/**
 * A decimal amount in major units ("50.00") → integer minor units (5000), by string arithmetic:
 * a binary float cannot hold 0.1 exactly, and money must never be rounded on the way in. More
 * decimals than the currency has (50.001 EUR, 10.5 JPY) is refused, not rounded.
 */
export function toMinor(what: string, text: string, currency: string): number | string {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return `${what}: the amount must be a decimal number such as 50.00`;
  const [, whole = '', decimals = ''] = match;
  const digits = currencyDigits(currency);
  if (decimals.length > digits) {
    return digits === 0
      ? `${what}: ${currency} has no minor unit, so the amount must be whole`
      : `${what}: ${currency} has ${digits} decimal places, "${text}" has ${decimals.length}`;
  }
  const minor = BigInt(whole + decimals.padEnd(digits, '0'));
  return minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : `${what}: the amount is too large`;
}
