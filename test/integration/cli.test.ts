// The `seatkeeper` operator command as an operating-system process, over a real database file.
import { afterAll, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RenewalOutcome } from '../../billing/renewal.js';
import type { OrganisationView as DescribedOrganisation } from '../../cli/commands.js';
import type { connectionView, invoiceSummary, invoiceView, quoteView } from '../../cli/views.js';
import { tempDir } from '../helpers/fixtures.js';
import { startServer } from '../helpers/server-main-process.js';
import { startSamlIdp } from '../helpers/saml-idp.js';
import { DateTime } from 'luxon';

/** What `org show --json` prints: the organisation as the CLI describes it. */
type OrganisationView = Awaited<DescribedOrganisation>;

const SP_PLACEHOLDER =
  '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="sp"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://127.0.0.1/acs" index="0"/></SPSSODescriptor></EntityDescriptor>';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

type Invoice = ReturnType<typeof invoiceView>;
type Quote = ReturnType<typeof quoteView>;
type Connection = ReturnType<typeof connectionView>;

/** Configuration for one run besides DATA_DIR; PUBLIC_BASE_URL, HOST and PORT unset by default. */
let runEnv: Record<string, string> = {};

/** Runs the CLI with DATA_DIR set to `dir`, so its database is `dir`/seatkeeper.db. */
function cli(dir: string, ...args: string[]): Run {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      PUBLIC_BASE_URL: '',
      HOST: '',
      PORT: '',
      ...runEnv,
      DATA_DIR: dir,
      DATABASE_PATH: '',
    },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI, expects success, and parses its --json output (typed as the command's result). */
function json<T>(dir: string, ...args: string[]): T {
  const run = cli(dir, ...args, '--json');
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}

/** Runs `body` with these configuration keys in the CLI's environment. */
function withEnv<T>(env: Record<string, string>, body: () => T): T {
  runEnv = env;
  try {
    return body();
  } finally {
    runEnv = {};
  }
}

function newDir(): string {
  const dir = tempDir('seatkeeper-cli-');
  dirs.push(dir);
  return dir;
}

/** The product example's contract: from 1 January, Europe/Berlin, EUR, 100 standard seats. */
const ACME = [
  'org',
  'create',
  '--slug',
  'acme',
  '--name',
  'Acme GmbH',
  '--domain',
  'acme.example',
  '--term-start',
  '2026-01-01',
  '--time-zone',
  'Europe/Berlin',
  '--currency',
  'EUR',
  '--price',
  'standard=50.00',
  '--price',
  'premium=150.00',
  '--seats',
  'standard=100',
  '--owner-email',
  'owner@acme.example',
  '--owner-name',
  'Olga Owner',
  '--now',
  '2026-01-01T09:00:00Z',
];

/** A new database holding the example organisation. */
function acme(): string {
  const dir = newDir();
  const run = cli(dir, ...ACME);
  assert.equal(run.status, 0, run.stderr);
  return dir;
}

function seatsByTier(shown: OrganisationView): Record<string, OrganisationView['tiers'][number]> {
  return Object.fromEntries(shown.tiers.map((t) => [t.id, t]));
}

const MARCH_1 = '2026-03-01T10:00:00+01:00';
const EXAMPLE = ['--add', 'standard=5', '--upgrade', 'standard:premium=10'];

describe('The seatkeeper command', () => {
  test('When the operator creates an organisation, then it has 100 standard seats, one held by the owner invitation, and an initial 12-month invoice', () => {
    const dir = newDir();
    const created = cli(dir, ...ACME);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /Created organisation acme \(Acme GmbH\)/);
    assert.match(created.stdout, /ACME-0001.*60,000\.00 EUR/);
    assert.equal(created.stderr, '', 'nothing but the result is written');

    const shown = json<OrganisationView>(dir, 'org', 'show', 'acme');
    assert.equal(shown.organisation.slug, 'acme');
    assert.deepEqual(
      shown.organisation.domains.map((d) => [d.domain, d.verified]),
      [['acme.example', true]],
    );
    assert.deepEqual(shown.contract, {
      currencyDigits: 2,
      termNumber: 1,
      termStart: '2026-01-01',
      termEnd: '2026-12-31',
      timeZone: 'Europe/Berlin',
      currency: 'EUR',
      autoRenew: true,
      status: 'active',
    });
    const seats = seatsByTier(shown);
    assert.deepEqual(
      [seats.standard!.allocation, seats.standard!.held, seats.standard!.invited],
      [100, 1, 1],
    );
    assert.equal(seats.premium!.allocation, 0);
    assert.equal(shown.members, 1);

    const { invoices } = json<{ invoices: ReturnType<typeof invoiceSummary>[] }>(dir, 'invoices', 'acme');
    assert.deepEqual(
      invoices.map((i) => [i.number, i.kind, i.totalMinor]),
      [['ACME-0001', 'initial', 6_000_000]],
    );
    const initial = json<Invoice>(dir, 'invoice', 'acme', 'ACME-0001');
    assert.deepEqual(
      initial.lines.map((l) => [l.tier, l.quantity, l.months, l.amountMinor]),
      [['standard', 100, { numerator: 12, denominator: 1, text: '12' }, 6_000_000]],
    );

    // --db names the file directly, whatever DATA_DIR says.
    const elsewhere = newDir();
    const list = cli(elsewhere, 'org', 'list', '--db', join(dir, 'seatkeeper.db'));
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^acme\s+Acme GmbH\s+2026-01-01 to 2026-12-31\s+EUR\s+active\s+1\/100$/m);
  });

  test('When 5 standard seats are added and 10 upgraded on 1 March, then the quote and the invoice bill 2,500.00 and 10,000.00', () => {
    const dir = acme();
    const quote = json<Quote>(dir, 'quote', 'acme', ...EXAMPLE, '--now', MARCH_1);
    assert.match(quote.id, /^q_/);
    assert.deepEqual(
      quote.lines.map((l) => l.amountMinor),
      [250_000, 1_000_000],
    );
    assert.equal(quote.totalMinor, 1_250_000);

    const invoice = json<Invoice>(dir, 'confirm', 'acme', quote.id, '--now', MARCH_1);
    assert.equal(invoice.kind, 'purchase');
    assert.equal(invoice.totalMinor, 1_250_000);
    assert.deepEqual(invoice.lines, quote.lines, 'the invoice is exactly what was reviewed');

    const text = cli(dir, 'invoice', 'acme', invoice.number);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^\s+5\s+50\.00\s+10\s+2,500\.00\s+Add Standard seats/m);
    assert.match(text.stdout, /^\s+10\s+100\.00\s+10\s+10,000\.00\s+Upgrade Standard seats to Premium/m);
    assert.match(text.stdout, /Total: 12,500\.00 EUR/);

    const seats = seatsByTier(json<OrganisationView>(dir, 'org', 'show', 'acme'));
    assert.equal(seats.standard!.allocation, 95);
    assert.equal(seats.premium!.allocation, 10);
  });

  test('When the same purchase is quoted on 16 March, then 9 16/31 months are billed: 2,379.03 and 9,516.13', () => {
    const dir = acme();
    const run = cli(dir, 'quote', 'acme', ...EXAMPLE, '--now', '2026-03-16T12:00:00+01:00');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^\s+5\s+50\.00\s+9 16\/31\s+2,379\.03\s/m);
    assert.match(run.stdout, /^\s+10\s+100\.00\s+9 16\/31\s+9,516\.13\s/m);
    assert.match(run.stdout, /Total: 11,895\.16 EUR/);
    assert.match(run.stdout, /seatkeeper confirm acme q_/);
  });

  test('When an upgrade names a member to move, then the member is found by email; an unknown email is refused', () => {
    const dir = acme();
    const quote = json<Quote>(
      dir,
      'quote',
      'acme',
      '--upgrade',
      'standard:premium=1',
      '--move',
      'OWNER@acme.example',
      '--now',
      MARCH_1,
    );
    assert.equal(quote.request.upgrades[0]!.moveMemberIds.length, 1);

    const unknown = cli(dir, 'quote', 'acme', '--upgrade', 'standard:premium=1', '--move', 'x@acme.example');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /No member x@acme\.example in organisation "acme"/);
  });

  test('When the arguments are wrong, then it exits 2 naming each problem, suggests help, and touches no database', () => {
    const dir = newDir();
    const expectUsage = (run: Run, ...patterns: RegExp[]) => {
      assert.equal(run.status, 2, run.stderr);
      for (const pattern of patterns) assert.match(run.stderr, pattern);
      assert.match(run.stderr, /seatkeeper help/);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(run.stdout, '');
    };

    expectUsage(cli(dir, 'frobnicate'), /unknown command "frobnicate"/);
    const withoutSlug = ACME.filter(
      (_, i) => i !== ACME.indexOf('--slug') && i !== ACME.indexOf('--slug') + 1,
    );
    expectUsage(cli(dir, ...withoutSlug), /missing --slug/);
    // Every problem of `org create` is reported at once.
    const broken = ACME.map((a) =>
      a === 'standard=100' ? 'standard=abc' : a === 'standard=50.00' ? 'standard=50.001' : a,
    );
    expectUsage(
      cli(dir, ...broken),
      /--seats standard=abc: the number of seats must be a whole number/,
      /--price standard=50\.001: EUR has 2 decimal places/,
    );
    const yen = ACME.map((a) => (a === 'EUR' ? 'JPY' : a === 'standard=50.00' ? 'standard=10.5' : a));
    expectUsage(cli(dir, ...yen), /--price standard=10\.5: JPY has no minor unit/);
    assert.deepEqual(readdirSync(dir), [], 'bad arguments create no database');
  });

  test('When a rule refuses the command, then it exits 1 with the message and no stack trace', () => {
    const dir = acme();
    const duplicate = cli(dir, ...ACME);
    assert.equal(duplicate.status, 1);
    assert.match(duplicate.stderr, /An organisation with slug "acme" already exists/);
    assert.doesNotMatch(duplicate.stderr, /\n\s+at /);

    const unknown = cli(dir, 'confirm', 'acme', 'q_nope');
    assert.equal(unknown.status, 1);
    assert.equal(unknown.stderr, 'seatkeeper: No quote q_nope for this organisation.\n');

    const machine = cli(dir, 'confirm', 'acme', 'q_nope', '--json');
    assert.equal(machine.status, 1);
    assert.equal(machine.stdout, '');
    assert.deepEqual(JSON.parse(machine.stderr), {
      error: { code: 'not_found', message: 'No quote q_nope for this organisation.' },
    });
  });

  test('When renew runs after the term end, then an auto-renewing contract rolls into its next term once', () => {
    const dir = acme();
    const after = '2027-01-01T00:00:00+01:00';
    const renewed = json<{ outcomes: RenewalOutcome[] }>(dir, 'renew', '--now', after);
    assert.deepEqual(renewed.outcomes, [
      { organisationId: 1, slug: 'acme', outcome: 'renewed', termNumber: 2, invoiceNumber: 'ACME-0002' },
    ]);

    const again = cli(dir, 'renew', '--now', after);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, 'Nothing to renew: no term has ended.\n');

    const shown = json<OrganisationView>(dir, 'org', 'show', 'acme', '--now', after);
    assert.equal(shown.contract.termNumber, 2);
    assert.equal(shown.contract.termStart, '2027-01-01');
    // Per tier, as many seats as were held when the term ended. The owner's invitation lapsed on
    // 22 January 2026 (no expiry job ran since), so it no longer holds a seat and is not renewed.
    assert.equal(seatsByTier(shown).standard!.allocation, 0);
  });

  test('When an owner creates a SCIM token, then it is shown once, stored only as its hash, listed without its secret, and revoked once', () => {
    const dir = acme();
    const created = json<{ token: string; scimBaseUrl: string; id: number; name: string; prefix: string }>(
      dir,
      'scim-token',
      'create',
      'acme',
      '--name',
      'Okta',
    );
    assert.match(created.token, /^skscim_[\w-]{43}$/);
    assert.equal(created.name, 'Okta');
    assert.ok(created.token.startsWith(created.prefix));
    // No PUBLIC_BASE_URL: the server's own address from HOST and PORT, as the server resolves it.
    assert.equal(created.scimBaseUrl, 'http://127.0.0.1:3000/scim/v2');

    const db = new Database(join(dir, 'seatkeeper.db'), { readonly: true });
    const stored = db.prepare('SELECT token_hash FROM scim_tokens').get() as { token_hash: string };
    db.close();
    assert.notEqual(stored.token_hash, created.token, 'only a hash is stored');
    assert.equal(stored.token_hash, createHash('sha256').update(created.token).digest('hex'));

    const listed = cli(dir, 'scim-token', 'list', 'acme', '--json');
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(created.token), 'the secret never appears again');
    const { scimBaseUrl, tokens } = JSON.parse(listed.stdout) as {
      scimBaseUrl: string;
      tokens: { revokedAt: string | null }[];
    };
    assert.equal(scimBaseUrl, 'http://127.0.0.1:3000/scim/v2');
    assert.equal(tokens[0]!.revokedAt, null);

    const text = withEnv({ HOST: '0.0.0.0', PORT: '8443' }, () =>
      cli(dir, 'scim-token', 'create', 'acme', '--name', 'Entra'),
    );
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /SCIM base URL http:\/\/0\.0\.0\.0:8443\/scim\/v2,/);
    assert.doesNotMatch(text.stdout, /PUBLIC_BASE_URL/);

    const revoked = cli(dir, 'scim-token', 'revoke', 'acme', String(created.id));
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(cli(dir, 'scim-token', 'list', 'acme').stdout, /Okta .*\d{4}-\d{2}-\d{2}T.*Z\s*$/m);
    const again = cli(dir, 'scim-token', 'revoke', 'acme', String(created.id));
    assert.equal(again.status, 1);
    assert.match(again.stderr, /No active SCIM token/);
    assert.equal(cli(dir, 'scim-token', 'create', 'acme').status, 2, '--name is required');
  });

  test('When an owner adds SSO connections, then SAML is imported from IdP metadata, the OIDC secret is never shown, and bad arguments exit 2', () => {
    const dir = acme();
    const idp = startSamlIdp({ spMetadata: SP_PLACEHOLDER, now: () => DateTime.utc() });
    try {
      const metadata = join(dir, 'idp.xml');
      writeFileSync(metadata, idp.metadataXml);
      const saml = withEnv({ PUBLIC_BASE_URL: 'https://seats.example.com/' }, () =>
        json<Connection & { settings: { idpEntityId: string; idpCerts: string[] } }>(
          dir,
          'sso',
          'add-saml',
          'acme',
          '--name',
          'Okta',
          '--metadata',
          metadata,
          '--groups-attribute',
          'groups',
        ),
      );
      assert.equal(saml.protocol, 'saml');
      assert.equal(saml.settings.idpEntityId, idp.entityId);
      assert.equal(saml.settings.idpCerts.length, 1);
      assert.deepEqual(saml.serviceProvider, {
        entityId: `https://seats.example.com/sso/saml/${saml.publicId}`,
        metadataUrl: `https://seats.example.com/sso/saml/${saml.publicId}`,
        acsUrl: `https://seats.example.com/sso/saml/${saml.publicId}/acs`,
      });
    } finally {
      idp.close();
    }
    const oidc = cli(
      dir,
      'sso',
      'add-oidc',
      'acme',
      '--name',
      'Entra',
      '--issuer',
      'https://login.example/tenant/v2.0',
      '--client-id',
      'app',
      '--client-secret',
      'sup3r-s3cret',
    );
    assert.equal(oidc.status, 0, oidc.stderr);
    assert.match(oidc.stdout, /Redirect URI: http:\/\/127\.0\.0\.1:3000\/sso\/oidc\/callback$/m);
    const listed = withEnv({ PUBLIC_BASE_URL: 'https://seats.example.com' }, () =>
      cli(dir, 'sso', 'list', 'acme', '--json'),
    );
    const { connections } = JSON.parse(listed.stdout) as { connections: Connection[] };
    assert.deepEqual(
      connections.map((k) => [k.protocol, k.clientSecretSet, k.serviceProvider]),
      [
        [
          'saml',
          false,
          {
            entityId: `https://seats.example.com/sso/saml/${connections[0]!.publicId}`,
            metadataUrl: `https://seats.example.com/sso/saml/${connections[0]!.publicId}`,
            acsUrl: `https://seats.example.com/sso/saml/${connections[0]!.publicId}/acs`,
          },
        ],
        ['oidc', true, { redirectUri: 'https://seats.example.com/sso/oidc/callback' }],
      ],
    );
    const shown = withEnv({ PUBLIC_BASE_URL: 'https://seats.example.com' }, () =>
      cli(dir, 'sso', 'list', 'acme'),
    );
    assert.match(
      shown.stdout,
      /Assertion Consumer Service: https:\/\/seats\.example\.com\/sso\/saml\/\S+\/acs$/m,
    );
    assert.match(shown.stdout, /Redirect URI: https:\/\/seats\.example\.com\/sso\/oidc\/callback$/m);
    for (const out of [oidc.stdout, listed.stdout, cli(dir, 'sso', 'list', 'acme').stdout])
      assert.ok(!out.includes('sup3r-s3cret'));
    const bad = cli(dir, 'sso', 'add-saml', 'acme', '--name', 'X', '--entity-id', 'urn:x');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--sso-url/);
    assert.match(bad.stderr, /--cert/);
  });

  test('When the operator turns "Require SSO" off, then the organisation no longer requires it, audited as the operator, a second run changes nothing, and an unknown organisation exits 1', async () => {
    const dir = acme();
    const oidc = cli(
      dir,
      'sso',
      'add-oidc',
      'acme',
      '--name',
      'Entra',
      '--issuer',
      'https://login.example/tenant/v2.0',
      '--client-id',
      'app',
      '--client-secret',
      'sup3r-s3cret',
    );
    assert.equal(oidc.status, 0, oidc.stderr);
    const owner = json<{ token: string }>(dir, 'api-token', 'create', 'acme', '--role', 'owner');
    // An owner requires single sign-on through the admin API, as the console does.
    const server = await startServer({ DATA_DIR: dir, DATABASE_PATH: '' });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/identity`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ requireSso: true }),
      });
      assert.equal(res.status, 200, await res.text());
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const requireSso = () => {
      const db = new Database(join(dir, 'seatkeeper.db'), { readonly: true });
      try {
        return (
          db.prepare("SELECT require_sso FROM organisations WHERE slug = 'acme'").get() as {
            require_sso: number;
          }
        ).require_sso;
      } finally {
        db.close();
      }
    };
    assert.equal(requireSso(), 1);

    const off = cli(dir, 'sso', 'require-off', 'acme');
    assert.equal(off.status, 0, off.stderr);
    assert.match(off.stdout, /acme no longer requires single sign-on/);
    assert.equal(requireSso(), 0);
    assert.deepEqual(json(dir, 'sso', 'require-off', 'acme'), { requireSso: false });
    const again = cli(dir, 'sso', 'require-off', 'acme');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /did not require single sign-on; nothing changed/);

    const db = new Database(join(dir, 'seatkeeper.db'), { readonly: true });
    const audited = db
      .prepare(
        "SELECT actor_type, before, after FROM audit_log WHERE action = 'organisation.require_sso_changed' ORDER BY id",
      )
      .all() as { actor_type: string; before: string; after: string }[];
    db.close();
    assert.deepEqual(
      audited.map((a) => [a.actor_type, JSON.parse(a.before) as unknown, JSON.parse(a.after) as unknown]),
      [
        ['api_token', { requireSso: false }, { requireSso: true }],
        ['operator', { requireSso: true }, { requireSso: false }],
      ],
    );

    const unknown = cli(dir, 'sso', 'require-off', 'nosuch');
    assert.equal(unknown.status, 1, unknown.stderr);
    assert.equal(cli(dir, 'sso', 'require-off').status, 2);
  });

  test('When the operator creates an API token, then it is shown once, stored as its hash, audited as the operator, and works against the admin API as its role allows, before the primary owner has accepted', async () => {
    const dir = acme();
    const base = 'https://seats.example.com';
    type Issued = {
      token: string;
      id: number;
      name: string;
      role: string;
      createdByMemberId: number | null;
      apiBaseUrl: string;
    };
    const owner = withEnv({ PUBLIC_BASE_URL: base }, () =>
      json<Issued>(dir, 'api-token', 'create', 'acme', '--role', 'owner'),
    );
    assert.match(owner.token, /^skapi_[\w-]{43}$/);
    assert.deepEqual(
      [owner.name, owner.role, owner.createdByMemberId, owner.apiBaseUrl],
      ['Operator', 'owner', null, `${base}/api/v1`],
    );
    const admin = json<Issued>(dir, 'api-token', 'create', 'acme', '--role', 'admin', '--name', 'Reports');
    assert.deepEqual([admin.name, admin.role], ['Reports', 'admin']);
    const text = cli(dir, 'api-token', 'create', 'acme', '--role', 'admin');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^ {2}skapi_[\w-]{43}$/m);
    assert.match(text.stdout, /Authorization: Bearer <token>" to http:\/\/127\.0\.0\.1:3000\/api\/v1;/);

    const db = new Database(join(dir, 'seatkeeper.db'), { readonly: true });
    const stored = db.prepare('SELECT token_hash FROM api_tokens WHERE id = ?').get(owner.id) as {
      token_hash: string;
    };
    const audited = db
      .prepare(
        "SELECT actor_type, subject_id, after FROM audit_log WHERE action = 'api_token.created' ORDER BY id",
      )
      .all() as { actor_type: string; subject_id: string; after: string }[];
    const member = db.prepare("SELECT seat_state FROM members WHERE email = 'owner@acme.example'").get() as {
      seat_state: string;
    };
    db.close();
    assert.equal(stored.token_hash, createHash('sha256').update(owner.token).digest('hex'), 'only a hash');
    assert.deepEqual(
      audited.map((a) => [a.actor_type, Number(a.subject_id), JSON.parse(a.after) as unknown]),
      [
        ['operator', owner.id, { name: 'Operator', role: 'owner' }],
        ['operator', admin.id, { name: 'Reports', role: 'admin' }],
        ['operator', admin.id + 1, { name: 'Operator', role: 'admin' }],
      ],
    );
    assert.equal(member.seat_state, 'invited', 'no member has signed in yet');

    for (const bad of [
      ['--role', 'user'],
      ['--role', 'primary_owner'],
      [],
      ['--role', 'owner', '--name', ' '],
    ]) {
      const refused = cli(dir, 'api-token', 'create', 'acme', ...bad);
      assert.equal(refused.status, 2, `${bad.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, /--role|--name/);
    }

    const server = await startServer({ DATA_DIR: dir, DATABASE_PATH: '', PUBLIC_BASE_URL: base });
    try {
      const get = async (path: string, token: string) => {
        const res = await fetch(`http://127.0.0.1:${server.port}/api/v1${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const listed = await get('/api-tokens', owner.token);
      assert.equal(listed.status, 200);
      assert.deepEqual(
        (listed.body.tokens as { id: number }[]).map((t) => t.id),
        [owner.id, admin.id, admin.id + 1],
      );
      assert.equal((await get('/invoices', admin.token)).status, 403, 'an admin token is not an owner');
      assert.equal((await get('/usage', admin.token)).status, 200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  test('When a command prints --json, then it is what the admin API answers for the same thing', async () => {
    const dir = acme();
    const base = 'https://seats.example.com';
    const env = { PUBLIC_BASE_URL: base };
    const { token } = withEnv(env, () =>
      json<{ token: string }>(dir, 'api-token', 'create', 'acme', '--role', 'owner'),
    );
    const quote = json<Quote>(dir, 'quote', 'acme', ...EXAMPLE, '--now', MARCH_1);
    json<Invoice>(dir, 'confirm', 'acme', quote.id, '--now', MARCH_1);
    withEnv(env, () => json(dir, 'scim-token', 'create', 'acme', '--name', 'Okta'));
    withEnv(env, () =>
      json(
        dir,
        ...['sso', 'add-oidc', 'acme', '--name', 'Entra', '--issuer', 'https://login.example/t/v2.0'],
        ...['--client-id', 'app', '--client-secret', 'sup3r-s3cret'],
      ),
    );
    json(dir, 'mapping', 'set', 'acme', '--group', 'Engineering', '--tier', 'premium');

    const server = await startServer({ DATA_DIR: dir, DATABASE_PATH: '', PUBLIC_BASE_URL: base });
    try {
      const api = async (path: string) => {
        const res = await fetch(`http://127.0.0.1:${server.port}/api/v1${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(res.status, 200, path);
        return (await res.json()) as Record<string, unknown>;
      };
      // Every answer first: a command's run blocks this process for a while, and a kept-alive
      // connection could meanwhile time out under the next request.
      const answers = {
        invoices: await api('/invoices'),
        invoice: await api('/invoices/ACME-0002'),
        connections: await api('/sso-connections'),
        scimTokens: await api('/scim-tokens'),
        mappings: await api('/group-mappings'),
        usage: await api('/usage'),
      };
      const same = (args: string[], body: unknown) =>
        assert.deepEqual(
          withEnv(env, () => json<unknown>(dir, ...args)),
          body,
          args.join(' '),
        );
      same(['invoices', 'acme'], answers.invoices);
      same(['invoice', 'acme', 'ACME-0002'], answers.invoice);
      same(['sso', 'list', 'acme'], answers.connections);
      same(['scim-token', 'list', 'acme'], answers.scimTokens);
      same(['mapping', 'list', 'acme'], answers.mappings);
      same(['waiting', 'acme'], answers.usage.waiting);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  test('When a .env file is in the working directory, then the command reads it as the server does, the environment winning', () => {
    const dir = acme();
    const cwd = newDir();
    writeFileSync(
      join(cwd, '.env'),
      `# the server's settings\nDATA_DIR=${dir}\nPUBLIC_BASE_URL="https://from-file.example"\nexport PORT=1\n`,
    );
    const env: Record<string, string | undefined> = { ...process.env, PORT: '8080', HOST: '' };
    delete env.DATA_DIR;
    delete env.DATABASE_PATH;
    delete env.PUBLIC_BASE_URL;
    /** The SCIM base URL `scim-token list` prints when run in `cwd` with `extra` in the environment. */
    const scimBaseUrl = (extra: Record<string, string>) => {
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          import.meta.resolve('tsx'),
          join(ROOT, 'cli/main.ts'),
          'scim-token',
          'list',
          'acme',
          '--json',
        ],
        { cwd, env: { ...env, ...extra }, encoding: 'utf8' },
      );
      assert.equal(run.status, 0, run.stderr);
      return (JSON.parse(run.stdout) as { scimBaseUrl: string }).scimBaseUrl;
    };
    // The organisation is found, so DATA_DIR came from the file, as did PUBLIC_BASE_URL.
    assert.equal(scimBaseUrl({}), 'https://from-file.example/scim/v2');
    assert.equal(
      scimBaseUrl({ PUBLIC_BASE_URL: '' }),
      'http://127.0.0.1:8080/scim/v2',
      'set in the environment, even empty, wins over the file; so does PORT',
    );
  });

  test('When help is asked for, then every command and global option is listed', () => {
    const run = cli(newDir(), 'help');
    assert.equal(run.status, 0);
    for (const word of [
      'org create',
      'org list',
      'org show',
      'invoices',
      'invoice SLUG NUMBER',
      'quote',
      'confirm',
      'renew',
      'jobs',
      'api-token create SLUG --role owner|admin',
      '--json',
      '--db',
      '--now',
    ]) {
      assert.ok(run.stdout.includes(word), `help mentions ${word}`);
    }
  });

  test('When --database-url is not a PostgreSQL URL, or comes with --db, then the command is refused as bad arguments without echoing the URL', () => {
    const dir = newDir();
    const wrong = cli(dir, 'org', 'list', '--database-url', 'mysql://admin:hunter2@db/seatkeeper');
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.match(wrong.stderr, /--database-url must be a postgres:\/\/ or postgresql:\/\/ URL/);
    assert.doesNotMatch(wrong.stderr, /hunter2/);
    const both = cli(
      dir,
      'org',
      'list',
      '--db',
      join(dir, 'x.db'),
      '--database-url',
      'postgres://db/seatkeeper',
    );
    assert.equal(both.status, 2, both.stderr);
    assert.match(both.stderr, /--db and --database-url name two databases/);
  });

  test('When backup or restore is asked for on PostgreSQL, then it is refused with the PostgreSQL tools to use instead', () => {
    const dir = newDir();
    // Refused before any connection is tried: nothing listens at this address.
    const url = 'postgres://seatkeeper@127.0.0.1:1/seatkeeper';
    const backup = cli(dir, 'backup', join(dir, 'b.dump'), '--database-url', url);
    assert.equal(backup.status, 1, backup.stderr);
    assert.match(backup.stderr, /pg_dump --format=custom/);
    const restore = cli(dir, 'restore', join(dir, 'b.dump'), '--json', '--database-url', url);
    assert.equal(restore.status, 1, restore.stderr);
    assert.equal(
      (JSON.parse(restore.stderr) as { error: { code: string } }).error.code,
      'use_postgres_tools',
    );
    assert.match(restore.stderr, /pg_restore --clean/);
  });
});
