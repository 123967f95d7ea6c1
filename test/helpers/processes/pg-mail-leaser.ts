// A mail process for the PostgreSQL instances test: the real container over the database at the
// URL given, which commits one mail and sends it with a mail worker whose lease is short, so that
// the parent can kill it in the middle of the SMTP conversation and watch the lease run out in a
// test's time. One JSON message per stdout line. Not a test file: the parent spawns it.
//
//   pg-mail-leaser.ts DATABASE_URL SMTP_URL LEASE_MS   (SECRETS_KEY from the environment)
import { systemClock } from '../../../domain/clock.js';
import { parseSecretKeys } from '../../../db/secret-box.js';
import { enqueueMail } from '../../../mail/outbox.js';
import { createTransport } from '../../../mail/transport.js';
import { createMailWorker } from '../../../mail/worker.js';
import { buildContainer } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';
import { args, describeError } from './protocol.js';

export type LeaserMessage =
  | { readonly type: 'enqueued'; readonly id: number }
  | { readonly type: 'sent'; readonly delivered: number }
  | { readonly type: 'error'; readonly error: string };

function send(message: LeaserMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const [databaseUrl, smtpUrl, leaseMs] = args(['DATABASE_URL', 'SMTP_URL', 'LEASE_MS']);
try {
  const keys = parseSecretKeys(process.env.SECRETS_KEY ?? '');
  if (typeof keys === 'string') throw new Error(`SECRETS_KEY: ${keys}`);
  const logger = createLogger('silent');
  const c = await buildContainer({
    config: {
      databasePath: ':memory:',
      databaseUrl: databaseUrl!,
      databasePoolSize: 2,
      dbBusyTimeoutMs: 5000,
      quoteTtlSeconds: 900,
      secrets: { keys, keyFile: null },
    },
    clock: systemClock,
    logger,
  });
  const from = 'Seatkeeper <no-reply@localhost>';
  const id = await c.store.write((q) =>
    enqueueMail(
      q,
      {
        organisationId: null,
        kind: 'sign_in_link',
        to: 'lease@acme.example',
        subject: 'Leased',
        text: 'Sent by a process that dies',
      },
      systemClock.now().toISO()!,
    ),
  );
  send({ type: 'enqueued', id });
  const worker = createMailWorker({
    store: c.store,
    clock: systemClock,
    transport: createTransport({ smtpUrl: smtpUrl!, from, dir: '/nonexistent' }),
    logger,
    leaseMs: Number(leaseMs),
  });
  const result = await worker.runOnce();
  send({ type: 'sent', delivered: result.delivered });
  await c.close();
} catch (error) {
  send({ type: 'error', error: describeError(error) });
  process.exitCode = 1;
}
