// The processes of the single-sign-on scenarios (bench/sso.ts), each on its own event loop: the
// parent process is the load generator, the SAML IdP (which signs every response before the timed
// part) and the OpenID Provider.
//
// argv[2]: JSON { mode: 'seatkeeper', databasePath } or { mode: 'echo' }.
//
// seatkeeper: the real container and createApp (the /sso edge included) over a SQLite file, with
//   publicBaseUrl set to where this process listens, so AuthnRequests, ACS URLs and the OIDC
//   redirect_uri name this server. Clock-driven jobs are never started. Request logging stays at the
//   production level (info), serialised by the real pino logger into a sink that counts lines and
//   passes warnings and errors on to stderr. Commands (IPC): organisation, samlConnection,
//   oidcConnection, counts, exit.
// echo: the baseline, a bare express 5 server that parses a form POST (express.urlencoded, as the
//   ACS route does) and answers it with the fields as JSON, and answers GET with a small JSON object.
//
// Started with BENCH_CPU_PROF=<dir> set, the parent adds --cpu-prof to the seatkeeper process; the
// profile is written when the scenario stops it (the built-in `exit` command).
import { benchOrganisation, countingLogSink } from './fixture.js';
import express from 'express';
import { openDatabase } from '../db/sqlite/connection.js';
import { systemClock } from '../domain/clock.js';
import { OPERATOR } from '../domain/model.js';
import { createApp } from '../server/app.js';
import { buildContainer } from '../server/container.js';
import { createLogger } from '../runtime/logger.js';
import { announce, listenLocal, serveCommands, statusCounter } from './http/child-side.js';

type Options = { readonly mode: 'seatkeeper'; readonly databasePath: string } | { readonly mode: 'echo' };

const options = JSON.parse(process.argv[2] ?? '{}') as Options;

const { server, port, url } = await listenLocal();
const statuses = statusCounter();

if (options.mode === 'echo') {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.urlencoded({ extended: false, limit: '512kb' }));
  app.use((req, res) => {
    if (req.method === 'POST') res.status(200).json(req.body);
    else res.status(200).json({ path: req.path, query: req.query });
  });
  server.on('request', statuses.wrap(app));
  serveCommands({ counts: () => ({ statuses: { ...statuses.counts } }) }, () => {
    server.closeAllConnections();
    server.close();
  });
} else {
  const { databasePath } = options;
  const { log, sink } = countingLogSink('seatkeeper');
  const c = await buildContainer({
    // The benchmark's OpenID Provider listens on 127.0.0.1, which the outbound guard refuses otherwise.
    config: {
      databasePath,
      dbBusyTimeoutMs: 5000,
      quoteTtlSeconds: 900,
      outbound: { allowlist: ['127.0.0.1'] },
    },
    clock: systemClock,
    logger: createLogger('info', sink),
  });
  server.on(
    'request',
    statuses.wrap(
      createApp({
        ...c,
        config: {
          publicBaseUrl: url,
          scimRateLimit: { perSecond: 0, burst: 1 },
          scimOrganisationRateLimit: { perSecond: 0, burst: 1 },
        },
      }),
    ),
  );

  const num = (args: Record<string, unknown>, key: string): number => {
    const value = args[key];
    if (typeof value !== 'number') throw new Error(`${key} must be a number`);
    return value;
  };
  const str = (args: Record<string, unknown>, key: string): string => {
    const value = args[key];
    if (typeof value !== 'string') throw new Error(`${key} must be a string`);
    return value;
  };

  /** A fresh organisation in JIT mode whose contract starts today (Europe/Berlin), with `seats`
   * standard seats (the owner's invitation holds one of them) and no premium ones. */
  const organisation = async (args: Record<string, unknown>) => {
    const slug = str(args, 'slug');
    const domain = str(args, 'domain');
    const { organisation } = await c.organisations.create(
      benchOrganisation(slug, domain, { standard: num(args, 'seats'), premium: 0 }, 'Bench SSO GmbH'),
      OPERATOR,
    );
    await c.directory.setProvisioningMode(organisation.id, 'jit', OPERATOR);
    return { organisationId: organisation.id };
  };

  const samlConnection = async (args: Record<string, unknown>) => {
    const connection = await c.sso.createConnection(
      num(args, 'organisationId'),
      {
        protocol: 'saml',
        name: 'Bench SAML',
        idpEntityId: str(args, 'idpEntityId'),
        idpSsoUrl: str(args, 'idpSsoUrl'),
        idpCerts: [str(args, 'certPem')],
        // Whether the Response itself must be signed, or the assertion alone (Entra's default).
        responseSigned: args.responseSigned !== false,
      },
      OPERATOR,
    );
    const spEntityId = `${url}/sso/saml/${connection.publicId}`;
    return { publicId: connection.publicId, spEntityId, acsUrl: `${spEntityId}/acs` };
  };

  const oidcConnection = async (args: Record<string, unknown>) => {
    const connection = await c.sso.createConnection(
      num(args, 'organisationId'),
      {
        protocol: 'oidc',
        name: 'Bench OIDC',
        issuer: str(args, 'issuer'),
        clientId: str(args, 'clientId'),
        clientSecret: str(args, 'clientSecret'),
      },
      OPERATOR,
    );
    return { publicId: connection.publicId };
  };

  /** What the scenario checks afterwards. Pool counters against member rows exactly as the test
   * suite's heldMatchesMembers does (the store's own queries); the row counts in plain SQL over a
   * second connection, in one read transaction: members, identities, sessions, and the refusals
   * the sign-in engine recorded (audited by code, and the open waiting list). */
  const counts = async (args: Record<string, unknown>) => {
    const organisationId = num(args, 'organisationId');
    const pools = await c.store.read(async (q) => {
      const counted = await q.members.heldByTier(organisationId);
      return (await q.seatPools.list(organisationId)).map((t) => ({
        tierId: t.tierId,
        allocation: t.allocation,
        held: t.held,
        memberRows: counted.get(t.tierId) ?? 0,
      }));
    });
    const db = openDatabase(databasePath, { busyTimeoutMs: 5000 });
    try {
      const count = (sql: string) => db.prepare<[number]>(sql).pluck().get(organisationId) as number;
      const rows = db.transaction(() => ({
        jitMembers: count(`SELECT count(*) FROM members WHERE organisation_id = ? AND source = 'jit'`),
        seatedJitMembers: count(
          `SELECT count(*) FROM members WHERE organisation_id = ? AND source = 'jit' AND seat_state = 'seated'`,
        ),
        identities: count(
          `SELECT count(*) FROM sso_identities i JOIN sso_connections s ON s.id = i.connection_id
           WHERE s.organisation_id = ?`,
        ),
        sessions: count('SELECT count(*) FROM sessions WHERE organisation_id = ? AND revoked_at IS NULL'),
        refusals: Object.fromEntries(
          db
            .prepare<[number], { code: string; n: number }>(
              `SELECT json_extract(after, '$.code') AS code, count(*) AS n FROM audit_log
               WHERE organisation_id = ? AND action = 'sign_in.refused' GROUP BY code`,
            )
            .all(organisationId)
            .map((r) => [r.code, r.n]),
        ),
        waitlisted: count(
          'SELECT count(*) FROM seat_waitlist WHERE organisation_id = ? AND resolved_at IS NULL',
        ),
      }))();
      return { ...rows, pools, statuses: { ...statuses.counts }, log: { ...log } };
    } finally {
      db.close();
    }
  };

  serveCommands({ organisation, samlConnection, oidcConnection, counts }, async () => {
    server.closeAllConnections();
    server.close();
    await c.close();
  });
}

announce({ port });
