// The two forms of a directory write command (provisioning/directory/command-forms.ts): a step
// written once runs in a write of its own or in one write of a group commit, with the same result;
// a step that ends Refused commits what it recorded, then its command throws.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { SeatLimitError } from '../../../domain/errors.js';
import { OPERATOR } from '../../../domain/model.js';
import type { Queries } from '../../../db/port.js';
import type { DirectoryUserInput } from '../../../provisioning/directory.js';
import { commandForms, Refused } from '../../../provisioning/directory/command-forms.js';
import { createExample, setup } from '../../helpers/fixtures.js';
import { scratchStores } from '../../helpers/scratch-store.js';
import { perTest } from '../../helpers/per-test.js';

const world = scratchStores('seatkeeper-command-forms-');

const refusal = () => new SeatLimitError('acme', ['standard']);

describe('The two forms of a directory command', () => {
  test('When a step succeeds, then the plain and the group-committed form return its result and store its work', async () => {
    const { store, insert, rows } = world();
    const note = commandForms(store, (_q: Queries, value: string) => {
      insert(value);
      return value.length;
    });
    assert.equal(note.write('plain'), 5);
    assert.equal(await note.batched('batched'), 7);
    assert.deepEqual(rows(), ['plain', 'batched']);
  });

  test('When a step ends Refused, then what it wrote commits and both forms throw the refusal', async () => {
    const { store, insert, rows } = world();
    const refused = commandForms(store, (_q: Queries, value: string) => {
      insert(value);
      return new Refused(refusal());
    });
    assert.throws(() => refused.write('recorded plain'), SeatLimitError);
    await assert.rejects(refused.batched('recorded batched'), SeatLimitError);
    assert.deepEqual(rows(), ['recorded plain', 'recorded batched']);
  });

  test('When a step throws, then nothing it wrote is stored, and a batched neighbour is unaffected', async () => {
    const { store, insert, rows } = world();
    const failing = commandForms(store, (_q: Queries, value: string) => {
      insert(value);
      throw new Error('refused');
    });
    const note = commandForms(store, (_q: Queries, value: string) => insert(value));
    assert.throws(() => failing.write('lost'), /refused/);
    const [kept, lost] = await Promise.allSettled([note.batched('kept'), failing.batched('lost too')]);
    assert.deepEqual([kept?.status, lost?.status], ['fulfilled', 'rejected']);
    assert.deepEqual(rows(), ['kept']);
  });
});

describe('Directory creates in one group commit', () => {
  const user = (userName: string): DirectoryUserInput => ({
    userName,
    externalId: null,
    active: true,
    displayName: null,
    email: null,
    tier: null,
    resource: { userName },
  });

  test('When two creates share a commit and the second finds no seat, then the first is stored, the second is refused and recorded', async () => {
    const t = perTest();
    const ctx = setup('2026-02-01T10:00:00Z');
    t.after(() => ctx.cleanup());
    const orgId = createExample(ctx, { seats: { standard: 2, premium: 0 } }).organisation.id;
    const [first, second] = await Promise.allSettled([
      ctx.c.directory.batched.createUser(orgId, user('ada@acme.example'), OPERATOR),
      ctx.c.directory.batched.createUser(orgId, user('bob@acme.example'), OPERATOR),
    ]);
    assert.equal(first?.status, 'fulfilled');
    assert.ok(second?.status === 'rejected' && second.reason instanceof SeatLimitError);
    const stored = ctx.c.store.read((q) =>
      q.members
        .list(orgId)
        .map((m) => m.email)
        .sort(),
    );
    assert.deepEqual(stored, ['ada@acme.example', 'owner@acme.example']);
    assert.deepEqual(
      ctx.c.directory.waiting(orgId).refused.map((r) => r.userName),
      ['bob@acme.example'],
    );
  });
});
