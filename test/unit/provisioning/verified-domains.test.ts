// The verified-domain rule in its one place: an address is the organisation's provider's to speak
// for only when its domain was verified for that organisation.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { ValidationError } from '../../../domain/errors.js';
import { onVerifiedDomain, organisationOfVerifiedDomain } from '../../../provisioning/verified-domains.js';
import { createExample, setup, type TestContext } from '../../helpers/fixtures.js';

describe('the verified-domain check', () => {
  let ctx: TestContext;
  let acme: number;
  let globex: number;

  beforeEach(async () => {
    ctx = await setup('2026-03-01T10:00:00Z');
    acme = (await createExample(ctx)).organisation.id;
    globex = (await createExample(ctx, { slug: 'globex' })).organisation.id;
    // A domain the organisation claimed but nobody verified.
    await ctx.c.store.write((q) => q.organisations.addDomain(acme, 'unverified.example', null));
  });
  afterEach(() => ctx.cleanup());

  test('When the address is on a domain verified for the organisation, then it is, in any letter case', async () => {
    await ctx.c.store.read(async (q) => {
      assert.equal(await onVerifiedDomain(q, acme, 'ada@acme.example'), true);
      assert.equal(await onVerifiedDomain(q, acme, ' Ada@ACME.example '), true);
    });
  });

  test('When the domain is another organisation’s, unverified, or the address is none, then it is not', async () => {
    await ctx.c.store.read(async (q) => {
      assert.equal(await onVerifiedDomain(q, acme, 'ada@globex.example'), false);
      assert.equal(await onVerifiedDomain(q, acme, 'ada@unverified.example'), false);
      assert.equal(await onVerifiedDomain(q, acme, 'not an address'), false);
      assert.equal(await onVerifiedDomain(q, acme, null), false);
    });
  });

  test('When a sign-in starts by address, then the organisation that verified its domain is found; a non-address is refused', async () => {
    await ctx.c.store.read(async (q) => {
      assert.equal(await organisationOfVerifiedDomain(q, 'bob@globex.example'), globex);
      assert.equal(await organisationOfVerifiedDomain(q, 'bob@acme.example'), acme);
      assert.equal(await organisationOfVerifiedDomain(q, 'bob@unverified.example'), undefined);
      await assert.rejects(() => organisationOfVerifiedDomain(q, 'bob'), ValidationError);
    });
  });
});
