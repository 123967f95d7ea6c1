// Starts the real server over a fresh database with one organisation and prints its SCIM base
// URL and a bearer token: for running the identity providers' conformance suites by hand.
import { OPERATOR } from '../../domain/model.js';
import { createExample, listen, scimToken, setup } from './fixtures.js';

const ctx = await setup(new Date().toISOString());
const { organisation } = await createExample(ctx, {
  seats: { standard: 500, premium: 50 },
  termStart: new Date().toISOString().slice(0, 10),
});
const token = await scimToken(ctx, organisation.id);
await ctx.c.directory.createUser(
  organisation.id,
  {
    userName: 'seed@acme.example',
    externalId: null,
    active: true,
    displayName: 'Seed User',
    email: 'seed@acme.example',
    tier: null,
    resource: {
      name: { givenName: 'Seed', familyName: 'User' },
      emails: [{ value: 'seed@acme.example', type: 'work', primary: true }],
    },
  },
  OPERATOR,
);
const server = await listen(ctx);
console.log(JSON.stringify({ base: `${server.url}/scim/v2`, token }));
process.on('SIGTERM', () => {
  void server.close().then(() => ctx.cleanup());
});
