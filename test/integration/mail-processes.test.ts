// Mail across operating-system processes sharing one database (one SQLite file; in the PostgreSQL
// run, one database of the cluster): a process killed with SIGKILL after committing mail and before
// delivering it, one killed after the SMTP server took a message and before the row was marked, and
// two processes delivering from one outbox at once.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FixedClock } from '../../domain/clock.js';
import { enqueueMail } from '../../mail/outbox.js';
import { buildContainer, type Container } from '../../server/container.js';
import { createLogger } from '../../runtime/logger.js';
import { tempDir } from '../helpers/fixtures.js';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp.js';
import type { MailerMessage } from '../helpers/processes/mailer.js';
import { databaseConfig, WORKER_NOW } from '../helpers/processes/protocol.js';
import { newPostgresDatabase, TEST_BACKEND } from '../helpers/test-database.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAILER = fileURLToPath(new URL('../helpers/processes/mailer.ts', import.meta.url));

interface Child {
  readonly child: ChildProcessWithoutNullStreams;
  next<T extends MailerMessage['type']>(
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<MailerMessage, { type: T }>>;
  readonly exited: Promise<NodeJS.Signals | number | null>;
}

function startMailer(argv: readonly string[]): Child {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // a plain program, not a test file
  const child = spawn(process.execPath, ['--import', 'tsx', MAILER, ...argv], { cwd: ROOT, env });
  const messages: MailerMessage[] = [];
  const wake = new Set<() => void>();
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout }).on('line', (line) => {
    messages.push(JSON.parse(line) as MailerMessage);
    for (const w of wake) w();
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('close', (code, signal) => {
      resolve(signal ?? code);
      for (const w of wake) w();
    }),
  );
  return {
    child,
    exited,
    next(type, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const error = messages.find((m) => m.type === 'error');
          const found = messages.find((m) => m.type === type);
          if (found || error || child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            wake.delete(check);
            if (found) resolve(found as Extract<MailerMessage, { type: typeof type }>);
            else reject(new Error(`mailer: no "${type}" message: ${JSON.stringify(error)}\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          wake.delete(check);
          reject(new Error(`mailer: no "${type}" message in ${timeoutMs} ms\n${stderr}`));
        }, timeoutMs);
        wake.add(check);
        check();
      });
    },
  };
}

async function kill(child: Child): Promise<void> {
  if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  await child.exited;
}

describe('Mail across processes', () => {
  let dir: string;
  /** The SQLite file's path, or the PostgreSQL database's URL (databaseConfig). */
  let target: string;
  let smtp: TestSmtpServer;
  let clock: FixedClock;
  let c: Container;
  const children: Child[] = [];

  beforeEach(async () => {
    dir = tempDir('seatkeeper-mail-processes-');
    target = TEST_BACKEND === 'postgres' ? await newPostgresDatabase() : join(dir, 'seatkeeper.db');
    smtp = await startSmtp();
    clock = new FixedClock(WORKER_NOW);
    // The "restarted" server: opened first, so the schema exists before any child starts.
    c = await buildContainer({
      config: {
        ...databaseConfig(target),
        dbBusyTimeoutMs: 5000,
        quoteTtlSeconds: 900,
        mail: { smtpUrl: smtp.url },
      },
      clock,
      logger: createLogger('silent'),
    });
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map(kill));
    await c.close();
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mailer = (...argv: string[]): Child => {
    const child = startMailer([target, smtp.url, ...argv]);
    children.push(child);
    return child;
  };

  test('When a process commits mail and is killed with SIGKILL before delivering it, then after a restart each mail is delivered once', async () => {
    const child = mailer('enqueue', '3');
    const { ids } = await child.next('enqueued');
    await kill(child);
    assert.equal(smtp.messages.length, 0, 'nothing was sent before the kill');
    assert.deepEqual(await c.mail.runOnce(), { delivered: 3, failed: 0, retried: 0 });
    assert.deepEqual(smtp.messages.map((m) => m.subject).sort(), ['Mail 0', 'Mail 1', 'Mail 2']);
    clock.advance({ hours: 2 });
    assert.deepEqual(await c.mail.runOnce(), { delivered: 0, failed: 0, retried: 0 });
    assert.equal(smtp.messages.length, 3, 'once each');
    const rows = await c.store.read(async (q) => {
      const found = [];
      for (const id of ids) found.push(await q.outbox.byId(id));
      return found;
    });
    assert.ok(rows.every((row) => row!.state === 'delivered'));
  });

  test('When a process is killed after the SMTP server took a message but before marking it delivered, then the mail is sent again after the lease, with the same Message-ID', async () => {
    const id = await c.store.write((q) =>
      enqueueMail(
        q,
        { organisationId: null, kind: 'sign_in_link', to: 'ada@acme.example', subject: 'Hello', text: 'Hi' },
        WORKER_NOW,
      ),
    );
    const child = mailer('deliver');
    await child.next('ready');
    // The server has the message; before it answers 250, the sender dies.
    smtp.beforeReply(() => kill(child));
    child.child.stdin.write('go\n');
    await child.exited;
    smtp.beforeReply(null);
    assert.equal(smtp.messages.length, 1);
    const leased = (await c.store.read((q) => q.outbox.byId(id)))!;
    assert.deepEqual([leased.state, leased.attempts, leased.leaseUntil !== null], ['pending', 1, true]);

    assert.deepEqual(
      await c.mail.runOnce(),
      { delivered: 0, failed: 0, retried: 0 },
      'not while the lease runs',
    );
    clock.set(leased.leaseUntil!);
    clock.advance({ seconds: 1 });
    assert.deepEqual(await c.mail.runOnce(), { delivered: 1, failed: 0, retried: 0 });
    assert.equal(smtp.messages.length, 2, 'at least once: the repeat is documented');
    assert.equal(smtp.messages[0]!.messageId, smtp.messages[1]!.messageId, 'and recognisable');
    assert.equal((await c.store.read((q) => q.outbox.byId(id)))!.attempts, 2);
  });

  test('When two processes deliver from one outbox at once, then no mail is sent twice', async () => {
    const total = 40;
    await c.store.write(async (q) => {
      for (let i = 0; i < total; i++) {
        await enqueueMail(
          q,
          {
            organisationId: null,
            kind: 'invitation',
            to: `user-${i}@acme.example`,
            subject: `Mail ${i}`,
            text: 'Hi',
          },
          WORKER_NOW,
        );
      }
    });
    const workers = [mailer('deliver'), mailer('deliver')];
    await Promise.all(workers.map((w) => w.next('ready')));
    for (const w of workers) w.child.stdin.write('go\n');
    const results = await Promise.all(workers.map((w) => w.next('delivered')));
    assert.equal(
      results.reduce((n, r) => n + r.delivered, 0),
      total,
      `split ${results.map((r) => r.delivered).join(' + ')}`,
    );
    assert.equal(smtp.messages.length, total);
    assert.equal(new Set(smtp.messages.map((m) => m.messageId)).size, total, 'no Message-ID twice');
    assert.deepEqual(await c.store.read((q) => q.outbox.counts()), {
      pending: 0,
      delivered: total,
      failed: 0,
    });
  });
});
