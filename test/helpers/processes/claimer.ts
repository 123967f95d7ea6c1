// Worker: admits new members as fast as it can, each taking the highest available seat, until it has
// seen STOP_AFTER consecutive SeatLimitErrors (or MAX_ATTEMPTS attempts). Says "ready" once its
// container is built, starts on "go", and ends with one "done" message counting what happened.
//
// PAUSE_MS (optional, default 0) sleeps that long after each attempt, outside any transaction.
//
//   node --import tsx test/helpers/processes/claimer.ts DB_PATH ORG_ID TAG STOP_AFTER MAX_ATTEMPTS [PAUSE_MS]
import { SeatLimitError } from '../../../domain/errors.js';
import { HIGHEST, OPERATOR } from '../../../domain/model.js';
import { args, describeError, send, waitForGo, workerContainer } from './protocol.js';

const [databasePath, orgIdText, tag, stopAfterText, maxAttemptsText, pauseText] = args([
  'DB_PATH',
  'ORG_ID',
  'TAG',
  'STOP_AFTER',
  'MAX_ATTEMPTS',
]);
const organisationId = Number(orgIdText);
const stopAfter = Number(stopAfterText);
const maxAttempts = Number(maxAttemptsText);
const pauseMs = Number(pauseText ?? 0);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

const { c, busyRetries } = await workerContainer(databasePath!);
send({ type: 'ready', pid: process.pid });
await waitForGo();

const started = performance.now();
let attempts = 0;
let successes = 0;
let seatLimits = 0;
let consecutiveLimits = 0;
let otherErrorCount = 0;
const otherErrors: string[] = [];
while (consecutiveLimits < stopAfter && attempts < maxAttempts) {
  attempts++;
  try {
    await c.members.admit(
      organisationId,
      { email: `${tag}-${attempts}@acme.example`, role: 'user' },
      'scim',
      HIGHEST,
      OPERATOR,
    );
    successes++;
    consecutiveLimits = 0;
  } catch (error) {
    if (error instanceof SeatLimitError) {
      seatLimits++;
      consecutiveLimits++;
    } else {
      otherErrorCount++;
      if (otherErrors.length < 10) otherErrors.push(describeError(error));
    }
  }
  // A synchronous sleep: the write lock is free meanwhile, as between two requests of a server.
  if (pauseMs > 0) Atomics.wait(sleeper, 0, 0, pauseMs);
}
send({
  type: 'done',
  attempts,
  successes,
  seatLimits,
  busyRetries: busyRetries(),
  elapsedMs: Math.round(performance.now() - started),
  otherErrors,
  otherErrorCount,
});
await c.close();
process.exit(0);
