// The command form of a directory write (provisioning/directory/command-forms.ts): a step written
// once runs in a write of its own or, asked for together with others, in one write of a group commit,
// with the same result; a step that ends Refused commits what it recorded, then its command throws.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { SeatLimitError } from '../../../domain/errors.js';
import { OPERATOR } from '../../../domain/model.js';
import type { Queries } from '../../../db/port.js';
import type { DirectoryUserInput } from '../../../provisioning/directory.js';
import { command, Refused } from '../../../provisioning/directory/command-forms.js';
import { createExample, setup } from '../../helpers/fixtures.js';
import { scratchStores } from '../../helpers/scratch-store.js';
import { perTest } from '../../helpers/per-test.js';
import { TEST_BACKEND } from '../../helpers/test-database.js';

const world = scratchStores('seatkeeper-command-forms-');

const refusal = () => new SeatLimitError('acme', ['standard']);

describe('The command form of a directory write', () => {
  test('When a step succeeds, then a write of its own and a write of a group commit return its result and store its work', async () => {
    const { store, insert, rows } = world();
    const note = command(store, async (_q: Queries, value: string) => {
      insert(value);
      return value.length;
    });
    assert.equal(await note('plain'), 5);
    // Asked for in one turn: the two share a group commit.
    const [batched, neighbour] = await Promise.all([note('batched'), note('neighbour')]);
    assert.equal(batched, 7);
    assert.equal(neighbour, 9);
    assert.deepEqual(rows(), ['plain', 'batched', 'neighbour']);
  });

  test('When a step ends Refused, then what it wrote commits and the command throws the refusal, alone or in a group commit', async () => {
    const { store, insert, rows } = world();
    const refused = command(store, async (_q: Queries, value: string) => {
      insert(value);
      return new Refused(refusal());
    });
    await assert.rejects(refused('recorded plain'), SeatLimitError);
    // Asked for in one turn: the two share a group commit.
    await Promise.all([
      assert.rejects(refused('recorded batched'), SeatLimitError),
      assert.rejects(refused('recorded neighbour'), SeatLimitError),
    ]);
    assert.deepEqual(rows(), ['recorded plain', 'recorded batched', 'recorded neighbour']);
  });

  test('When a step throws, then nothing it wrote is stored, and a neighbour in its group commit is unaffected', async () => {
    const { store, insert, rows } = world();
    const failing = command(store, async (_q: Queries, value: string) => {
      insert(value);
      throw new Error('refused');
    });
    const note = command(store, async (_q: Queries, value: string) => insert(value));
    await assert.rejects(failing('lost'), /refused/);
    const [kept, lost] = await Promise.allSettled([note('kept'), failing('lost too')]);
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
    const ctx = await setup('2026-02-01T10:00:00Z');
    t.after(() => ctx.cleanup());
    const orgId = (await createExample(ctx, { seats: { standard: 2, premium: 0 } })).organisation.id;
    const names = ['ada@acme.example', 'bob@acme.example'];
    const outcomes = await Promise.allSettled(
      names.map((name) => ctx.c.directory.createUser(orgId, user(name), OPERATOR)),
    );
    // SQLite runs the two in the order asked, in one transaction. PostgreSQL runs them at once, each
    // on its own connection, and either may reach the last seat first: the rule is the same, one
    // stored and one refused, whichever it is.
    const won = TEST_BACKEND === 'sqlite' ? 0 : outcomes.findIndex((o) => o.status === 'fulfilled');
    const [winner, loser] = won === 0 ? [0, 1] : [1, 0];
    assert.equal(outcomes[winner]?.status, 'fulfilled');
    const refused = outcomes[loser];
    assert.ok(refused?.status === 'rejected' && refused.reason instanceof SeatLimitError);
    const stored = await ctx.c.store.read(async (q) =>
      (await q.members.list(orgId)).map((m) => m.email).sort(),
    );
    assert.deepEqual(stored, [names[winner], 'owner@acme.example']);
    assert.deepEqual(
      (await ctx.c.directory.waiting(orgId)).refused.map((r) => r.userName),
      [names[loser]],
    );
  });
});
