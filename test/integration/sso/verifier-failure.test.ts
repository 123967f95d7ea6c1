// When the threads that verify SAML responses fail (a worker that dies, here of a memory limit too
// small to start), the person gets a page that says to try again (503, a stable code, Retry-After),
// never a 500, and nothing is accepted or used up.
import { test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import assert from '../../helpers/assert.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { OPERATOR } from '../../../domain/model.js';
import { createLogger } from '../../../runtime/logger.js';
import { createSsoRouter, SSO_PATH } from '../../../sso/router.js';
import { exampleOrganisation, setup } from '../../helpers/fixtures.js';
import { startSamlIdp } from '../../helpers/saml-idp.js';
import { inspect } from '../../helpers/inspect.js';

const EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';

test('When the SAML verifier fails, then the sign-in gets a 503 try-again page, and nothing is created or used up', async () => {
  const t = perTest();
  const ctx = await setup('2026-03-01T09:00:00Z');
  t.after(() => ctx.cleanup());
  const orgId = (await ctx.c.organisations.create(exampleOrganisation(), OPERATOR)).organisation.id;
  await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = express().use(
    SSO_PATH,
    createSsoRouter({
      sso: ctx.c.sso,
      sessions: ctx.c.sessions,
      signIn: ctx.c.signIn,
      clock: ctx.clock,
      logger: createLogger('silent'),
      publicBaseUrl: url,
      samlVerifyThreads: 1,
      // Too little memory for a worker to load the SAML libraries: every verification fails, as in
      // a crash. Not less: below about 3 MB, Node.js 24 aborts the whole process instead.
      samlVerifierLimits: { maxHeapMb: 8 },
    }),
  );
  server.on('request', app);

  const idp = startSamlIdp({
    spMetadata: `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="placeholder"><SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${url}/placeholder" index="0"/></SPSSODescriptor></EntityDescriptor>`,
    now: () => ctx.clock.now(),
  });
  t.after(() => idp.close());
  const connection = await ctx.c.sso.createConnection(
    orgId,
    {
      protocol: 'saml',
      name: 'Acme SAML',
      idpEntityId: idp.entityId,
      idpSsoUrl: idp.ssoUrl,
      idpCerts: [idp.certPem],
    },
    OPERATOR,
  );
  const entity = `${url}/sso/saml/${connection.publicId}`;
  const acs = `${entity}/acs`;

  const started = await fetch(`${url}/sso/start?org=acme`, { redirect: 'manual' });
  const form = await idp.respond(
    started.headers.get('location')!,
    { nameId: 'vic-id', attributes: { [EMAIL]: 'vic@acme.example' } },
    { audience: entity, recipient: acs, destination: acs },
  );
  const posted = await fetch(acs, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const page = await posted.text();
  assert.equal(posted.status, 503, page);
  assert.match(page, /sso_unavailable/);
  assert.match(page, /try again/i);
  assert.equal(posted.headers.get('retry-after'), '1');
  assert.equal(posted.headers.getSetCookie().length, 0, 'no session');
  assert.equal((await ctx.c.store.read((q) => q.members.withEmail(orgId, 'vic@acme.example'))).length, 0);
  const rejected = (await inspect(ctx.c.store).audit(orgId)).filter((a) => a.action === 'sign_in.rejected');
  assert.equal(rejected.length, 0, 'the response was not judged, so it is not recorded as rejected');
});
