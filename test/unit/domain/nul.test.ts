// Where U+0000 is in a parsed body or query (domain/nul.ts): any depth, keys as well as values,
// pointed at by JSON Pointer, without recursion.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { ValidationError } from '../../../domain/errors.js';
import { findNul, refuseNul } from '../../../domain/nul.js';

describe('findNul', () => {
  test('When nothing holds NUL, then undefined, whatever the shape', () => {
    for (const value of [undefined, null, 1, true, '', 'plain', [], {}, { a: [1, 'b', { c: null }] }]) {
      assert.equal(findNul(value), undefined);
    }
  });

  test('When a value or a key holds NUL, then the pointer of the first in document order', () => {
    assert.equal(findNul('a\u0000'), '/');
    assert.equal(findNul({ a: 'x', b: { c: ['ok', 'n\u0000'] } }), '/b/c/1');
    assert.equal(findNul({ first: 'x\u0000', second: 'y\u0000' }), '/first');
    assert.equal(findNul({ ok: 1, ['k\u0000']: 'v' }), '/k\\u0000');
    assert.equal(findNul({ 'a/b~c': '\u0000' }), '/a~1b~0c');
    assert.equal(findNul(JSON.parse('{"name":{"givenName":"\\u0000"}}')), '/name/givenName');
  });

  test('When the NUL is deeper than any stack of calls could go, then it is still found', () => {
    let deep: unknown = ['\u0000'];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(findNul(deep)?.length, 2 * 200_001);
  });
});

describe('refuseNul', () => {
  test('When a body holds NUL, then a ValidationError nul_character pointing at it', () => {
    assert.throws(
      () => refuseNul({ emails: [{ value: 'a\u0000@b' }] }, 'body'),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.code === 'nul_character' &&
        /^Invalid body: emails\/0\/value: .*U\+0000/.test(e.message) &&
        JSON.stringify(e.details) ===
          JSON.stringify({
            errors: [
              {
                in: 'body',
                pointer: '/emails/0/value',
                detail: 'Text may not contain the NUL character (U+0000).',
              },
            ],
          }),
    );
    refuseNul({ fine: ['text'] }, 'query');
  });
});
