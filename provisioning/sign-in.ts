// Signing in through an organisation's identity provider, and the account it creates on first
// sign-in (just in time). Protocol-free: the SSO edge validates the assertion or ID token and hands
// in an ExternalIdentity.
//
// Identity resolution, in this order and no other:
//   1. (connection, subject) already linked → that member;
//   2. a current member of this organisation with the same address, only when the address is on a
//      domain verified for the organisation and the provider vouches for it → link, then 1;
//   3. JIT creation, when the organisation's provisioning mode is `jit` and the address is on a
//      verified domain: the member (role `user`, or the highest mapped role), a seat of the highest
//      available tier, and the link, in one transaction;
//   4. otherwise refused: "you have not been given access".
// Every lookup is scoped to the connection's organisation: an identity never links across
// organisations. Network I/O is done before this is called; everything here is one transaction,
// from the login state and the protocol's one-time ids to the session (complete).
import type { Clock } from '../domain/clock.js';
import type { DateTime } from 'luxon';
import {
  ConflictError,
  ContractExpiredError,
  type DomainError,
  SeatLimitError,
  SignInRefusedError,
} from '../domain/errors.js';
import { HIGHEST, type Actor, type Role } from '../domain/model.js';
import type { Queries, Store } from '../db/port.js';
import type { Member, Organisation, SsoConnection } from '../domain/records.js';
import { requireOrganisation } from '../seats/contract-state.js';
import type { OwnerNotices } from '../seats/notices.js';
import type { SeatPool } from '../seats/seat-pool.js';
import type { ExternalIdentity } from './identity.js';
import { changeRole, mappedAccess, type MemberService } from './members.js';
import { issueSeatRequestTicket } from './seat-requests.js';
import { endSession, startSession, type StartedSession } from './sessions.js';
import { onVerifiedDomain } from './verified-domains.js';
import { recordAudit } from '../audit/record.js';

/** Product rule: owners hear about sign-ins refused for want of a seat at most once an hour. */
const NOTICE_INTERVAL_HOURS = 1;
export const NO_SEATS_NOTICE = 'no_seats_for_sign_in';

export interface SignedIn {
  readonly member: Member;
  readonly organisation: Organisation;
  /** How the person got here this time. */
  readonly outcome: 'signed_in' | 'linked' | 'created' | 'invitation_accepted';
}

export interface SignInDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly seats: SeatPool;
  readonly members: MemberService;
  /** Mails the owners' notices; absent, the notice is audited only. */
  readonly notices?: OwnerNotices;
  /** Told how each sign-in ended, once its write is done: the container counts them in its metrics. */
  readonly observer?: SignInObserver;
}

export interface SignInObserver {
  /** Let in: signed in, linked, created or through an accepted invitation. */
  signedIn(outcome: SignedIn['outcome']): void;
  /** Refused by a rule, or rejected by the protocol: the stable code shown to the person. */
  refused(code: string): void;
}

/** A sign-in refused by a rule of the organisation (not by the protocol); recorded already. */
export interface Refused {
  readonly refused: SignInRefusedError;
}

/** A sign-in state saved when the sign-in started (SAML RelayState, OIDC state). */
export interface SavedLoginState {
  readonly connectionId: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Ids a protocol lets be used once: AuthnRequest ids (InResponseTo) and assertion ids. */
export interface OneTimeIds {
  /** Takes a request id issued at or after `notBefore`; false if unknown, used or too old. */
  takeRequest(connectionId: number, requestId: string, notBefore: DateTime): Promise<boolean>;
  /** Records an assertion id until `expiresAt`; false if it was used already. */
  consumeAssertion(connectionId: number, assertionId: string, expiresAt: DateTime): Promise<boolean>;
}

/** What the protocol made of the provider's answer, once checked against the login state. */
export type CheckedAnswer =
  | { readonly identity: ExternalIdentity; readonly returnTo: string }
  /** Start over with a sign-in of our own (an unsolicited answer, or one without its state). */
  | { readonly restart: true }
  /** The answer broke a rule of the protocol; `code` is audited. */
  | { readonly rejected: DomainError };

export interface SignInAttempt {
  /** The connection the answer came through. */
  readonly connectionId: number;
  /** The key of the login state to take, once, if the answer named one. */
  readonly loginState?: string | undefined;
  /** Checks the answer against the login state, using up its one-time ids; in the same write. */
  check(ids: OneTimeIds, saved: SavedLoginState | undefined): Promise<CheckedAnswer>;
  /** The session the browser had, ended by the new one. */
  readonly previousSession?: string | undefined;
}

export type SignInOutcome =
  | { readonly signed: SignedIn; readonly session: StartedSession; readonly returnTo: string }
  | { readonly restart: true }
  | { readonly rejected: DomainError }
  | Refused;

export type SignIn = ReturnType<typeof createSignIn>;

export function createSignIn({ store, clock, seats, members, notices, observer }: SignInDeps) {
  const now = () => clock.now().toISO()!;

  function refuse(code: SignInRefusedError['code'], organisation: Organisation, message: string): never {
    throw new SignInRefusedError(code, message, { organisation: organisation.slug });
  }

  function refuseUnmapped(organisation: Organisation): never {
    refuse(
      'not_in_mapped_group',
      organisation,
      `You are in none of the groups that give access to ${organisation.name}. Ask an administrator to add you to one.`,
    );
  }

  /** The highest role the person's groups map to; null for none; undefined when mappings are off. */
  async function mappedRole(
    q: Queries,
    organisation: Organisation,
    identity: ExternalIdentity,
  ): Promise<Exclude<Role, 'primary_owner'> | null | undefined> {
    if (!(await q.groupMappings.enabled(organisation.id))) return undefined;
    if (identity.groups === 'unknown') {
      refuse(
        'groups_unknown',
        organisation,
        `Your identity provider did not list your groups, so ${organisation.name} cannot tell which access you have. Ask an administrator to check the groups sent to this application.`,
      );
    }
    return (await mappedAccess(q, organisation.id, identity.groups)).role;
  }

  /** Lets a linked member in, or says plainly why not. Roles follow the groups at every sign-in. */
  async function admitMember(
    q: Queries,
    organisation: Organisation,
    member: Member,
    identity: ExternalIdentity,
    actor: Actor,
  ): Promise<{ member: Member; accepted: boolean }> {
    if (member.seatState === 'invited') {
      // Signing in accepts the invitation: decided on the member as they are once the organisation
      // is locked for the change, so an acceptance by the link or a revoke committed meanwhile is
      // seen (seats/seat-pool.ts).
      await q.organisations.lockForChange(organisation.id);
      member = (await q.members.byId(organisation.id, member.id)) ?? member;
    }
    // The primary owner is never demoted or refused by a mapping; with groups unknown, roles stay.
    if (
      member.role !== 'primary_owner' &&
      !(identity.groups === 'unknown' && (await q.groupMappings.enabled(organisation.id)))
    ) {
      const role = await mappedRole(q, organisation, identity);
      if (role === null) {
        refuseUnmapped(organisation);
      }
      if (role !== undefined) member = await changeRole(q, member, role, actor, now());
    }
    switch (member.seatState) {
      case 'seated':
        return { member, accepted: false };
      case 'invited':
        return {
          member: await seats.acceptInvitationIn(q, organisation.id, member.id, actor),
          accepted: true,
        };
      case 'unmapped':
        // Mapped again (the check above passed): they get a seat like any arrival.
        return {
          member: await seats.claimIn(q, organisation.id, member.id, HIGHEST, actor),
          accepted: false,
        };
      case 'deactivated':
        return refuse(
          'member_deactivated',
          organisation,
          `Your account in ${organisation.name} is deactivated. Ask an administrator to reactivate it.`,
        );
      case 'unassigned':
        return refuse(
          'seat_unassigned',
          organisation,
          `Your account in ${organisation.name} has no seat assigned. Ask an administrator to assign you one.`,
        );
      case 'awaiting_seat':
        return refuse(
          'awaiting_seat',
          organisation,
          `Your account in ${organisation.name} is waiting for a seat. An owner must add seats before you can sign in.`,
        );
      case 'removed':
        return refuse(
          'not_provisioned',
          organisation,
          `You have not been given access to ${organisation.name}. Ask an administrator to invite you.`,
        );
    }
  }

  /** Resolves the identity and lets the person in, in the caller's write; throws the refusal. */
  async function admitIdentity(q: Queries, identity: ExternalIdentity): Promise<SignedIn> {
    const connection: SsoConnection | undefined = await q.sso.connection(identity.connectionId);
    const organisation = await requireOrganisation(q, connection?.organisationId ?? -1);
    if (!connection?.enabled) {
      refuse(
        'connection_disabled',
        organisation,
        `Sign-in through this identity provider is turned off for ${organisation.name}.`,
      );
    }
    const actor: Actor = { type: 'jit', connectionId: connection.id };
    const at = now();

    // 1. Already linked.
    const linkedId = await q.sso.linkedMember(connection.id, identity.subject);
    let member = linkedId === undefined ? undefined : await q.members.byId(organisation.id, linkedId);
    let outcome: SignedIn['outcome'] = 'signed_in';

    // 2. Link by address: verified domain, vouched-for address, exactly one current member.
    if (
      !member &&
      identity.emailVerified &&
      identity.email !== null &&
      (await onVerifiedDomain(q, organisation.id, identity.email))
    ) {
      const current = (await q.members.withEmail(organisation.id, identity.email)).filter(
        (m) => m.seatState !== 'removed',
      );
      if (current.length === 1) {
        member = current[0]!;
        await q.sso.link(connection.id, identity.subject, member.id, at);
        outcome = 'linked';
      }
    }

    if (member && member.seatState !== 'removed') {
      const admitted = await admitMember(q, organisation, member, identity, actor);
      member = admitted.member;
      if (admitted.accepted) outcome = 'invitation_accepted';
    } else if (
      organisation.provisioningMode === 'jit' &&
      identity.email !== null &&
      (await onVerifiedDomain(q, organisation.id, identity.email))
    ) {
      // 3. Just in time: member, seat (highest available tier) and link, in this transaction.
      // An address a current member already has is theirs: without the provider vouching for
      // it, it must not become a second account (nor be linked to theirs).
      if (
        (await q.members.withEmail(organisation.id, identity.email)).some((m) => m.seatState !== 'removed')
      ) {
        refuse(
          'email_unverified',
          organisation,
          `An account with the address ${identity.email} exists in ${organisation.name}, but your identity provider did not confirm that the address is yours, so it cannot be used to sign you in. Ask an administrator.`,
        );
      }
      const role = await mappedRole(q, organisation, identity);
      if (role === null) {
        refuseUnmapped(organisation);
      }
      member = await members.admitIn(
        q,
        organisation.id,
        { email: identity.email, displayName: identity.displayName, role: role ?? 'user' },
        'jit',
        HIGHEST,
        actor,
      );
      // Another sign-in of this identity made its account meanwhile (two tabs, on PostgreSQL): this
      // one's account must not stay. Refused as a duplicate, the write is run again and signs in
      // to that account (againOnDuplicate); if this link races the other's, the key refuses it.
      if ((await q.sso.linkedMember(connection.id, identity.subject)) !== undefined) {
        throw new ConflictError(
          'This identity was linked by another sign-in meanwhile.',
          {},
          'already_exists',
        );
      }
      await q.sso.link(connection.id, identity.subject, member.id, at);
      outcome = 'created';
    } else {
      // 4. Nobody gave this person access.
      refuse(
        'not_provisioned',
        organisation,
        `You have not been given access to ${organisation.name}. Ask an administrator to invite you.`,
      );
    }

    await q.sso.recordSignIn(connection.id, identity.subject, at);
    await recordAudit(q, {
      organisationId: organisation.id,
      at,
      actor,
      action: 'member.signed_in',
      subjectType: 'member',
      subjectId: member.id,
      after: { outcome },
    });
    return { member, organisation, outcome };
  }

  /**
   * Audits a refusal, in the write whose sign-in was refused (after its savepoint rolled back); a
   * seat shortage also tells the owners, hourly at most, and returns the secret of a ticket with
   * which the person may ask for a seat (provisioning/seat-requests.ts), when the provider vouched
   * for their address.
   */
  async function recordRefusal(q: Queries, identity: ExternalIdentity, code: string): Promise<string | null> {
    const connection = await q.sso.connection(identity.connectionId);
    if (!connection) return null;
    const organisationId = connection.organisationId;
    const at = clock.now();
    const actor: Actor = { type: 'jit', connectionId: connection.id };
    await recordAudit(q, {
      organisationId,
      at: at.toISO()!,
      actor,
      action: 'sign_in.refused',
      subjectType: 'sso_identity',
      subjectId: identity.subject,
      after: { code, email: identity.email },
    });
    if (code !== 'no_seats') return null;
    await q.waitlist.record(organisationId, identity.email ?? identity.subject, 'jit', at.toISO()!);
    const ticket =
      identity.email !== null && identity.emailVerified
        ? await issueSeatRequestTicket(q, { ...identity, email: identity.email }, organisationId, at)
        : null;
    if (
      await q.sso.claimNotice(
        organisationId,
        NO_SEATS_NOTICE,
        at.toISO()!,
        at.minus({ hours: NOTICE_INTERVAL_HOURS }).toISO()!,
      )
    ) {
      await recordAudit(q, {
        organisationId,
        at: at.toISO()!,
        actor,
        action: 'owner_notice.no_seats',
        subjectType: 'organisation',
        subjectId: organisationId,
        after: { reason: 'A sign-in was refused: no seat is available.' },
      });
      // The mail to every seated owner commits with the claim on the hourly slot, or not at all.
      await notices?.noSeatsForSignIn(q, organisationId, at.toISO()!);
    }
    return ticket;
  }

  /** The refusal a failed sign-in amounts to, or undefined for an error that is no refusal. */
  function refusalOf(error: unknown): SignInRefusedError | undefined {
    if (error instanceof SignInRefusedError) return error;
    if (error instanceof SeatLimitError) {
      return new SignInRefusedError(
        'no_seats',
        'Your organisation has no available seats. Ask an owner of your organisation to add seats, then sign in again.',
        { organisation: error.organisation },
      );
    }
    if (error instanceof ContractExpiredError) {
      return new SignInRefusedError('contract_expired', error.message, error.details);
    }
    return undefined;
  }

  /**
   * Runs a sign-in's write, and once more if it was refused for a duplicate key. Two first sign-ins
   * of one person at once (two tabs) both find no account: on PostgreSQL they run side by side, both
   * make one, and the second's link to the identity is refused as existing. Run again, the second
   * finds the first's account and signs in to it. (On SQLite writes take turns: the second finds the
   * link at once.) Whatever the first run used up or wrote was rolled back with it. The second may
   * also be refused as `member_exists`: a new member's address is looked up under the organisation's
   * lock (provisioning/members.ts), so it waits for the first and then finds its account.
   */
  async function againOnDuplicate<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof ConflictError && ['already_exists', 'member_exists'].includes(error.code ?? '')))
        throw error;
      return await write();
    }
  }

  /**
   * Signs the identity in within the caller's write. What the attempt changed (a JIT account, a
   * claimed seat, a link) is in a savepoint: a refusal undoes it, and is then recorded in the same
   * write, which the caller commits.
   */
  async function signInWithin(q: Queries, identity: ExternalIdentity): Promise<SignedIn | Refused> {
    try {
      return await q.savepoint(() => admitIdentity(q, identity));
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      const ticket = await recordRefusal(q, identity, refusal.code);
      return {
        refused:
          ticket === null
            ? refusal
            : new SignInRefusedError(refusal.code, refusal.message, {
                ...refusal.details,
                seatRequestTicket: ticket,
              }),
      };
    }
  }

  /** Audits a sign-in the protocol rejected before any identity was known (a forged or stale response). */
  async function recordRejection(q: Queries, connectionId: number, code: string): Promise<void> {
    const connection = await q.sso.connection(connectionId);
    if (!connection) return;
    await recordAudit(q, {
      organisationId: connection.organisationId,
      at: now(),
      actor: { type: 'jit', connectionId: connection.id },
      action: 'sign_in.rejected',
      subjectType: 'sso_connection',
      subjectId: connection.id,
      after: { code },
    });
  }

  /** The one-time ids of a sign-in, over the caller's write (replay protection). */
  const oneTimeIds = (q: Queries): OneTimeIds => ({
    takeRequest: (connectionId, requestId, notBefore) =>
      q.ssoState.takeSamlRequest(connectionId, requestId, notBefore.toUTC().toISO()!),
    consumeAssertion: (connectionId, assertionId, expiresAt) =>
      q.ssoState.consumeAssertion(connectionId, assertionId, expiresAt.toUTC().toISO()!),
  });

  return {
    /** Signs the person in (creating the account on first sign-in where allowed), or throws SignInRefusedError. */
    async signIn(identity: ExternalIdentity): Promise<SignedIn> {
      let result;
      try {
        result = await againOnDuplicate(() => store.write((q) => signInWithin(q, identity)));
      } catch (error) {
        if (error instanceof SignInRefusedError) observer?.refused(error.code);
        throw error;
      }
      if ('refused' in result) {
        observer?.refused(result.refused.code);
        throw result.refused;
      }
      observer?.signedIn(result.outcome);
      return result;
    },

    /**
     * Completes a sign-in the identity provider answered, as one write: takes the login state the
     * answer names, lets the protocol check the answer against it and use up its one-time ids
     * (replay protection), signs the person in or creates their account (claiming a seat), ends
     * the browser's previous session and starts a new one. A rejection or a refusal is recorded in
     * the same write and returned, not thrown, so that what the attempt used up commits with it.
     * Network I/O (verifying signatures, exchanging a code) is done before this is called.
     */
    async complete(attempt: SignInAttempt): Promise<SignInOutcome> {
      const outcome = await againOnDuplicate(() =>
        store.write(async (q): Promise<SignInOutcome> => {
          const at = clock.now();
          const saved =
            attempt.loginState === undefined
              ? undefined
              : await q.ssoState.takeLoginState(attempt.loginState, at.toUTC().toISO()!);
          const answer = await attempt.check(oneTimeIds(q), saved);
          if ('rejected' in answer) {
            await recordRejection(q, attempt.connectionId, answer.rejected.code);
            return answer;
          }
          if ('restart' in answer) return answer;
          const result = await signInWithin(q, answer.identity);
          if ('refused' in result) return result;
          if (attempt.previousSession !== undefined) await endSession(q, at, attempt.previousSession);
          const session = await startSession(q, at, result.organisation.id, result.member.id);
          return { signed: result, session, returnTo: answer.returnTo };
        }),
      );
      if ('signed' in outcome) observer?.signedIn(outcome.signed.outcome);
      else if ('refused' in outcome) observer?.refused(outcome.refused.code);
      else if ('rejected' in outcome) observer?.refused(outcome.rejected.code);
      return outcome;
    },
  };
}
