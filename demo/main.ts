// `npm run demo`: Seatkeeper on one machine, ready to try. A fresh database under ./data/demo (or
// DEMO_DIR), a demo organisation on a small contract in just-in-time mode, a local OpenID Provider
// it signs in with (an employee and the owner), the server on 127.0.0.1:3000 (or PORT) with its mail
// written to files; then the URLs and sign-in names are printed. Everything stops with Ctrl+C.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { systemClock } from '../domain/clock.js';
import { OPERATOR } from '../domain/model.js';
import { createApp } from '../server/app.js';
import { parseConfig } from '../server/config.js';
import { buildContainer } from '../server/container.js';
import { createLogger } from '../runtime/logger.js';
import { startIdentityProvider } from './identity-provider.js';

const DATA_DIR = resolve(process.env.DEMO_DIR ?? join('data', 'demo'));
const ORGANISATION = { slug: 'demo', name: 'Demo Company', domain: 'demo.example' };
const ZONE = 'Europe/Berlin';
/** Sign-in names at the demo identity provider, and who they are. */
const EMPLOYEE = { login: 'erin', email: 'erin@demo.example', name: 'Erin Employee' };
const OWNER = { login: 'olivia', email: 'olivia@demo.example', name: 'Olivia Owner' };

/** A path as typed from here when it is below the working directory, else in full. */
function shown(path: string): string {
  const from = relative(process.cwd(), path);
  return from && !from.startsWith('..') ? from : path;
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function main(): Promise<void> {
  // A fresh start every time: the demo's own directory, nothing else.
  rmSync(DATA_DIR, { recursive: true, force: true });
  mkdirSync(DATA_DIR, { recursive: true });
  // Listening comes first, so that PORT=0 works: links and the provider's redirect need the port.
  const server = createServer();
  await new Promise<void>((resolveListening, reject) => {
    server.once('error', reject);
    server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', resolveListening);
  });
  const config = parseConfig({
    HOST: '127.0.0.1',
    PORT: String((server.address() as AddressInfo).port),
    DATA_DIR,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    MAIL_POLL_INTERVAL_SECONDS: '2',
    // The demo's OpenID Provider listens on 127.0.0.1, which the outbound guard refuses otherwise.
    OUTBOUND_ALLOWLIST: '127.0.0.1',
  });
  const base = config.publicBaseUrl;
  const logger = createLogger(config.logLevel);

  const clientSecret = randomBytes(24).toString('base64url');
  const provider = await startIdentityProvider({
    accounts: {
      [EMPLOYEE.login]: { email: EMPLOYEE.email, name: EMPLOYEE.name },
      [OWNER.login]: { email: OWNER.email, name: OWNER.name },
    },
    client: { clientId: 'seatkeeper-demo', clientSecret, redirectUri: `${base}/sso/oidc/callback` },
  });

  const container = await buildContainer({ config, clock: systemClock, logger });
  const { organisation } = await container.organisations.create(
    {
      slug: ORGANISATION.slug,
      name: ORGANISATION.name,
      domains: [ORGANISATION.domain],
      contract: {
        termStart: DateTime.now().setZone(ZONE).toISODate()!,
        timeZone: ZONE,
        currency: 'EUR',
        autoRenew: true,
        prices: { standard: 5000, premium: 15000 },
        seats: { standard: 5, premium: 1 },
      },
      primaryOwner: { email: OWNER.email, displayName: OWNER.name },
    },
    OPERATOR,
  );
  await container.directory.setProvisioningMode(organisation.id, 'jit', OPERATOR);
  await container.sso.createConnection(
    organisation.id,
    {
      protocol: 'oidc',
      name: 'Demo identity provider',
      issuer: provider.issuer,
      clientId: 'seatkeeper-demo',
      clientSecret,
    },
    OPERATOR,
  );

  server.on('request', createApp({ ...container, config }));
  container.mail.start();
  container.webhookWorker.start();
  const jobs = setInterval(() => {
    container.runJobs().catch((error: unknown) => {
      logger.error({ err: error }, 'jobs failed; they run again in a minute');
    });
  }, 60_000);
  jobs.unref();

  say('');
  say('Seatkeeper demo is running.');
  say('');
  say(`  Organisation       ${ORGANISATION.name} (“${ORGANISATION.slug}”): 5 standard and 1 premium seat,`);
  say('                     new employees get a seat at their first sign-in (just-in-time)');
  say(`  Identity provider  ${provider.issuer} (a demo: it accepts any password)`);
  say('');
  say('  1. The employee signs in (a seat is claimed for them):');
  say(`       ${base}/sso/start?org=${ORGANISATION.slug}`);
  say(`       login: ${EMPLOYEE.login}    password: demo    (${EMPLOYEE.email})`);
  say('  2. The owner signs in, sees the employee under Members, and buys seats under Billing:');
  say(`       ${base}/console/sign-in?org=${ORGANISATION.slug}  →  Sign in with SSO`);
  say(`       login: ${OWNER.login}  password: demo    (${OWNER.email}, the primary owner)`);
  say('       and the sign-in comes back to the console');
  say('');
  say(`  Mail (invitations, sign-in links, notices) is written to ${join(shown(config.mail.dir), '*.eml')}.`);
  say(`  Data: ${shown(DATA_DIR)} (fresh at every start). Stop with Ctrl+C.`);
  say('');

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(jobs);
    server.closeAllConnections();
    server.close();
    void Promise.allSettled([container.mail.stop(), container.webhookWorker.stop(), provider.close()]).then(
      async () => {
        await container.close();
        say('Demo stopped.');
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'EADDRINUSE') {
    process.stderr.write('The demo port is in use: try another one, e.g. PORT=3100 npm run demo\n');
  } else {
    process.stderr.write(
      `The demo could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
