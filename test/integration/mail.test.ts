// Mail through the outbox to a real SMTP server on 127.0.0.1 (and to .eml files without one):
// written with the change or not at all, retried with backoff, delivered once per row by any
// number of workers, and given up visibly.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FixedClock } from '../../domain/clock.js';
import { enqueueMail, type OutgoingMail } from '../../mail/outbox.js';
import { invitationMail } from '../../mail/messages.js';
import { createFileTransport } from '../../mail/transport.js';
import { MAIL_RETRY, retryDelayMs } from '../../mail/worker.js';
import { buildContainer } from '../../server/container.js';
import { createLogger } from '../../runtime/logger.js';
import { setup, type TestContext } from '../helpers/fixtures.js';
import { parseMail, startSmtp, type TestSmtpServer } from '../helpers/smtp.js';

const NOW = '2026-03-01T09:00:00Z';

function mail(to: string, extra: Partial<OutgoingMail> = {}): OutgoingMail {
  return {
    organisationId: null,
    kind: 'invitation',
    to,
    ...invitationMail({
      organisationName: 'Acme GmbH & Söhne',
      inviterName: 'Olga <Owner>',
      link: 'https://seats.example.com/invitations/accept?token=abc123',
      expiresAt: '2026-03-22T09:00:00Z',
    }),
    ...extra,
  };
}

describe('Mail over SMTP', () => {
  let smtp: TestSmtpServer;
  let ctx: TestContext;

  beforeEach(async () => {
    smtp = await startSmtp();
    ctx = await setup(NOW, { mail: { smtpUrl: smtp.url, from: 'Seatkeeper <no-reply@seats.example.com>' } });
  });
  afterEach(async () => {
    await ctx.c.mail.stop();
    await ctx.cleanup();
    await smtp.close();
  });

  const enqueue = (m: OutgoingMail): Promise<number> => ctx.c.store.write((q) => enqueueMail(q, m, NOW));
  const row = async (id: number) => (await ctx.c.store.read((q) => q.outbox.byId(id)))!;

  test('When a mail is enqueued in a committed transaction, then it arrives once with its subject, recipient, body and Message-ID', async () => {
    const id = await enqueue(mail('ada@acme.example'));
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 1, failed: 0, retried: 0 });
    assert.equal(smtp.messages.length, 1);
    const [received] = smtp.messages;
    assert.deepEqual(received!.envelopeTo, ['ada@acme.example']);
    assert.equal(received!.envelopeFrom, 'no-reply@seats.example.com');
    assert.equal(received!.subject, 'You are invited to join Acme GmbH & Söhne');
    assert.match(received!.text, /Olga <Owner> invited you to join Acme GmbH & Söhne\./);
    assert.deepEqual(received!.links, ['https://seats.example.com/invitations/accept?token=abc123']);
    assert.match(received!.text, /expires on 22 March 2026 at 09:00 UTC/);
    assert.match(received!.html, /Olga &lt;Owner&gt; invited you to join Acme GmbH &amp; Söhne\./);
    assert.match(received!.html, /href="https:\/\/seats\.example\.com\/invitations\/accept\?token=abc123"/);
    assert.equal(received!.headers['auto-submitted'], 'auto-generated');
    assert.equal(received!.messageId, (await row(id)).messageId);
    assert.match((await row(id)).messageId, /^<[0-9a-f-]{36}@[a-z.]+>$/);
    assert.equal(new Date(received!.date).toISOString(), '2026-03-01T09:00:00.000Z', 'dated when enqueued');
    assert.equal((await row(id)).state, 'delivered');
    assert.equal((await row(id)).attempts, 1);
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 0, failed: 0, retried: 0 }, 'nothing twice');
    assert.equal(smtp.messages.length, 1);
  });

  test('When the transaction that enqueued a mail rolls back, then nothing is written and nothing is sent', async () => {
    await assert.rejects(
      ctx.c.store.write(async (q) => {
        await enqueueMail(q, mail('ada@acme.example'), NOW);
        throw new Error('the change failed');
      }),
    );
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 0, failed: 0, retried: 0 });
    assert.deepEqual(await ctx.c.store.read((q) => q.outbox.counts()), {
      pending: 0,
      delivered: 0,
      failed: 0,
    });
    assert.equal(smtp.messages.length, 0);
  });

  test('When the SMTP server refuses for a while, then the mail is retried with growing delays and delivered exactly once, its attempts recorded', async () => {
    const id = await enqueue(mail('ada@acme.example'));
    smtp.refuse(451, 'Greylisted, try again later');
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 0, failed: 0, retried: 1 });
    const first = await row(id);
    assert.equal(first.attempts, 1);
    assert.match(first.lastError!, /451/);
    const firstDelay = Date.parse(first.nextAttemptAt) - Date.parse(NOW);
    assert.ok(firstDelay >= MAIL_RETRY.baseMs / 2 && firstDelay <= MAIL_RETRY.baseMs, `${firstDelay} ms`);

    assert.deepEqual(
      await ctx.c.mail.runOnce(),
      { delivered: 0, failed: 0, retried: 0 },
      'not before its time',
    );
    ctx.clock.set(first.nextAttemptAt);
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 0, failed: 0, retried: 1 });
    const second = await row(id);
    const secondDelay = Date.parse(second.nextAttemptAt) - Date.parse(first.nextAttemptAt);
    assert.ok(secondDelay >= MAIL_RETRY.baseMs && secondDelay <= 2 * MAIL_RETRY.baseMs, `${secondDelay} ms`);

    smtp.accept();
    ctx.clock.set(second.nextAttemptAt);
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 1, failed: 0, retried: 0 });
    ctx.clock.advance({ days: 1 });
    await ctx.c.mail.runOnce();
    assert.equal(smtp.refusals, 2);
    assert.equal(smtp.messages.length, 1, 'delivered exactly once');
    assert.deepEqual(
      [(await row(id)).state, (await row(id)).attempts, (await row(id)).lastError],
      ['delivered', 3, null],
    );
  });

  test('When the SMTP server is down, then the mail waits in the outbox and is delivered once the server is back', async () => {
    const id = await enqueue(mail('ada@acme.example'));
    const { port } = smtp;
    await smtp.close();
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 0, failed: 0, retried: 1 });
    assert.match((await row(id)).lastError!, /ECONNREFUSED|ECONNECTION|ESOCKET/);
    smtp = await startSmtp({ port });
    ctx.clock.advance({ minutes: 1 });
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 1, failed: 0, retried: 0 });
    assert.equal(smtp.messages.length, 1);
    assert.equal((await row(id)).attempts, 2);
  });

  test('When the server refuses the recipient for good (5yz), then the mail is marked failed at once and kept with the reason', async () => {
    const id = await enqueue(mail('nobody@acme.example'));
    smtp.refuse(550, 'No such user here');
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 0, failed: 1, retried: 0 });
    assert.equal((await row(id)).state, 'failed');
    assert.match((await row(id)).lastError!, /550.*No such user/);
    smtp.accept();
    ctx.clock.advance({ days: 1 });
    assert.deepEqual(
      await ctx.c.mail.runOnce(),
      { delivered: 0, failed: 0, retried: 0 },
      'given up means given up',
    );
    assert.equal(smtp.messages.length, 0);
  });

  test('When every attempt fails, then after the last one the mail is marked failed and stays in the outbox', async () => {
    const id = await enqueue(mail('ada@acme.example'));
    smtp.refuse(421, 'Service not available');
    let failed = 0;
    for (let i = 0; i < MAIL_RETRY.maxAttempts; i++) {
      failed += (await ctx.c.mail.runOnce()).failed;
      ctx.clock.advance({ hours: 1 }); // the longest backoff
    }
    assert.equal(failed, 1);
    assert.deepEqual([(await row(id)).state, (await row(id)).attempts], ['failed', MAIL_RETRY.maxAttempts]);
    assert.match((await row(id)).lastError!, /421/);
    assert.equal(smtp.refusals, MAIL_RETRY.maxAttempts);
  });

  test('When two workers on two connections to one database file run together, then every mail is delivered exactly once', async () => {
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) => enqueue(mail(`user-${i}@acme.example`))),
    );
    const other = await buildContainer({
      config: {
        databasePath: ctx.databasePath,
        dbBusyTimeoutMs: 5000,
        quoteTtlSeconds: 900,
        mail: { smtpUrl: smtp.url },
      },
      clock: new FixedClock(NOW),
      logger: createLogger('silent'),
    });
    try {
      const [a, b] = await Promise.all([ctx.c.mail.runOnce(), other.mail.runOnce()]);
      assert.equal(a.delivered + b.delivered, 30);
      assert.ok(a.delivered > 0 && b.delivered > 0, `both worked: ${a.delivered} + ${b.delivered}`);
    } finally {
      await other.close();
    }
    assert.equal(smtp.messages.length, 30);
    assert.equal(new Set(smtp.messages.map((m) => m.messageId)).size, 30);
    assert.ok((await Promise.all(ids.map((id) => row(id)))).every((r) => r.attempts === 1));
  });

  test('When the worker is started and nudged, then a new mail goes out without waiting for the poll, and stop waits for it', async () => {
    ctx.c.mail.start();
    await enqueue(mail('ada@acme.example'));
    ctx.c.mail.nudge();
    await smtp.waitFor(1);
    await ctx.c.mail.stop();
    assert.equal((await ctx.c.store.read((q) => q.outbox.counts())).delivered, 1);
  });

  test('When a mail cannot be enqueued as given, then the caller hears so and its transaction rolls back', async () => {
    await assert.rejects(enqueue(mail('not an address')), { code: 'validation_failed' });
    await assert.rejects(enqueue(mail('a@b.example\r\nBcc: x@evil.example')), { code: 'validation_failed' });
    await assert.rejects(enqueue(mail('a@b.example', { subject: 'one\r\nBcc: x@evil.example' })), {
      code: 'validation_failed',
    });
  });
});

describe('SMTP credentials', () => {
  test('When the SMTP server needs a login, then the worker logs in with the URL credentials, and neither the log nor the outbox shows the password', async () => {
    const smtp = await startSmtp({ auth: { user: 'mailer', pass: 's3cret-pa55' } });
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    const wrongUrl = smtp.url.replace('s3cret-pa55', 'wr0ng-pa55');
    const ctx = await setup(NOW);
    const withPassword = (url: string) =>
      buildContainer({
        config: {
          databasePath: ctx.databasePath,
          dbBusyTimeoutMs: 5000,
          quoteTtlSeconds: 900,
          mail: { smtpUrl: url },
        },
        clock: ctx.clock,
        logger,
      });
    const wrong = await withPassword(wrongUrl);
    const right = await withPassword(smtp.url);
    try {
      const id = await wrong.store.write((q) => enqueueMail(q, mail('ada@acme.example'), NOW));
      assert.equal(
        (await wrong.mail.runOnce()).retried,
        1,
        'a failed login is retried: an operator can fix it',
      );
      ctx.clock.advance({ minutes: 1 });
      assert.equal((await right.mail.runOnce()).delivered, 1);
      assert.equal(smtp.messages[0]!.user, 'mailer');
      right.mail.start();
      await right.mail.stop();
      const everything = lines.join('') + JSON.stringify(await right.store.read((q) => q.outbox.byId(id)));
      assert.ok(
        lines.some((l) => l.includes('127.0.0.1')),
        'the host is logged',
      );
      assert.doesNotMatch(everything, /s3cret-pa55|wr0ng-pa55/);
    } finally {
      await wrong.close();
      await right.close();
      await ctx.cleanup();
      await smtp.close();
    }
  });
});

describe('Mail without SMTP', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await setup(NOW);
  });
  afterEach(() => ctx.cleanup());

  test('When no SMTP server is configured, then each mail is written as a readable .eml file named after its outbox id', async () => {
    const id = await ctx.c.store.write((q) => enqueueMail(q, mail('ada@acme.example'), NOW));
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 1, failed: 0, retried: 0 });
    const dir = join(ctx.dir, 'mail');
    assert.deepEqual(readdirSync(dir), [`${String(id).padStart(8, '0')}.eml`]);
    const raw = readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8');
    assert.match(raw, /\r\n\r\n/, 'CRLF line ends, as RFC 5322 has them');
    const parsed = parseMail(raw);
    assert.equal(parsed.to, 'ada@acme.example');
    assert.equal(parsed.from, 'Seatkeeper <no-reply@localhost>');
    assert.equal(parsed.subject, 'You are invited to join Acme GmbH & Söhne');
    assert.match(
      parsed.text,
      /Accept the invitation:\nhttps:\/\/seats\.example\.com\/invitations\/accept\?token=abc123/,
    );
    assert.equal(parsed.messageId, (await ctx.c.store.read((q) => q.outbox.byId(id)))!.messageId);
  });

  test('When the same mail is written twice (a redelivery), then its file is replaced, not duplicated, and no temporary file is left', async () => {
    const id = await ctx.c.store.write((q) => enqueueMail(q, mail('ada@acme.example'), NOW));
    const dir = join(ctx.dir, 'files');
    const transport = createFileTransport(dir, 'Seatkeeper <no-reply@localhost>');
    const row = (await ctx.c.store.read((q) => q.outbox.byId(id)))!;
    await transport.send(row);
    await transport.send(row);
    transport.close();
    assert.deepEqual(readdirSync(dir), [`${String(id).padStart(8, '0')}.eml`]);
  });
});

describe('Retry timing', () => {
  test('When attempts fail one after another, then the delay doubles from 30 s, stays within its jitter band, and is capped at an hour', () => {
    const low = (n: number) => retryDelayMs(n, () => 0);
    const high = (n: number) => retryDelayMs(n, () => 1); // the top of the band
    assert.deepEqual([1, 2, 3, 4].map(low), [15_000, 30_000, 60_000, 120_000]);
    assert.deepEqual([1, 2, 3, 4].map(high), [30_000, 60_000, 120_000, 240_000]);
    assert.equal(low(30), 1_800_000);
    assert.equal(high(30), 3_600_000);
    assert.equal(high(1000), 3_600_000);
  });
});
