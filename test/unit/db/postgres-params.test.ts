// The query layer's placeholders as PostgreSQL numbers them (db/postgres/params.ts): `?` and
// `@name` become $n outside literals, quoted identifiers and comments, and the caller's arguments
// come out in $n order.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { numberParameters } from '../../../db/postgres/params.js';

describe('numbering parameters for PostgreSQL', () => {
  test('When a statement has positional placeholders, then they are numbered in order and the arguments kept', () => {
    const s = numberParameters(
      'UPDATE seat_pools SET held = held + 1 WHERE organisation_id = ? AND tier_id = ?',
    );
    assert.equal(s.text, 'UPDATE seat_pools SET held = held + 1 WHERE organisation_id = $1 AND tier_id = $2');
    assert.deepEqual(s.values([7, 'premium']), [7, 'premium']);
  });

  test('When a named placeholder appears twice, then it is one number and its value is sent once', () => {
    const s = numberParameters(
      "UPDATE members SET seat_state = @state, waiting_since = CASE WHEN @state = 'awaiting_seat' THEN @at END WHERE id = @id",
    );
    assert.equal(
      s.text,
      "UPDATE members SET seat_state = $1, waiting_since = CASE WHEN $1 = 'awaiting_seat' THEN $2 END WHERE id = $3",
    );
    assert.deepEqual(s.values([{ id: 4, at: 'T', state: 'seated' }]), ['seated', 'T', 4]);
  });

  test('When a ? or an @ is inside a literal, a quoted identifier or a comment, then it is left alone', () => {
    const s = numberParameters(
      `SELECT 'what? it''s @noon', "odd?col" FROM t -- is it ?\nWHERE a = ? /* @b ? */ AND e LIKE '%@x%' ESCAPE '\\' AND b = ?`,
    );
    assert.equal(
      s.text,
      `SELECT 'what? it''s @noon', "odd?col" FROM t -- is it ?\nWHERE a = $1 /* @b ? */ AND e LIKE '%@x%' ESCAPE '\\' AND b = $2`,
    );
  });

  test('When a named parameter is missing or a statement mixes the two forms, then it fails loudly', () => {
    assert.throws(() => numberParameters('SELECT @a').values([{}]), /missing parameter @a/);
    assert.throws(() => numberParameters('SELECT ?, @a'), /mixes/);
    assert.throws(() => numberParameters("SELECT 'open"), /unterminated/);
  });
});
