// The owners' notices through the real services: seat-usage thresholds mailed once per crossing and
// re-armed when usage falls back, the owners' own thresholds, and the hourly "no seats for a
// sign-in" mail, each written with the change that causes it and delivered to a real SMTP server.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { ForbiddenError, SignInRefusedError, ValidationError } from '../../../domain/errors.js';
import { HIGHEST, LOWEST, OPERATOR, type Actor } from '../../../domain/model.js';
import type { Member } from '../../../domain/records.js';
import type { Queries } from '../../../db/port.js';
import type { ExternalIdentity } from '../../../provisioning/identity.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../../helpers/fixtures.js';
import { startSmtp, type TestSmtpServer } from '../../helpers/smtp.js';
import { inspect } from '../../helpers/inspect.js';

const BASE = 'https://seats.example.com';

describe('Owner notices', () => {
  let smtp: TestSmtpServer;
  let ctx: TestContext;
  let orgId: number;
  let primaryOwner: Member;
  let owner: Member;
  let admin: Member;
  let users = 0;

  beforeEach(async () => {
    smtp = await startSmtp();
    ctx = await setup('2026-03-01T10:00:00Z', { publicBaseUrl: BASE, mail: { smtpUrl: smtp.url } });
    const created = await createExample(ctx, { seats: { standard: 10, premium: 0 } });
    // The primary owner's invitation is mailed at creation; deliver it now so each test counts its own mail.
    assert.equal((await ctx.c.mail.runOnce()).delivered, 1);
    orgId = created.organisation.id;
    // Seated owners hear the notices; the admin and the invited do not.
    primaryOwner = await ctx.c.seats.acceptInvitation(orgId, created.primaryOwner.id, OPERATOR);
    const invited = await ctx.c.members.invite(
      orgId,
      { email: 'oscar@acme.example', role: 'owner' },
      LOWEST,
      OPERATOR,
    );
    owner = await ctx.c.seats.acceptInvitation(orgId, invited.member.id, OPERATOR);
    admin = await ctx.c.members.admit(
      orgId,
      { email: 'ann@acme.example', role: 'admin' },
      'manual',
      HIGHEST,
      OPERATOR,
    );
    await ctx.c.members.invite(orgId, { email: 'ivy@acme.example', role: 'owner' }, LOWEST, OPERATOR); // held 4 of 10
    users = 0;
  });
  afterEach(async () => {
    await ctx.cleanup();
    await smtp.close();
  });

  /** A new seated user: in a write of its own, or in the caller's when given its q. */
  const addUser = async (within?: Queries): Promise<Member> => {
    const input = { email: `user-${++users}@acme.example`, role: 'user' } as const;
    return within
      ? await ctx.c.members.admitIn(within, orgId, input, 'scim', HIGHEST, OPERATOR)
      : await ctx.c.members.admit(orgId, input, 'scim', HIGHEST, OPERATOR);
  };
  const held = async () => (await ctx.c.seats.usage(orgId)).find((t) => t.tierId === 'standard')!.held;
  const outbox = async (kind: string) =>
    (await ctx.c.store.read((q) => q.outbox.forOrganisation(orgId, 0, 1000))).filter((m) => m.kind === kind);
  const thresholdMails = () => outbox('seat_threshold');
  const noticeAudits = async () =>
    (await inspect(ctx.c.store).audit(orgId)).filter((a) => a.action === 'owner_notice.seat_threshold');

  test('When a tier reaches 80, 90 and 100 % of its allocation, then the seated owners are mailed once at each, and nobody else', async () => {
    while ((await held()) < 7) await addUser();
    assert.equal((await thresholdMails()).length, 0, '70 %: nothing yet');
    await addUser(); // 8 of 10
    assert.deepEqual(
      (await thresholdMails()).map((m) => m.recipient),
      [primaryOwner.email, owner.email],
      'the primary owner and the seated owner, not the admin nor the invited owner',
    );
    await addUser(); // 9
    await addUser(); // 10
    assert.equal((await thresholdMails()).length, 6);
    assert.equal((await noticeAudits()).length, 3);
    assert.deepEqual(
      (await noticeAudits()).map((a) => (a.after as { thresholds: number[] }).thresholds),
      [[80], [90], [100]],
    );

    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 6, failed: 0, retried: 0 });
    const last = smtp.messages.at(-1)!;
    assert.deepEqual(last.envelopeTo, [owner.email]);
    assert.equal(last.subject, 'Acme GmbH: 100% of Standard seats in use');
    assert.match(last.text, /Acme GmbH now uses 10 of its 10 Standard seats/);
    assert.match(last.text, /Every Standard seat is now in use/);
    assert.deepEqual(last.links, [`${BASE}/console/billing`]);
    assert.ok(!smtp.messages.some((m) => m.envelopeTo.includes(admin.email)));
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test('When usage falls back below a threshold and reaches it again, then the owners are mailed again; staying above it sends nothing more', async () => {
    while ((await held()) < 10) await addUser();
    assert.equal((await thresholdMails()).length, 6);
    const last = await addUserIds();
    await ctx.c.seats.release(orgId, last, OPERATOR); // 9 of 10: below 100 %, re-armed
    assert.equal((await thresholdMails()).length, 6, 'falling sends nothing');
    await addUser(); // 10 again
    assert.equal((await thresholdMails()).length, 8, '100 % again: mailed again');
    assert.deepEqual(
      (await thresholdMails()).slice(-2).map((m) => m.subject),
      ['Acme GmbH: 100% of Standard seats in use', 'Acme GmbH: 100% of Standard seats in use'],
    );
    // Down to 7 (below 90 and 80), back up to 8: only 80 % is reached again.
    for (const id of await lastUsers(3)) await ctx.c.seats.release(orgId, id, OPERATOR);
    assert.equal(await held(), 7);
    await addUser();
    assert.equal((await thresholdMails()).length, 10);
    assert.match((await thresholdMails()).at(-1)!.subject, /80% of Standard/);
  });

  test('When owners buy seats, then the thresholds the larger allocation falls below re-arm', async () => {
    while ((await held()) < 10) await addUser();
    const quote = await ctx.c.billing.quote(orgId, { add: { standard: 10 } }, OPERATOR);
    await ctx.c.billing.confirm(orgId, quote.id, OPERATOR); // 10 of 20: 50 %
    assert.deepEqual(await ctx.c.store.read((q) => q.notices.crossings(orgId)), [], 'all re-armed');
    while ((await held()) < 16) await addUser(); // 80 % of 20
    assert.equal((await thresholdMails()).length, 8);
    assert.match((await thresholdMails()).at(-1)!.text, /uses 16 of its 20 Standard seats/);
  });

  test('When the claim that reaches a threshold rolls back, then neither the mail nor the crossing is kept', async () => {
    while ((await held()) < 7) await addUser();
    await assert.rejects(() =>
      ctx.c.store.write(async (q) => {
        await addUser(q); // 8 of 10, inside the enclosing transaction
        throw new Error('the request failed after the claim');
      }),
    );
    assert.equal(await held(), 7);
    assert.equal((await thresholdMails()).length, 0);
    assert.deepEqual(await ctx.c.store.read((q) => q.notices.crossings(orgId)), []);
    await addUser();
    assert.equal((await thresholdMails()).length, 2, 'the crossing that commits is mailed');
  });

  test('When an owner sets the thresholds, then they are validated, audited and used; others may not set them', async () => {
    const asOwner: Actor = { type: 'member', memberId: owner.id };
    assert.deepEqual(await ctx.c.notices.thresholds(orgId), [80, 90, 100]);
    assert.deepEqual(await ctx.c.notices.setNoticeThresholds(orgId, [75, 50], asOwner), [50, 75]);
    assert.deepEqual(await ctx.c.notices.thresholds(orgId), [50, 75]);
    for (const bad of [[0], [101], [50.5], [50, 50], [10, 20, 30, 40, 50, 60]]) {
      await assert.rejects(
        () => ctx.c.notices.setNoticeThresholds(orgId, bad, asOwner),
        (e) => e instanceof ValidationError && e.code === 'invalid_notice_thresholds',
        JSON.stringify(bad),
      );
    }
    await assert.rejects(
      () => ctx.c.notices.setNoticeThresholds(orgId, [60], { type: 'member', memberId: admin.id }),
      ForbiddenError,
    );
    const audits = (await inspect(ctx.c.store).audit(orgId)).filter(
      (a) => a.action === 'organisation.notice_thresholds_changed',
    );
    assert.deepEqual(
      audits.map((a) => [a.before, a.after]),
      [[{ noticeThresholds: [80, 90, 100] }, { noticeThresholds: [50, 75] }]],
    );
    await addUser(); // 5 of 10: 50 %
    assert.match((await thresholdMails()).at(-1)!.subject, /50% of Standard/);
    await addUser();
    await addUser(); // 7 of 10: 70 %
    await addUser(); // 8: 80 % is no longer a threshold; 75 % is reached
    assert.deepEqual(
      (await noticeAudits()).map((a) => (a.after as { thresholds: number[] }).thresholds),
      [[50], [75]],
    );
    assert.deepEqual(
      await ctx.c.notices.setNoticeThresholds(orgId, [], asOwner),
      [],
      'an empty list turns them off',
    );
    while ((await held()) < 10) await addUser();
    assert.equal((await noticeAudits()).length, 2);
  });

  // Helpers over the users this test added, newest last.
  async function userIds(): Promise<number[]> {
    return (await inspect(ctx.c.store).members(orgId))
      .filter((m) => m.email.startsWith('user-') && m.seatState === 'seated')
      .map((m) => m.id);
  }
  async function addUserIds(): Promise<number> {
    return (await userIds()).at(-1)!;
  }
  async function lastUsers(n: number): Promise<number[]> {
    return (await userIds()).slice(-n);
  }
});

describe('The no-seats notice for a refused sign-in', () => {
  let smtp: TestSmtpServer;
  let ctx: TestContext;
  let orgId: number;
  let connectionId: number;

  beforeEach(async () => {
    smtp = await startSmtp();
    ctx = await setup('2026-03-01T10:00:00Z', { publicBaseUrl: BASE, mail: { smtpUrl: smtp.url } });
    const created = await createExample(ctx, { seats: { standard: 2, premium: 0 } });
    // The primary owner's invitation is mailed at creation; deliver it now so each test counts its own mail.
    assert.equal((await ctx.c.mail.runOnce()).delivered, 1);
    orgId = created.organisation.id;
    await ctx.c.seats.acceptInvitation(orgId, created.primaryOwner.id, OPERATOR);
    await ctx.c.notices.setNoticeThresholds(orgId, [], OPERATOR); // only the sign-in notice in this test
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    connectionId = await ctx.c.store.write(
      async (q) =>
        (
          await q.sso.insertConnection({
            organisationId: orgId,
            protocol: 'oidc',
            name: 'Acme IdP',
            config: {},
            secret: 's',
            at: '2026-01-01T00:00:00Z',
          })
        ).id,
    );
  });
  afterEach(async () => {
    await ctx.cleanup();
    await smtp.close();
  });

  const person = (subject: string): ExternalIdentity => ({
    connectionId,
    subject,
    email: `${subject}@acme.example`,
    emailVerified: true,
    displayName: subject,
    groups: [],
  });

  test('When sign-ins are refused for want of a seat, then the owners are mailed at most once an hour', async () => {
    await ctx.c.signIn.signIn(person('ada')); // the last seat
    for (const who of ['late', 'later', 'latest']) {
      await assert.rejects(() => ctx.c.signIn.signIn(person(who)), SignInRefusedError);
    }
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 1, failed: 0, retried: 0 });
    const notice = smtp.messages.at(-1);
    assert.deepEqual(notice!.envelopeTo, ['owner@acme.example']);
    assert.equal(notice!.subject, 'Acme GmbH: a sign-in was refused, no seats are left');
    assert.match(notice!.text, /at most once an hour/);
    assert.deepEqual(notice!.links, [`${BASE}/console/billing`]);

    ctx.clock.advance({ minutes: 59 });
    await assert.rejects(() => ctx.c.signIn.signIn(person('later')), SignInRefusedError);
    assert.equal((await ctx.c.mail.runOnce()).delivered, 0, 'still within the hour');
    ctx.clock.advance({ minutes: 2 });
    await assert.rejects(() => ctx.c.signIn.signIn(person('later')), SignInRefusedError);
    assert.equal((await ctx.c.mail.runOnce()).delivered, 1, 'an hour on, again');
    assert.equal(smtp.messages.filter((m) => m.subject.includes('sign-in was refused')).length, 2);
  });
});
