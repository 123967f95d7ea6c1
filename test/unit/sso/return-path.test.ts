// Where a sign-in may end: only a path on this server. Every form of "somewhere else" a browser
// would follow is refused (open redirect; RFC 9700 §4.11).
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { ValidationError } from '../../../domain/errors.js';
import { returnPath } from '../../../sso/return-path.js';

const BASE = 'https://seats.example.com';

describe('the return path of a sign-in', () => {
  test('When it is a path on this server, then it is kept with its query', () => {
    assert.equal(returnPath('/console', BASE), '/console');
    assert.equal(returnPath('/console/members/7', BASE), '/console/members/7');
    assert.equal(
      returnPath('/console/audit?action=member.signed_in', BASE),
      '/console/audit?action=member.signed_in',
    );
    assert.equal(
      returnPath('/console/../sso/me', BASE),
      '/sso/me',
      'dot segments resolved as a browser would',
    );
  });

  const elsewhere = [
    ['//evil.example', 'scheme-relative'],
    ['//evil.example/console', 'scheme-relative with a path'],
    ['/\\evil.example', 'a backslash browsers read as a slash'],
    ['/%5Cevil.example', 'an encoded backslash'],
    ['/%5cevil.example', 'an encoded backslash, lower case'],
    ['/%2F%2Fevil.example', 'encoded slashes'],
    ['/%2Fevil.example', 'an encoded second slash'],
    ['https://evil.example/console', 'an absolute URL'],
    ['https://seats.example.com/console', 'an absolute URL, even of this site'],
    ['javascript:alert(1)', 'a script URL'],
    ['console', 'a relative path without "/"'],
    ['', 'nothing'],
    ['/console\r\nSet-Cookie: a=b', 'header injection'],
    ['/console%0d%0aSet-Cookie:a=b', 'encoded header injection'],
    ['/\tevil.example', 'a tab, which browsers strip'],
    ['/ /evil.example', 'a space'],
    ['/console#frag', 'a fragment'],
    ['/%E0%A4%A', 'broken percent-encoding'],
    [`/${'a'.repeat(2048)}`, 'too long'],
  ] as const;
  for (const [raw, what] of elsewhere) {
    test(`When it is ${what} (${JSON.stringify(raw.slice(0, 40))}), then it is refused as invalid_return_to`, () => {
      assert.throws(
        () => returnPath(raw, BASE),
        (error: unknown) => error instanceof ValidationError && error.code === 'invalid_return_to',
      );
    });
  }
});
