// Console sessions: started at every sign-in (single sign-on, a mailed link, an accepted invitation),
// ended by signing out or by losing the seat (seats/seat-pool.ts). The browser holds a random secret;
// only its SHA-256 is stored, so the table leaks no way in. The functions that take `q` run inside
// the caller's write, so a sign-in and its session commit together.
import { createHash, randomBytes } from 'node:crypto';
import type { DateTime } from 'luxon';
import type { Clock } from '../domain/clock.js';
import type { Queries, Store } from '../db/port.js';
import type { Member, Organisation, Session } from '../domain/records.js';

export type { Session } from '../domain/records.js';

/** How long a session lasts after sign-in. */
export const SESSION_TTL_HOURS = 12;

/** What a new session gives the browser: the cookie's secret, and when it ends. */
export interface StartedSession {
  readonly secret: string;
  readonly expiresAt: DateTime;
}

/** The member and organisation a live session belongs to. */
export interface SessionHolder {
  readonly member: Member;
  readonly organisation: Organisation;
}

const hash = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');
const iso = (at: DateTime) => at.toUTC().toISO()!;

/** Starts a session for the member as of `now`, in the caller's write. */
export async function startSession(
  q: Pick<Queries, 'ssoState'>,
  now: DateTime,
  organisationId: number,
  memberId: number,
): Promise<StartedSession> {
  const secret = randomBytes(32).toString('base64url');
  const expiresAt = now.plus({ hours: SESSION_TTL_HOURS });
  await q.ssoState.createSession(hash(secret), organisationId, memberId, iso(now), iso(expiresAt));
  return { secret, expiresAt };
}

/** Ends the session with this secret, if it is live, in the caller's write. */
export async function endSession(q: Pick<Queries, 'ssoState'>, now: DateTime, secret: string): Promise<void> {
  await q.ssoState.revokeSession(hash(secret), iso(now));
}

/** The live session with this secret, if any. */
export async function sessionOf(
  q: Pick<Queries, 'ssoState'>,
  now: DateTime,
  secret: string,
): Promise<Session | undefined> {
  return await q.ssoState.session(hash(secret), iso(now));
}

/** Who a live session belongs to, whatever their seat; undefined for no live session. */
async function holderOf(
  q: Pick<Queries, 'ssoState' | 'members' | 'organisations'>,
  now: DateTime,
  secret: string,
): Promise<SessionHolder | undefined> {
  const session = await sessionOf(q, now, secret);
  if (!session) return undefined;
  const member = await q.members.byId(session.organisationId, session.memberId);
  const organisation = await q.organisations.byId(session.organisationId);
  return member && organisation ? { member, organisation } : undefined;
}

export type Sessions = ReturnType<typeof createSessions>;

export function createSessions({ store, clock }: { readonly store: Store; readonly clock: Clock }) {
  return {
    /** A new session for the member; returns the cookie's secret (only its hash is stored). */
    start: (organisationId: number, memberId: number): Promise<StartedSession> =>
      store.write((q) => startSession(q, clock.now(), organisationId, memberId)),

    end: (secret: string): Promise<void> => store.write((q) => endSession(q, clock.now(), secret)),

    /**
     * The member signed in by this secret, only while they hold a seat (login is allowed only while
     * seated: a session that outlives the seat is over); undefined otherwise.
     */
    async signedIn(secret: string): Promise<SessionHolder | undefined> {
      const holder = await store.read((q) => holderOf(q, clock.now(), secret));
      return holder?.member.seatState === 'seated' ? holder : undefined;
    },
  };
}
