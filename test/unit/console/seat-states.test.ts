// The console keeps its own list of seat states (console/public/pages/members.js is plain browser
// JavaScript and cannot import server code): this check fails when that copy differs from the
// server's list (domain/model.ts), so a state added on one side cannot go missing on the other.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { SEAT_STATES } from '../../../domain/model.js';

const MEMBERS_PAGE = fileURLToPath(new URL('../../../console/public/pages/members.js', import.meta.url));

/** The string items of the `const SEAT_STATES = [ … ];` literal in a console script. */
function consoleSeatStates(source: string): string[] {
  const literal = /const SEAT_STATES = \[([^\]]*)\];/.exec(source);
  assert.ok(literal, 'the members page declares const SEAT_STATES = [ … ];');
  return [...literal[1]!.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]!);
}

describe("The console's seat states", () => {
  test('When the members page lists seat states, then they are those of the server, in the same order', () => {
    assert.deepEqual(consoleSeatStates(readFileSync(MEMBERS_PAGE, 'utf8')), [...SEAT_STATES]);
  });

  test('When a copy lacks a state or has one the server does not, then the comparison sees it', () => {
    const short = consoleSeatStates("const SEAT_STATES = ['seated', 'invited'];");
    assert.notDeepEqual(short, [...SEAT_STATES]);
    const extra = consoleSeatStates(
      `const SEAT_STATES = [${[...SEAT_STATES, 'frozen'].map((s) => `"${s}"`).join(', ')}];`,
    );
    assert.equal(extra.length, SEAT_STATES.length + 1);
    assert.notDeepEqual(extra, [...SEAT_STATES]);
  });
});
