// Invitations through the admin API: inviting holds a seat and mails a single-use link in the same
// transaction; listing, re-sending (a new link, the old one dead), revoking (the seat released),
// accepting by the link's secret (seated and signed in, safe to click twice), and expiry after 21
// days by the clock-driven job. One invitation travels end to end through a real SMTP server.
import assert from '../../helpers/assert.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import request from 'supertest';
import { csrfToken, SESSION_COOKIE } from '../../../api/auth.js';
import { API_PATH } from '../../../api/router.js';
import { OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld, buy, sessionCookie } from '../../helpers/api.js';
import {
  createExample,
  listen,
  setup,
  testApp,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import {
  auditOf,
  databaseDigest,
  lastMailTo,
  outbox,
  pool,
  tokenIn,
  tokensOfEachRole,
} from '../../helpers/people.js';
import { startSmtp, type TestSmtpServer } from '../../helpers/smtp.js';
import { inspect } from '../../helpers/inspect.js';

const NOW = '2026-03-01T09:00:00.000Z';

/** Accepts with `token` as a browser without a session would. */
function accept(w: ApiWorld, token: string, cookie?: string) {
  const r = request(w.app).post(`${API_PATH}/invitations/accept`);
  return (cookie ? r.set('cookie', cookie) : r).send({ token });
}

/** The invitations of a listing, in order. */
const rows = (res: request.Response) =>
  (res.body as { invitations: { id: number; tier: string | null; endedAt: string | null }[] }).invitations;

describe('admin API: inviting', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld(NOW);
    await buy(w, { premium: 2 });
  });
  afterAll(() => w.cleanup());

  test('When an admin invites someone, then a seat of the lowest tier is held at once and the link is mailed in the same commit', async () => {
    const held = await pool(w);
    const mails = (await outbox(w)).length;
    const res = await w.as.admin.post('/invitations', {
      email: 'Nina@acme.example',
      displayName: 'Nina New',
      role: 'user',
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.location, `/api/v1/members/${res.body.memberId}`);
    assert.deepEqual(Object.keys(res.body).sort(), [
      'displayName',
      'email',
      'endedAt',
      'expiresAt',
      'id',
      'memberId',
      'role',
      'sentAt',
      'status',
      'tier',
    ]);
    assert.equal(res.body.email, 'Nina@acme.example');
    assert.equal(res.body.tier, 'standard', 'the lowest tier with a free seat');
    assert.equal(res.body.status, 'pending');
    assert.equal(res.body.sentAt, NOW);
    assert.equal(res.body.expiresAt, '2026-03-22T09:00:00.000Z', '21 days');
    assert.equal((await pool(w)).standard!.held, held.standard!.held + 1);

    assert.equal((await outbox(w)).length, mails + 1);
    const mail = await lastMailTo(w, 'Nina@acme.example', 'invitation');
    assert.equal(mail.subject, 'You are invited to join Acme GmbH');
    assert.match(mail.text, /Admin Person invited you to join Acme GmbH\./);
    assert.match(mail.text, /http:\/\/127\.0\.0\.1\/console\/accept-invitation#token=skinv_[\w-]{43}\n/);
    const token = tokenIn(mail.text);
    const stored = JSON.stringify(
      await w.c.store.read((q) => q.invitations.byId(w.organisationId, res.body.id)),
    );
    assert.ok(!stored.includes(token), 'only the hash of the secret is stored');
    const actions = (await auditOf(w)).slice(-2).map((e) => e.action);
    assert.deepEqual(actions, ['member.created', 'invitation.seat_held']);
  });

  test('When a tier is named, then that tier is held; when it has no free seat, then 409 says an owner must add seats and nothing is written', async () => {
    const premium = await w.as.admin.post('/invitations', {
      email: 'pia@acme.example',
      role: 'user',
      tier: 'premium',
    });
    assert.equal(premium.status, 201);
    assert.equal(premium.body.tier, 'premium');
    assert.equal(
      (await w.as.admin.post('/invitations', { email: 'pat@acme.example', role: 'user', tier: 'premium' }))
        .status,
      201,
    );
    const before = await databaseDigest(w);
    const res = await w.as.admin.post('/invitations', {
      email: 'paul@acme.example',
      role: 'user',
      tier: 'premium',
    });
    assert.equal(res.status, 409);
    assert.equal(problem(res).code, 'seats_exhausted');
    assert.match(problem(res).detail!, /An owner must add seats/);
    assert.equal(await databaseDigest(w), before);
  });

  test('When the address is not on a verified domain, or not an address, then 400 and nothing is written', async () => {
    const before = await databaseDigest(w);
    const foreign = await w.as.admin.post('/invitations', { email: 'eve@evil.example', role: 'user' });
    assert.equal(foreign.status, 400);
    assert.equal(problem(foreign).code, 'domain_not_verified');
    const malformed = await w.as.admin.post('/invitations', { email: 'not an address', role: 'user' });
    assert.equal(malformed.status, 400);
    assert.equal(problem(malformed).code, 'invalid_email');
    const control = await w.as.admin.post('/invitations', { email: 'a\u0001b@acme.example', role: 'user' });
    assert.equal(control.status, 400, 'a control character can never be mailed to');
    assert.equal(problem(control).code, 'invalid_email');
    // NUL is refused before the address is read, as in any text (domain/nul.ts).
    const nul = await w.as.admin.post('/invitations', { email: 'a\u0000b@acme.example', role: 'user' });
    assert.equal(nul.status, 400);
    assert.equal(problem(nul).code, 'nul_character');
    assert.equal(await databaseDigest(w), before);
  });

  test('When the person is a member already, then 409 member_exists', async () => {
    const res = await w.as.admin.post('/invitations', { email: 'USER@acme.example', role: 'user' });
    assert.equal(res.status, 409);
    assert.equal(problem(res).code, 'member_exists');
  });

  test('When an admin invites an owner, then 403 requires an owner; an owner may', async () => {
    const before = await databaseDigest(w);
    const refused = await w.as.admin.post('/invitations', { email: 'boss@acme.example', role: 'owner' });
    assert.equal(refused.status, 403);
    assert.equal(problem(refused).requiredRole, 'owner');
    assert.equal(await databaseDigest(w), before);
    const res = await w.as.owner.post('/invitations', { email: 'boss@acme.example', role: 'owner' });
    assert.equal(res.status, 201);
    assert.equal(res.body.role, 'owner');
  });

  test('When the body is bad, then 400 (or 413) points at the field and nothing is written', async () => {
    const before = await databaseDigest(w);
    const cases: [unknown, string][] = [
      [{ email: 'a@acme.example', role: 'primary_owner' }, '/role'],
      [{ email: 'a@acme.example', role: 'user', admin: true }, '/admin'],
      [{ email: 42, role: 'user' }, '/email'],
      [{ role: 'user' }, '/email'],
      [{ email: 'a@acme.example', role: 'user', tier: '' }, '/tier'],
      [{ email: 'a@acme.example', role: 'user', displayName: 'x'.repeat(201) }, '/displayName'],
    ];
    for (const [body, pointer] of cases) {
      const res = await w.as.admin.post('/invitations', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(
        (problem(res).errors as { pointer: string }[]).some((e) => e.pointer === pointer),
        `${JSON.stringify(body)} → ${pointer}`,
      );
    }
    const huge = await w.as.admin.post('/invitations', {
      email: 'a@acme.example',
      role: 'user',
      displayName: 'x'.repeat(70_000),
    });
    assert.equal(huge.status, 413);
    const text = await w.as.admin
      .post('/invitations')
      .set('content-type', 'text/plain')
      .send('email=a@acme.example');
    assert.equal(text.status, 415);
    assert.equal(await databaseDigest(w), before);
  });

  test('When an API token invites, then the mail names nobody as the inviter and the audit names the token', async () => {
    const { admin } = await tokensOfEachRole(w);
    const res = await w
      .withToken(admin)
      .post('/invitations', { email: 'bot-invited@acme.example', role: 'user' });
    assert.equal(res.status, 201);
    assert.match(
      (await lastMailTo(w, 'bot-invited@acme.example')).text,
      /^You have been invited to join Acme GmbH\./,
    );
    const row = (await auditOf(w)).at(-1)!;
    assert.equal(row.actorType, 'api_token');
  });
});

describe('admin API: listing, re-sending and revoking invitations', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
  });
  afterEach(() => w.cleanup());

  /** Sessions last 12 hours: after the clock moves on, the admin signs in again. */
  const admin = () => w.signedIn(w.as.admin.memberId);
  const invite = async (email: string) => {
    const res = await (await admin()).post('/invitations', { email, role: 'user' });
    assert.equal(res.status, 201, res.text);
    return {
      invitation: res.body as { id: number; memberId: number; expiresAt: string },
      token: tokenIn((await lastMailTo(w, email)).text),
    };
  };

  test('When invitations are listed, then pending and recently ended ones come, newest first, with a total; older ended ones only by status', async () => {
    const old = await invite('old@acme.example');
    await w.as.admin.delete(`/invitations/${old.invitation.id}`);
    w.clock.advance({ days: 31 });
    const a = await invite('a@acme.example');
    w.clock.advance({ minutes: 1 });
    const b = await invite('b@acme.example');
    const res = await (await admin()).get('/invitations');
    assert.equal(res.status, 200);
    assert.deepEqual(
      rows(res).map((i) => i.id),
      [b.invitation.id, a.invitation.id],
    );
    assert.equal(res.body.total, 2);
    const revoked = await (await admin()).get('/invitations?status=revoked');
    assert.deepEqual(
      rows(revoked).map((i) => [i.id, i.tier]),
      [[old.invitation.id, null]],
    );
    const page = await (await admin()).get('/invitations?perPage=1&page=2');
    assert.deepEqual(
      rows(page).map((i) => i.id),
      [a.invitation.id],
    );
    assert.equal((await (await admin()).get('/invitations?status=lost')).status, 400);
  });

  test('When a pending invitation is re-sent, then it gets a new link and a new 21 days, the old link is dead, and it is mailed again', async () => {
    const first = await invite('nina@acme.example');
    w.clock.advance({ days: 5 });
    const held = await pool(w);
    const res = await (await admin()).post(`/invitations/${first.invitation.id}/resend`);
    assert.equal(res.status, 200);
    assert.equal(res.body.id, first.invitation.id);
    assert.equal(res.body.expiresAt, '2026-03-27T09:00:00.000Z');
    assert.deepEqual(await pool(w), held, 'the same seat stays held');
    const token = tokenIn((await lastMailTo(w, 'nina@acme.example')).text);
    assert.notEqual(token, first.token);
    const old = await accept(w, first.token);
    assert.equal(old.status, 400);
    assert.equal(problem(old).code, 'invitation_invalid');
    const row = (await auditOf(w)).at(-1)!;
    assert.equal(row.action, 'invitation.resent');
    assert.equal((row.before as { expiresAt: string }).expiresAt, '2026-03-22T09:00:00.000Z');
    assert.equal((row.after as { expiresAt: string }).expiresAt, '2026-03-27T09:00:00.000Z');
    assert.equal((await accept(w, token)).status, 200);
  });

  test('When a revoked invitation is re-sent, then it comes back as a new invitation holding a seat again', async () => {
    const first = await invite('rita@acme.example');
    const held = (await pool(w)).standard!.held;
    assert.equal((await w.as.admin.delete(`/invitations/${first.invitation.id}`)).status, 204);
    assert.equal((await pool(w)).standard!.held, held - 1, 'revoking releases the seat');
    const gone = await accept(w, first.token);
    assert.equal(gone.status, 410);
    assert.equal(problem(gone).code, 'invitation_revoked');
    const again = await w.as.admin.delete(`/invitations/${first.invitation.id}`);
    assert.equal(again.status, 409);
    assert.equal(problem(again).code, 'invitation_not_pending');

    const res = await w.as.admin.post(`/invitations/${first.invitation.id}/resend`);
    assert.equal(res.status, 200);
    assert.notEqual(res.body.id, first.invitation.id);
    assert.equal(res.body.memberId, first.invitation.memberId);
    assert.equal(res.body.status, 'pending');
    assert.equal((await pool(w)).standard!.held, held);
    const superseded = await w.as.admin.post(`/invitations/${first.invitation.id}/resend`);
    assert.equal(superseded.status, 409);
    assert.equal(problem(superseded).code, 'invitation_superseded');
  });

  test('When an accepted invitation is re-sent, then 409; unknown invitations are 404', async () => {
    const first = await invite('ada@acme.example');
    assert.equal((await accept(w, first.token)).status, 200);
    const res = await w.as.admin.post(`/invitations/${first.invitation.id}/resend`);
    assert.equal(res.status, 409);
    assert.equal(problem(res).code, 'invitation_accepted');
    assert.equal((await w.as.admin.post('/invitations/999999/resend')).status, 404);
    assert.equal((await w.as.admin.delete('/invitations/999999')).status, 404);
    assert.equal((await w.as.admin.delete('/invitations/abc')).status, 400);
  });
});

describe('admin API: accepting an invitation', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
  });
  afterEach(() => w.cleanup());

  test('When the invitee accepts, then they are seated and signed in; a second click from that browser changes nothing, from elsewhere it is refused', async () => {
    const made = await w.as.admin.post('/invitations', { email: 'ines@acme.example', role: 'admin' });
    const token = tokenIn((await lastMailTo(w, 'ines@acme.example')).text);
    const held = await pool(w);
    const res = await accept(w, token);
    assert.equal(res.status, 200);
    assert.equal(res.body.member.id, made.body.memberId);
    assert.equal(res.body.member.seatState, 'seated');
    assert.equal(res.body.member.role, 'admin');
    assert.deepEqual(res.body.organisation, { id: w.organisationId, slug: 'acme', name: 'Acme GmbH' });
    assert.deepEqual(await pool(w), held, 'the held seat becomes theirs; the pool does not move');
    const cookie = sessionCookie(res);
    assert.match(String(res.headers['set-cookie']), /HttpOnly/i);
    const who = await request(w.app).get(`${API_PATH}/session`).set('cookie', cookie);
    assert.equal(who.status, 200);
    assert.equal(who.body.member.email, 'ines@acme.example');
    const row = (await auditOf(w)).at(-1)!;
    assert.equal(row.action, 'invitation.accepted');
    assert.deepEqual([row.actorType, row.actorId], ['member', String(made.body.memberId)]);

    const before = await databaseDigest(w);
    const twice = await accept(w, token, cookie);
    assert.equal(twice.status, 200);
    assert.equal(twice.headers['set-cookie'], undefined, 'no second session');
    assert.equal(await databaseDigest(w), before);
    const elsewhere = await accept(w, token);
    assert.equal(elsewhere.status, 410);
    assert.equal(problem(elsewhere).code, 'invitation_used');
    assert.equal(await databaseDigest(w), before);
  });

  test('When the token is unknown or malformed, then 400 and nothing is written', async () => {
    const before = await databaseDigest(w);
    const unknown = await accept(w, 'skinv_nothing');
    assert.equal(unknown.status, 400);
    assert.equal(problem(unknown).code, 'invitation_invalid');
    assert.equal(
      (await request(w.app).post(`${API_PATH}/invitations/accept`).send({ token: 7 })).status,
      400,
    );
    assert.equal((await request(w.app).post(`${API_PATH}/invitations/accept`).send({})).status, 400);
    assert.equal(
      (
        await request(w.app)
          .post(`${API_PATH}/invitations/accept`)
          .send({ token: 'x'.repeat(201) })
      ).status,
      400,
    );
    assert.equal(await databaseDigest(w), before);
  });

  test('When 21 days pass, then the invitation cannot be accepted even before the job runs; the job expires it once and releases the seat', async () => {
    const made = await w.as.admin.post('/invitations', { email: 'late@acme.example', role: 'user' });
    const token = tokenIn((await lastMailTo(w, 'late@acme.example')).text);
    const held = (await pool(w)).standard!.held;
    w.clock.advance({ days: 21 });
    const early = await accept(w, token);
    assert.equal(early.status, 410);
    assert.equal(problem(early).code, 'invitation_expired');
    assert.equal((await pool(w)).standard!.held, held, 'the seat is held until the job runs');

    assert.equal((await w.c.runJobs()).expiredInvitations, 1);
    const before = await databaseDigest(w);
    assert.equal((await w.c.runJobs()).expiredInvitations, 0, 'running the job again changes nothing');
    assert.equal(await databaseDigest(w), before);
    assert.equal((await pool(w)).standard!.held, held - 1);
    const admin = await w.signedIn(w.as.admin.memberId);
    const listed = await admin.get('/invitations?status=expired');
    assert.deepEqual(
      rows(listed).map((i) => [i.id, i.endedAt]),
      [[made.body.id, '2026-03-22T09:00:00.000Z']],
    );
    const member = await admin.get(`/members/${made.body.memberId}`);
    assert.equal(member.body.seatState, 'removed');
    assert.equal(member.body.invitation, null);
    const late = await accept(w, token);
    assert.equal(late.status, 410);
    assert.equal(problem(late).code, 'invitation_expired');
    assert.equal((await auditOf(w)).filter((e) => e.action === 'invitation.expired').length, 1);
  });
});

describe('admin API: an invitation end to end through SMTP', () => {
  let smtp: TestSmtpServer;
  let w: ApiWorld;
  let server: RunningServer;
  beforeAll(async () => {
    smtp = await startSmtp();
    w = await apiWorld(NOW, {
      mail: { smtpUrl: smtp.url, from: 'Seatkeeper <no-reply@acme-seats.example>' },
    });
    server = await listen(w);
  });
  afterAll(async () => {
    await server.close();
    await w.c.mail.stop();
    await w.cleanup();
    await smtp.close();
  });

  /** The admin's console, over the real port. */
  const admin = async () => {
    const { secret } = await w.c.sessions.start(w.organisationId, w.as.admin.memberId);
    return {
      cookie: `${SESSION_COOKIE}=${secret}`,
      'x-csrf-token': csrfToken(secret),
      origin: server.url,
      'content-type': 'application/json',
    };
  };

  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => fetch(`${server.url}${API_PATH}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

  test('When an admin invites, then the mail arrives with a working link, the invitee accepts and is signed in, and the link works once; another invitation expires after 21 days and frees its seat', async () => {
    const invited = await post(
      '/invitations',
      { email: 'otto@acme.example', displayName: 'Otto', role: 'user' },
      await admin(),
    );
    assert.equal(invited.status, 201);
    const invitation = (await invited.json()) as { memberId: number };
    // The primary owner's own invitation (mailed when the organisation was created) goes too.
    assert.deepEqual(await w.c.mail.runOnce(), { delivered: 2, failed: 0, retried: 0 });
    const mail = (await smtp.waitFor(2)).find((m) => m.envelopeTo.includes('otto@acme.example'));
    assert.deepEqual(mail!.envelopeTo, ['otto@acme.example']);
    assert.equal(mail!.subject, 'You are invited to join Acme GmbH');
    assert.equal(mail!.links.length, 1);
    const link = new URL(mail!.links[0]!);
    assert.equal(link.origin, server.url, 'the link points at this server');
    assert.equal(link.pathname, '/console/accept-invitation');
    assert.match(mail!.html, /href="http:\/\/127\.0\.0\.1:\d+\/console\/accept-invitation#token=skinv_/);

    const token = new URLSearchParams(link.hash.slice(1)).get('token')!;
    const accepted = await post('/invitations/accept', { token });
    assert.equal(accepted.status, 200);
    const cookie = accepted.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`))!
      .split(';')[0]!;
    const me = await fetch(`${server.url}${API_PATH}/profile`, { headers: { cookie } });
    assert.equal(me.status, 200);
    const profile = (await me.json()) as { member: { id: number; seatState: string } };
    assert.equal(profile.member.id, invitation.memberId);
    assert.equal(profile.member.seatState, 'seated');

    const second = await post('/invitations/accept', { token });
    assert.equal(second.status, 410);
    assert.equal(((await second.json()) as { code: string }).code, 'invitation_used');

    const lapsing = await post('/invitations', { email: 'lapsed@acme.example', role: 'user' }, await admin());
    assert.equal(lapsing.status, 201);
    await w.c.mail.runOnce();
    const lapsedMail = (await smtp.waitFor(3)).find((m) => m.envelopeTo.includes('lapsed@acme.example'));
    const lapsedToken = new URLSearchParams(new URL(lapsedMail!.links[0]!).hash.slice(1)).get('token')!;
    const held = (await w.c.seats.usage(w.organisationId)).find((t) => t.tierId === 'standard')!.held;
    w.clock.advance({ days: 21 });
    assert.equal((await w.c.runJobs()).expiredInvitations, 1);
    assert.equal(
      (await w.c.seats.usage(w.organisationId)).find((t) => t.tierId === 'standard')!.held,
      held - 1,
    );
    const refused = await post('/invitations/accept', { token: lapsedToken });
    assert.equal(refused.status, 410);
    assert.equal(((await refused.json()) as { code: string }).code, 'invitation_expired');
  });
});

describe("The primary owner's way in", () => {
  let smtp: TestSmtpServer;
  let ctx: TestContext;
  beforeAll(async () => {
    smtp = await startSmtp();
    ctx = await setup(NOW, { publicBaseUrl: 'https://seats.example.com', mail: { smtpUrl: smtp.url } });
  });
  afterAll(async () => {
    await ctx.cleanup();
    await smtp.close();
  });

  test('When the operator creates an organisation, then its primary owner is mailed a link that seats and signs them in', async () => {
    const { organisation, primaryOwner } = await createExample(ctx);
    assert.equal((await ctx.c.mail.runOnce()).delivered, 1);
    const [mail] = await smtp.waitFor(1);
    assert.deepEqual(mail!.envelopeTo, [primaryOwner.email]);
    const link = new URL(mail!.links[0]!);
    assert.equal(`${link.origin}${link.pathname}`, 'https://seats.example.com/console/accept-invitation');
    const token = new URLSearchParams(link.hash.slice(1)).get('token')!;

    const accepted = await request(testApp(ctx)).post(`${API_PATH}/invitations/accept`).send({ token });
    assert.equal(accepted.status, 200);
    assert.match(String(accepted.headers['set-cookie']), new RegExp(`^${SESSION_COOKIE}=`));
    const owner = (await inspect(ctx.c.store).member(organisation.id, primaryOwner.id))!;
    assert.equal(owner.role, 'primary_owner');
    assert.equal(owner.seatState, 'seated');
  });
});

describe("A lapsed primary owner's invitation", () => {
  test('When the primary owner’s first invitation lapsed, then only an owner can invite that address back, whatever role is asked for', async () => {
    const t = perTest();
    const ctx = await setup('2026-03-01T09:00:00Z');
    t.after(() => ctx.cleanup());
    const { organisation, primaryOwner } = await createExample(ctx);
    const admin = await ctx.c.members.admit(
      organisation.id,
      { email: 'adm@acme.example', displayName: 'Adm', role: 'admin' },
      'manual',
      { highest: true },
      OPERATOR,
    );
    ctx.clock.advance({ days: 22 });
    assert.equal(await ctx.c.seats.expireInvitations(), 1);
    const { secret } = await ctx.c.sessions.start(organisation.id, admin.id);
    const invited = await request(testApp(ctx))
      .post(`${API_PATH}/invitations`)
      .set('cookie', `${SESSION_COOKIE}=${secret}`)
      .set('x-csrf-token', csrfToken(secret))
      .send({ email: primaryOwner.email, role: 'user' });
    assert.equal(invited.status, 403, invited.text);
    assert.equal(problem(invited).requiredRole, 'owner');
    const row = (await inspect(ctx.c.store).member(organisation.id, primaryOwner.id))!;
    assert.equal(row.seatState, 'removed', 'nothing changed');
  });
});
