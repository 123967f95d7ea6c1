// The processes of the single-sign-on scenarios (bench/sso.ts), each on its own event loop: the
// parent process is the load generator, the SAML IdP (which signs every response before the timed
// part) and the OpenID Provider.
//
// argv[2]: JSON { mode: 'seatkeeper', databasePath } or { mode: 'seatkeeper', databaseUrl,
// secretsKey } or { mode: 'echo' }.
//
// seatkeeper: the server of bench/http/seatkeeper-app.ts (the real container and createApp, the
//   /sso edge included) over a SQLite file or a PostgreSQL database; its publicBaseUrl is where this
//   process listens, so AuthnRequests, ACS URLs and the OIDC redirect_uri name this server.
//   Commands (IPC): organisation, samlConnection, oidcConnection, counts, exit.
// echo: the baseline, a bare express 5 server that parses a form POST (express.urlencoded, as the
//   ACS route does) and answers it with the fields as JSON, and answers GET with a small JSON object.
//
// Started with BENCH_CPU_PROF=<dir> set, the parent adds --cpu-prof to the seatkeeper process; the
// profile is written when the scenario stops it (the built-in `exit` command).
import express from 'express';
import type { PoolClient } from 'pg';
import { openPool } from '../db/postgres/connection.js';
import { openDatabase } from '../db/sqlite/connection.js';
import { OPERATOR } from '../domain/model.js';
import { benchOrganisation } from './fixture.js';
import { announce, listenLocal, serveCommands, statusCounter } from './http/child-side.js';
import { num, startSeatkeeper, str, type DatabaseOptions } from './http/seatkeeper-app.js';

type Options = ({ readonly mode: 'seatkeeper' } & DatabaseOptions) | { readonly mode: 'echo' };

const options = JSON.parse(process.argv[2] ?? '{}') as Options;

let port: number;
if (options.mode === 'echo') {
  const listening = await listenLocal();
  const { server } = listening;
  port = listening.port;
  const statuses = statusCounter();
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
  const seatkeeper = await startSeatkeeper(options, 'seatkeeper');
  const { c, url, statuses, log } = seatkeeper;
  port = seatkeeper.port;
  const snapshot = snapshotReader(options);

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
   * second connection (see `snapshot`), in one read transaction: members, identities, sessions, and the refusals
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
    const count = async (sql: string) => Number((await snapshot.rows<{ n: number | string }>(sql))[0]!.n);
    const rows = await snapshot.read(organisationId, async () => ({
      jitMembers: await count(
        `SELECT count(*) AS n FROM members WHERE organisation_id = $org AND source = 'jit'`,
      ),
      seatedJitMembers: await count(
        `SELECT count(*) AS n FROM members WHERE organisation_id = $org AND source = 'jit' AND seat_state = 'seated'`,
      ),
      identities: await count(
        `SELECT count(*) AS n FROM sso_identities i JOIN sso_connections s ON s.id = i.connection_id
         WHERE s.organisation_id = $org`,
      ),
      sessions: await count(
        'SELECT count(*) AS n FROM sessions WHERE organisation_id = $org AND revoked_at IS NULL',
      ),
      refusals: Object.fromEntries(
        (
          await snapshot.rows<{ code: string; n: number | string }>(
            `SELECT ${snapshot.jsonText('after', 'code')} AS code, count(*) AS n FROM audit_log
             WHERE organisation_id = $org AND action = 'sign_in.refused' GROUP BY code`,
          )
        ).map((r) => [r.code, Number(r.n)]),
      ),
      waitlisted: await count(
        'SELECT count(*) AS n FROM seat_waitlist WHERE organisation_id = $org AND resolved_at IS NULL',
      ),
    }));
    return { ...rows, pools, statuses: { ...statuses.counts }, log: { ...log } };
  };

  serveCommands({ organisation, samlConnection, oidcConnection, counts }, seatkeeper.close);
}

announce({ port });

/**
 * The row counts' own connection to the database, one read transaction per call of `read`, for
 * SQL with one parameter, $org: better-sqlite3 on the file, or a pool of one on PostgreSQL.
 */
function snapshotReader(database: DatabaseOptions) {
  let organisationId = 0;
  if ('databasePath' in database) {
    let db: ReturnType<typeof openDatabase> | undefined;
    return {
      jsonText: (column: string, key: string) => `json_extract(${column}, '$.${key}')`,
      rows: <T>(sql: string) => Promise.resolve(db!.prepare(sql).all({ org: organisationId }) as T[]),
      async read<T>(organisation: number, run: () => Promise<T>): Promise<T> {
        organisationId = organisation;
        db = openDatabase(database.databasePath, { busyTimeoutMs: 5000 });
        try {
          db.exec('BEGIN');
          const result = await run();
          db.exec('COMMIT');
          return result;
        } finally {
          db.close();
        }
      },
    };
  }
  let client: PoolClient | undefined;
  return {
    jsonText: (column: string, key: string) => `(${column}::jsonb)->>'${key}'`,
    rows: async <T>(sql: string) =>
      (await client!.query(sql.replaceAll('$org', '$1'), [organisationId])).rows as T[],
    async read<T>(organisation: number, run: () => Promise<T>): Promise<T> {
      organisationId = organisation;
      const pool = openPool({ url: database.databaseUrl, maxConnections: 1 });
      client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const result = await run();
        await client.query('COMMIT');
        return result;
      } finally {
        client.release();
        await pool.end();
      }
    },
  };
}
