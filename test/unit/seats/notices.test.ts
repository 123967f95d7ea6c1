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
    ctx = setup('2026-03-01T10:00:00Z', { publicBaseUrl: BASE, mail: { smtpUrl: smtp.url } });
    const created = createExample(ctx, { seats: { standard: 10, premium: 0 } });
    // The primary owner's invitation is mailed at creation; deliver it now so each test counts its own mail.
    assert.equal((await ctx.c.mail.runOnce()).delivered, 1);
    orgId = created.organisation.id;
    // Seated owners hear the notices; the admin and the invited do not.
    primaryOwner = ctx.c.seats.acceptInvitation(orgId, created.primaryOwner.id, OPERATOR);
    const invited = ctx.c.members.invite(
      orgId,
      { email: 'oscar@acme.example', role: 'owner' },
      LOWEST,
      OPERATOR,
    );
    owner = ctx.c.seats.acceptInvitation(orgId, invited.member.id, OPERATOR);
    admin = ctx.c.members.admit(
      orgId,
      { email: 'ann@acme.example', role: 'admin' },
      'manual',
      HIGHEST,
      OPERATOR,
    );
    ctx.c.members.invite(orgId, { email: 'ivy@acme.example', role: 'owner' }, LOWEST, OPERATOR); // held 4 of 10
    users = 0;
  });
  afterEach(async () => {
    ctx.cleanup();
    await smtp.close();
  });

  /** A new seated user: in a write of its own, or in the caller's when given its q. */
  const addUser = (within?: Queries): Member => {
    const input = { email: `user-${++users}@acme.example`, role: 'user' } as const;
    return within
      ? ctx.c.members.admitIn(within, orgId, input, 'scim', HIGHEST, OPERATOR)
      : ctx.c.members.admit(orgId, input, 'scim', HIGHEST, OPERATOR);
  };
  const held = () => ctx.c.seats.usage(orgId).find((t) => t.tierId === 'standard')!.held;
  const outbox = (kind: string) =>
    ctx.c.store.read((q) => q.outbox.forOrganisation(orgId, 0, 1000)).filter((m) => m.kind === kind);
  const thresholdMails = () => outbox('seat_threshold');
  const noticeAudits = () =>
    ctx.c.store
      .read((q) => q.audit.list(orgId, 0, 10_000))
      .filter((a) => a.action === 'owner_notice.seat_threshold');

  test('When a tier reaches 80, 90 and 100 % of its allocation, then the seated owners are mailed once at each, and nobody else', async () => {
    while (held() < 7) addUser();
    assert.equal(thresholdMails().length, 0, '70 %: nothing yet');
    addUser(); // 8 of 10
    assert.deepEqual(
      thresholdMails().map((m) => m.recipient),
      [primaryOwner.email, owner.email],
      'the primary owner and the seated owner, not the admin nor the invited owner',
    );
    addUser(); // 9
    addUser(); // 10
    assert.equal(thresholdMails().length, 6);
    assert.equal(noticeAudits().length, 3);
    assert.deepEqual(
      noticeAudits().map((a) => (a.after as { thresholds: number[] }).thresholds),
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
    assert.ok(heldMatchesMembers(ctx, orgId));
  });

  test('When usage falls back below a threshold and reaches it again, then the owners are mailed again; staying above it sends nothing more', () => {
    while (held() < 10) addUser();
    assert.equal(thresholdMails().length, 6);
    const last = addUserIds();
    ctx.c.seats.release(orgId, last, OPERATOR); // 9 of 10: below 100 %, re-armed
    assert.equal(thresholdMails().length, 6, 'falling sends nothing');
    addUser(); // 10 again
    assert.equal(thresholdMails().length, 8, '100 % again: mailed again');
    assert.deepEqual(
      thresholdMails()
        .slice(-2)
        .map((m) => m.subject),
      ['Acme GmbH: 100% of Standard seats in use', 'Acme GmbH: 100% of Standard seats in use'],
    );
    // Down to 7 (below 90 and 80), back up to 8: only 80 % is reached again.
    for (const id of lastUsers(3)) ctx.c.seats.release(orgId, id, OPERATOR);
    assert.equal(held(), 7);
    addUser();
    assert.equal(thresholdMails().length, 10);
    assert.match(thresholdMails().at(-1)!.subject, /80% of Standard/);
  });

  test('When owners buy seats, then the thresholds the larger allocation falls below re-arm', () => {
    while (held() < 10) addUser();
    const quote = ctx.c.billing.quote(orgId, { add: { standard: 10 } }, OPERATOR);
    ctx.c.billing.confirm(orgId, quote.id, OPERATOR); // 10 of 20: 50 %
    assert.deepEqual(
      ctx.c.store.read((q) => q.notices.crossings(orgId)),
      [],
      'all re-armed',
    );
    while (held() < 16) addUser(); // 80 % of 20
    assert.equal(thresholdMails().length, 8);
    assert.match(thresholdMails().at(-1)!.text, /uses 16 of its 20 Standard seats/);
  });

  test('When the claim that reaches a threshold rolls back, then neither the mail nor the crossing is kept', () => {
    while (held() < 7) addUser();
    assert.throws(() =>
      ctx.c.store.write((q) => {
        addUser(q); // 8 of 10, inside the enclosing transaction
        throw new Error('the request failed after the claim');
      }),
    );
    assert.equal(held(), 7);
    assert.equal(thresholdMails().length, 0);
    assert.deepEqual(
      ctx.c.store.read((q) => q.notices.crossings(orgId)),
      [],
    );
    addUser();
    assert.equal(thresholdMails().length, 2, 'the crossing that commits is mailed');
  });

  test('When an owner sets the thresholds, then they are validated, audited and used; others may not set them', () => {
    const asOwner: Actor = { type: 'member', memberId: owner.id };
    assert.deepEqual(ctx.c.notices.thresholds(orgId), [80, 90, 100]);
    assert.deepEqual(ctx.c.notices.setNoticeThresholds(orgId, [75, 50], asOwner), [50, 75]);
    assert.deepEqual(ctx.c.notices.thresholds(orgId), [50, 75]);
    for (const bad of [[0], [101], [50.5], [50, 50], [10, 20, 30, 40, 50, 60]]) {
      assert.throws(
        () => ctx.c.notices.setNoticeThresholds(orgId, bad, asOwner),
        (e) => e instanceof ValidationError && e.code === 'invalid_notice_thresholds',
        JSON.stringify(bad),
      );
    }
    assert.throws(
      () => ctx.c.notices.setNoticeThresholds(orgId, [60], { type: 'member', memberId: admin.id }),
      ForbiddenError,
    );
    const audits = ctx.c.store
      .read((q) => q.audit.list(orgId, 0, 10_000))
      .filter((a) => a.action === 'organisation.notice_thresholds_changed');
    assert.deepEqual(
      audits.map((a) => [a.before, a.after]),
      [[{ noticeThresholds: [80, 90, 100] }, { noticeThresholds: [50, 75] }]],
    );
    addUser(); // 5 of 10: 50 %
    assert.match(thresholdMails().at(-1)!.subject, /50% of Standard/);
    addUser();
    addUser(); // 7 of 10: 70 %
    addUser(); // 8: 80 % is no longer a threshold; 75 % is reached
    assert.deepEqual(
      noticeAudits().map((a) => (a.after as { thresholds: number[] }).thresholds),
      [[50], [75]],
    );
    assert.deepEqual(
      ctx.c.notices.setNoticeThresholds(orgId, [], asOwner),
      [],
      'an empty list turns them off',
    );
    while (held() < 10) addUser();
    assert.equal(noticeAudits().length, 2);
  });

  // Helpers over the users this test added, newest last.
  function userIds(): number[] {
    return ctx.c.store
      .read((q) => q.members.list(orgId))
      .filter((m) => m.email.startsWith('user-') && m.seatState === 'seated')
      .map((m) => m.id);
  }
  function addUserIds(): number {
    return userIds().at(-1)!;
  }
  function lastUsers(n: number): number[] {
    return userIds().slice(-n);
  }
});

describe('The no-seats notice for a refused sign-in', () => {
  let smtp: TestSmtpServer;
  let ctx: TestContext;
  let orgId: number;
  let connectionId: number;

  beforeEach(async () => {
    smtp = await startSmtp();
    ctx = setup('2026-03-01T10:00:00Z', { publicBaseUrl: BASE, mail: { smtpUrl: smtp.url } });
    const created = createExample(ctx, { seats: { standard: 2, premium: 0 } });
    // The primary owner's invitation is mailed at creation; deliver it now so each test counts its own mail.
    assert.equal((await ctx.c.mail.runOnce()).delivered, 1);
    orgId = created.organisation.id;
    ctx.c.seats.acceptInvitation(orgId, created.primaryOwner.id, OPERATOR);
    ctx.c.notices.setNoticeThresholds(orgId, [], OPERATOR); // only the sign-in notice in this test
    ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    connectionId = ctx.c.store.write(
      (q) =>
        q.sso.insertConnection({
          organisationId: orgId,
          protocol: 'oidc',
          name: 'Acme IdP',
          config: {},
          secret: 's',
          at: '2026-01-01T00:00:00Z',
        }).id,
    );
  });
  afterEach(async () => {
    ctx.cleanup();
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
    ctx.c.signIn.signIn(person('ada')); // the last seat
    for (const who of ['late', 'later', 'latest']) {
      assert.throws(() => ctx.c.signIn.signIn(person(who)), SignInRefusedError);
    }
    assert.deepEqual(await ctx.c.mail.runOnce(), { delivered: 1, failed: 0, retried: 0 });
    const notice = smtp.messages.at(-1);
    assert.deepEqual(notice!.envelopeTo, ['owner@acme.example']);
    assert.equal(notice!.subject, 'Acme GmbH: a sign-in was refused, no seats are left');
    assert.match(notice!.text, /at most once an hour/);
    assert.deepEqual(notice!.links, [`${BASE}/console/billing`]);

    ctx.clock.advance({ minutes: 59 });
    assert.throws(() => ctx.c.signIn.signIn(person('later')), SignInRefusedError);
    assert.equal((await ctx.c.mail.runOnce()).delivered, 0, 'still within the hour');
    ctx.clock.advance({ minutes: 2 });
    assert.throws(() => ctx.c.signIn.signIn(person('later')), SignInRefusedError);
    assert.equal((await ctx.c.mail.runOnce()).delivered, 1, 'an hour on, again');
    assert.equal(smtp.messages.filter((m) => m.subject.includes('sign-in was refused')).length, 2);
  });
});
