// What SCIM shows for a member: what the identity provider sent when it pushed the member, else what
// follows from the address and the name.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import type { Member } from '../../../domain/records.js';
import { shownResource, shownUserName } from '../../../domain/shown-user.js';

const member: Member = {
  id: 1,
  organisationId: 1,
  email: 'anna@acme.example',
  displayName: 'Anna Schmidt',
  role: 'user',
  seatState: 'seated',
  tierId: 'standard',
  source: 'jit',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  publicId: 'c0ffee00-0000-4000-8000-000000000001',
  userName: null,
  externalId: null,
  scimResource: null,
  version: 1,
  waitingSince: null,
  lastActiveAt: null,
};

describe('shown user', () => {
  test('When the provider never pushed the member, then the userName is the address', () => {
    assert.equal(shownUserName(member), 'anna@acme.example');
  });

  test('When the provider sent a userName, then that userName is shown', () => {
    assert.equal(shownUserName({ ...member, userName: 'ANNA' }), 'ANNA');
  });

  test('When the provider never pushed the member, then the attributes follow from the address and the name', () => {
    assert.deepEqual(shownResource(member), {
      displayName: 'Anna Schmidt',
      name: { formatted: 'Anna Schmidt', givenName: 'Anna', familyName: 'Schmidt' },
      emails: [{ value: 'anna@acme.example', type: 'work', primary: true }],
    });
  });

  test('When the provider sent attributes, then exactly those are shown', () => {
    const sent = { userName: 'ANNA', active: true };
    assert.deepEqual(shownResource({ ...member, scimResource: sent }), sent);
  });
});
