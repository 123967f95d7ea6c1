// Worker: moves seats in both directions in a tight loop until it is killed: admits new members,
// releases seats, seats released members again, invites and revokes invitations. Each operation is
// one transaction through the real services. Reports progress every few operations; meant to be
// stopped with SIGKILL (it gives up by itself after MAX_SECONDS so that it never outlives a test).
//
//   node --import tsx test/helpers/processes/churner.ts DB_PATH ORG_ID TAG MAX_SECONDS
import { SeatLimitError } from '../../../domain/errors.js';
import { HIGHEST, LOWEST, OPERATOR } from '../../../domain/model.js';
import { args, describeError, send, waitForGo, workerContainer } from './protocol.js';
import { inspect } from '../inspect.js';

const [databasePath, orgIdText, tag, maxSecondsText] = args(['DB_PATH', 'ORG_ID', 'TAG', 'MAX_SECONDS']);
const organisationId = Number(orgIdText);
const deadline = performance.now() + Number(maxSecondsText) * 1000;

const { c } = await workerContainer(databasePath!);

// Start from what earlier (killed) runs left behind.
const existing = await inspect(c.store).members(organisationId);
const seated = existing.filter((m) => m.seatState === 'seated' && m.role === 'user').map((m) => m.id);
const invited = existing.filter((m) => m.seatState === 'invited' && m.role === 'user').map((m) => m.id);
const deactivated = existing.filter((m) => m.seatState === 'deactivated').map((m) => m.id);

// A small deterministic generator (mulberry32), seeded by the tag, so a run can be replayed.
let seed = [...tag!].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) | 0, 7);
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
/** Removes and returns a random element, or undefined when the list is empty. */
function takeRandom(list: number[]): number | undefined {
  if (list.length === 0) return undefined;
  const i = Math.floor(random() * list.length);
  const [id] = list.splice(i, 1);
  return id;
}

let created = 0;
let next = 0;
const email = () => `${tag}-${++next}@acme.example`;

async function admit(): Promise<void> {
  const m = await c.members.admit(
    organisationId,
    { email: email(), role: 'user' },
    'scim',
    random() < 0.5 ? HIGHEST : LOWEST,
    OPERATOR,
  );
  created++;
  seated.push(m.id);
}

async function release(): Promise<boolean> {
  const id = takeRandom(seated);
  if (id === undefined) return false;
  await c.seats.release(organisationId, id, OPERATOR, 'deactivated');
  deactivated.push(id);
  return true;
}

async function reseat(): Promise<boolean> {
  const id = takeRandom(deactivated);
  if (id === undefined) return false;
  try {
    await c.seats.claim(organisationId, id, random() < 0.5 ? HIGHEST : LOWEST, OPERATOR);
    seated.push(id);
  } catch (error) {
    deactivated.push(id);
    throw error;
  }
  return true;
}

async function invite(): Promise<void> {
  const { member } = await c.members.invite(
    organisationId,
    { email: email(), role: 'user' },
    LOWEST,
    OPERATOR,
  );
  created++;
  invited.push(member.id);
}

async function revoke(): Promise<boolean> {
  const id = takeRandom(invited);
  if (id === undefined) return false;
  await c.seats.revokeInvitation(organisationId, id, OPERATOR);
  return true;
}

/** Any error but a full pool ends the run; the parent fails the test on the message. */
function fail(error: unknown): never {
  send({ type: 'error', error: describeError(error) });
  process.exit(1);
}

send({ type: 'ready', pid: process.pid });
await waitForGo();

let ops = 0;
while (performance.now() < deadline) {
  const r = random();
  try {
    if (r < 0.35) await admit();
    else if (r < 0.6) {
      if (!(await release())) await admit();
    } else if (r < 0.8) {
      if (!(await reseat())) await admit();
    } else if (r < 0.9) await invite();
    else if (!(await revoke())) await invite();
  } catch (error) {
    // A full pool is an expected answer: give a seat back so that the next claim can succeed.
    if (!(error instanceof SeatLimitError)) fail(error);
    try {
      await release();
    } catch (releaseError) {
      fail(releaseError);
    }
  }
  ops++;
  if (ops % 10 === 0) send({ type: 'progress', ops, created });
  // Writes to a pipe the parent is not reading (it is blocked in a command it runs) queue in this
  // process on some Node.js releases (24) instead of blocking it; they go out only when this loop
  // lets the event loop run, so the parent would see the churner stuck.
  if (process.stdout.writableLength > 0) await new Promise((resolve) => setImmediate(resolve));
}
await c.close();
process.exit(0);
