// "Require single sign-on" end to end: the real server on 127.0.0.1 and a real OpenID Provider in its
// default, conforming configuration (claims from UserInfo). The invitation link alone no longer
// seats anyone; signing in through the provider accepts the invitation and ends in the console.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { csrfToken, SESSION_COOKIE } from '../../../api/auth.js';
import { OPERATOR } from '../../../domain/model.js';
import {
  createExample,
  listen,
  setup,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import { oidcSignIn, startOidcConnection, type OidcTestProvider } from '../../helpers/oidc-provider.js';
import { tokenIn } from '../../helpers/people.js';
import { inspect } from '../../helpers/inspect.js';

describe('Require single sign-on over HTTP', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let provider: OidcTestProvider;
  let orgId: number;
  let owner: Record<string, string>;

  beforeAll(async () => {
    ctx = await setup(new Date().toISOString());
    const example = await createExample(ctx, { termStart: new Date().toISOString().slice(0, 10) });
    orgId = example.organisation.id;
    await ctx.c.seats.acceptInvitation(orgId, example.primaryOwner.id, OPERATOR);
    server = await listen(ctx);
    ({ provider } = await startOidcConnection({
      sso: ctx.c.sso,
      organisationId: orgId,
      serverUrls: [server.url],
      accounts: { newcomer: { email: 'newcomer@acme.example', email_verified: true, name: 'New Comer' } },
    }));
    await ctx.c.sso.setRequireSso(orgId, true, OPERATOR);
    const { secret } = await ctx.c.sessions.start(orgId, example.primaryOwner.id);
    owner = {
      cookie: `${SESSION_COOKIE}=${secret}`,
      'x-csrf-token': csrfToken(secret),
      'content-type': 'application/json',
    };
  });
  afterAll(async () => {
    await provider.close();
    await server.close();
    await ctx.cleanup();
  });

  test('When an invitee opens the link, then sso_required; signing in through the provider accepts the invitation and ends in the console', async () => {
    const invited = await fetch(`${server.url}/api/v1/invitations`, {
      method: 'POST',
      headers: owner,
      body: JSON.stringify({ email: 'newcomer@acme.example', role: 'user' }),
    });
    assert.equal(invited.status, 201, await invited.text());
    const mail = (await ctx.c.store.read((q) => q.outbox.list(0, 10_000)))
      .filter((m) => m.recipient === 'newcomer@acme.example')
      .at(-1)!;
    const token = tokenIn(mail.text);
    const accept = () =>
      fetch(`${server.url}/api/v1/invitations/accept`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });

    const refused = await accept();
    assert.equal(refused.status, 403);
    const problem = (await refused.json()) as { code: string; organisation: string };
    assert.equal(problem.code, 'sso_required');
    assert.equal(problem.organisation, 'acme');

    const { response } = await oidcSignIn(
      provider,
      `${server.url}/sso/start?org=${problem.organisation}&return_to=%2Fconsole`,
      'newcomer',
    );
    assert.equal(response.status, 303, await response.text());
    assert.equal(response.headers.get('location'), '/console');
    const [member] = await ctx.c.store.read((q) => q.members.withEmail(orgId, 'newcomer@acme.example'));
    assert.equal(member?.seatState, 'seated');
    const invitation = await ctx.c.store.read((q) => q.invitations.latestFor(orgId, member.id));
    assert.equal(invitation?.status, 'accepted');
    const signedIn = (await inspect(ctx.c.store).audit(orgId)).filter(
      (a) => a.action === 'member.signed_in' && a.subjectId === String(member.id),
    );
    assert.deepEqual(
      signedIn.map((a) => a.after),
      [{ outcome: 'invitation_accepted' }],
    );

    assert.equal((await accept()).status, 410, 'the link is used up: the invitation was accepted');
  });
});
