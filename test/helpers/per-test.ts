// What a test gets to do for itself while it runs on jest, in the shape node:test's context `t`
// had: cleanups that run when the test ends (passed or failed), diagnostics printed under the test's
// name, and steps inside one test. `const t = perTest();` as a test's first line.
import { afterEach, expect } from '@jest/globals';

type Cleanup = () => unknown;

export interface PerTest {
  /** The test's full name, as jest reports it. */
  readonly name: string;
  /** Runs `fn` when the test has ended, passed or failed; in the order added. */
  after(fn: Cleanup): void;
  /** Prints a line about the run (not an assertion) under the test's name. */
  diagnostic(message: string): void;
  /**
   * A named step inside this test: runs `fn` now; a failure fails the test, its message prefixed
   * with the step's name. Cleanups the step adds run when the step ends.
   */
  test(name: string, fn: (t: PerTest) => unknown): Promise<void>;
  /** Jest cannot skip a test once it runs: prints the reason; the caller returns. */
  skip(message?: string): void;
  /** As skip: prints that the test is not done yet. */
  todo(message?: string): void;
}

let pending: Cleanup[] = [];

async function runCleanups(cleanups: Cleanup[]): Promise<void> {
  const errors: unknown[] = [];
  for (const fn of cleanups) {
    try {
      await fn();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanups failed`);
}

// Registered once per test file, when the file first imports this module.
afterEach(async () => {
  const cleanups = pending;
  pending = [];
  await runCleanups(cleanups);
});

function context(name: string, cleanups: { add(fn: Cleanup): void }): PerTest {
  return {
    name,
    after: (fn) => cleanups.add(fn),
    diagnostic: (message) => console.info(`# ${name}: ${message}`),
    async test(step, fn) {
      const own: Cleanup[] = [];
      try {
        await fn(context(`${name} > ${step}`, { add: (c) => own.push(c) }));
      } catch (error) {
        if (error instanceof Error) error.message = `${step}: ${error.message}`;
        throw error;
      } finally {
        await runCleanups(own);
      }
    },
    skip: (message) => console.info(`# ${name}: skipped${message ? `: ${message}` : ''}`),
    todo: (message) => console.info(`# ${name}: todo${message ? `: ${message}` : ''}`),
  };
}

/** The running test's context; call it inside the test (not in a describe body). */
export function perTest(): PerTest {
  const name = expect.getState().currentTestName ?? '(outside a test)';
  return context(name, { add: (fn) => pending.push(fn) });
}
