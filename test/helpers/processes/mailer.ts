// A mail process for mail-processes.test.ts: the real container over the database file named on
// the command line, its mail going to the SMTP URL given. One JSON message per stdout line.
// Not a test file: the parent spawns it as a separate operating-system process.
//
//   mailer.ts DATABASE SMTP_URL enqueue N   enqueue N mails in one transaction, say so, then wait
//                                           (the parent kills it before any is delivered)
//   mailer.ts DATABASE SMTP_URL deliver     wait for "go", run the worker once, report, exit
import { enqueueMail } from '../../../mail/outbox.js';
import { FixedClock } from '../../../domain/clock.js';
import { buildContainer } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';
import { args, databaseConfig, describeError, waitForGo, WORKER_NOW } from './protocol.js';

export type MailerMessage =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'enqueued'; readonly ids: readonly number[] }
  | {
      readonly type: 'delivered';
      readonly delivered: number;
      readonly failed: number;
      readonly retried: number;
    }
  | { readonly type: 'error'; readonly error: string };

function send(message: MailerMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const [database, smtpUrl, mode, count] = args(['DATABASE', 'SMTP_URL', 'MODE']);
const c = await buildContainer({
  config: {
    ...databaseConfig(database!),
    dbBusyTimeoutMs: 5000,
    quoteTtlSeconds: 900,
    mail: { smtpUrl: smtpUrl! },
  },
  clock: new FixedClock(WORKER_NOW),
  logger: createLogger('silent'),
});

try {
  if (mode === 'enqueue') {
    const ids = await c.store.write(async (q) => {
      const enqueued: number[] = [];
      for (let i = 0; i < Number(count ?? 1); i++) {
        enqueued.push(
          await enqueueMail(
            q,
            {
              organisationId: null,
              kind: 'sign_in_link',
              to: `crash-${i}@acme.example`,
              subject: `Mail ${i}`,
              text: `Body ${i}`,
            },
            WORKER_NOW,
          ),
        );
      }
      return enqueued;
    });
    send({ type: 'enqueued', ids }); // committed: the parent may kill us from here on
    setInterval(() => undefined, 60_000); // and wait to be killed
  } else {
    send({ type: 'ready', pid: process.pid });
    await waitForGo();
    const result = await c.mail.runOnce();
    send({ type: 'delivered', ...result });
    await c.close();
  }
} catch (error) {
  send({ type: 'error', error: describeError(error) });
  process.exitCode = 1;
}
