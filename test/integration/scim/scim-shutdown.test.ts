// A SCIM create refused for want of a seat while the server shuts down: the store's close runs the
// queued batch (on PostgreSQL, waits for the transactions in flight), and the refusal is recorded in
// it, so the waiting list misses no one and the caller hears the refusal, not a closed database. The waiting list is read afterwards through a
// connection of its own (the SQLite file, or in the PostgreSQL run the test's database).
import { test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { SeatLimitError } from '../../../domain/errors.js';
import type { DirectoryUserInput } from '../../../provisioning/directory.js';
import { createExample, setup } from '../../helpers/fixtures.js';
import { readStored } from '../../helpers/stored-rows.js';

test('When a refused create is still queued as the store closes, then the refusal reaches the caller and the waiting list', async () => {
  const ctx = await setup('2026-03-01T10:00:00Z');
  // One seat, held by the owner's invitation: every create is refused.
  const orgId = (await createExample(ctx, { seats: { standard: 1, premium: 0 } })).organisation.id;
  const input = (userName: string): DirectoryUserInput => ({
    userName,
    externalId: null,
    active: true,
    displayName: null,
    email: userName,
    tier: null,
    resource: {},
  });
  const actor = { type: 'scim_token', tokenId: 1 } as const;

  await assert.rejects(ctx.c.directory.createUser(orgId, input('early@acme.example'), actor), SeatLimitError);
  const late = ctx.c.directory.createUser(orgId, input('late@acme.example'), actor);
  const lateRefused = assert.rejects(late, SeatLimitError); // heard as soon as it settles
  await ctx.c.close(); // shutdown, with the create queued
  await lateRefused;

  const waiting = (await readStored(ctx, (db) =>
    db.all('SELECT user_name FROM seat_waitlist ORDER BY user_name'),
  )) as { user_name: string }[];
  rmSync(ctx.dir, { recursive: true, force: true });
  assert.deepEqual(
    waiting.map((w) => w.user_name),
    ['early@acme.example', 'late@acme.example'],
  );
});
