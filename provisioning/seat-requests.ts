// Seat requests: a member asks the administrators for a seat of a tier (with an optional note), or a
// person refused at sign-in for want of a seat asks from the refusal page; administrators grant
// (the seat change is made in the same transaction as the decision) or decline (with an optional
// reason). The owners are mailed when a request arrives, the person when it is decided; every step
// is audited. One request per person and tier is open at a time.
import type { DateTime } from 'luxon';
import type { Clock } from '../domain/clock.js';
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  SeatLimitError,
  ValidationError,
} from '../domain/errors.js';
import { hashSecret, newSecret } from '../domain/secrets.js';
import { type Actor } from '../domain/model.js';
import type { Queries, Store } from '../db/port.js';
import type { SeatRequest, SeatRequestStatus } from '../domain/records.js';
import { enqueueMail } from '../mail/outbox.js';
import {
  seatRequestDeclinedMail,
  seatRequestedMail,
  seatRequestGrantedMail,
} from '../mail/seat-request-messages.js';
import type { Reader } from '../mail/messages.js';
import { readerOf } from '../mail/reader.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import type { InvitationService } from './invitations.js';
import type { MemberAdmin } from './member-admin.js';
import { recordAudit } from '../audit/record.js';

export type { SeatRequest } from '../domain/records.js';

/** Most requests recorded from sign-in refusals per organisation per hour (the page is public-facing). */
export const SIGN_IN_REQUESTS_PER_HOUR = 20;
export const MAX_NOTE_LENGTH = 500;

/** Says what a refusal page's ticket is (and lets secret scanners recognise it). */
export const SEAT_REQUEST_TICKET_PREFIX = 'skseat_';
/** How long after a refused sign-in its page can still ask for a seat. */
export const SEAT_REQUEST_TICKET_TTL_MINUTES = 60;

/**
 * A single-use ticket for a person refused at sign-in for want of a seat, inside the refusal's
 * transaction: it stands for the identity the provider asserted (a verified address), so the
 * request made with it is tied to that sign-in, never to an address someone types. Returns the
 * secret, which only the refusal page's link carries; only its hash is stored.
 */
export async function issueSeatRequestTicket(
  q: Queries,
  identity: { readonly email: string; readonly displayName: string | null; readonly connectionId: number },
  organisationId: number,
  at: DateTime,
): Promise<string> {
  const secret = newSecret(SEAT_REQUEST_TICKET_PREFIX);
  await q.seatRequests.insertTicket({
    tokenHash: hashSecret(secret),
    organisationId,
    connectionId: identity.connectionId,
    email: identity.email,
    displayName: identity.displayName,
    createdAt: at.toISO()!,
    expiresAt: at.plus({ minutes: SEAT_REQUEST_TICKET_TTL_MINUTES }).toISO()!,
  });
  return secret;
}

export interface SeatRequestDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly invitations: InvitationService;
  readonly memberAdmin: MemberAdmin;
  readonly publicBaseUrl: string;
}

export type SeatRequests = ReturnType<typeof createSeatRequests>;

const base = (url: string) => url.replace(/\/+$/, '');

export function createSeatRequests({
  store,
  clock,
  invitations,
  memberAdmin,
  publicBaseUrl,
}: SeatRequestDeps) {
  async function tierName(q: Queries, tierId: string): Promise<string> {
    return (await q.tiers.all()).find((t) => t.id === tierId)?.name ?? tierId;
  }

  async function requireTier(q: Queries, organisationId: number, tierId: string): Promise<void> {
    if (!(await q.seatPools.list(organisationId)).some((t) => t.tierId === tierId)) {
      const known = (await q.seatPools.list(organisationId)).map((t) => t.tierId).join(', ');
      throw new ValidationError(
        `No tier "${tierId}"; the tiers are ${known}.`,
        { tier: tierId },
        'unknown_tier',
      );
    }
  }

  async function requireRequest(q: Queries, organisationId: number, id: number): Promise<SeatRequest> {
    const request = await q.seatRequests.byId(organisationId, id);
    if (!request) throw new NotFoundError(`No seat request ${id} in this organisation.`);
    return request;
  }

  function requireOpen(request: SeatRequest): void {
    if (request.status !== 'open') {
      throw new ConflictError(
        `This request was ${request.status} already.`,
        { requestStatus: request.status },
        'seat_request_decided',
      );
    }
  }

  /** Records a request, audits it and mails the owners, inside the caller's transaction. */
  async function record(
    q: Queries,
    input: {
      organisationId: number;
      memberId: number | null;
      email: string;
      displayName: string | null;
      tierId: string;
      note: string | null;
      origin: 'member' | 'sign_in';
    },
    actor: Actor,
  ): Promise<SeatRequest> {
    const organisation = await requireOrganisation(q, input.organisationId);
    const open = await q.seatRequests.openFor(input.organisationId, input.email, input.tierId);
    if (open) {
      throw new ConflictError(
        `A request for a ${await tierName(q, input.tierId)} seat is open already; the administrators will answer it.`,
        { requestId: open.id },
        'seat_request_open',
      );
    }
    const at = clock.now().toISO()!;
    const id = await q.seatRequests.insert({ ...input, at });
    const request = (await q.seatRequests.byId(input.organisationId, id))!;
    await recordAudit(q, {
      organisationId: input.organisationId,
      at,
      actor,
      action: 'seat_request.created',
      subjectType: input.memberId === null ? 'seat_request' : 'member',
      subjectId: input.memberId ?? id,
      after: {
        requestId: id,
        email: input.email,
        tier: input.tierId,
        origin: input.origin,
        note: input.note,
      },
    });
    // Each owner in their own language.
    const content = async (reader: Reader) =>
      seatRequestedMail({
        organisationName: organisation.name,
        requester: input.displayName ? `${input.displayName} (${input.email})` : input.email,
        tierName: await tierName(q, input.tierId),
        tierId: input.tierId,
        note: input.note,
        refusedAtSignIn: input.origin === 'sign_in',
        requestsLink: `${base(publicBaseUrl)}/console/seat-requests`,
        ...reader,
      });
    for (const owner of await q.notices.owners(input.organisationId)) {
      const mail = await content(await readerOf(q, input.organisationId, owner.memberId));
      await enqueueMail(
        q,
        { organisationId: input.organisationId, kind: 'seat_request', to: owner.email, ...mail },
        at,
      );
    }
    return request;
  }

  async function decided(q: Queries, organisationId: number, id: number): Promise<SeatRequest> {
    return (await q.seatRequests.byId(organisationId, id))!;
  }

  return {
    /**
     * A signed-in member asks for a seat of `tierId`: one they do not hold now (a member without
     * premium asks for premium). One open request per person and tier.
     */
    async ask(
      organisationId: number,
      actor: Actor,
      input: { tierId: string; note: string | null },
    ): Promise<SeatRequest> {
      if (actor.type !== 'member') {
        throw new ForbiddenError(
          'A member asks for a seat for themselves; an API token cannot.',
          {},
          'member_only',
        );
      }
      return await store.write(async (q) => {
        await requireTier(q, organisationId, input.tierId);
        const member = await q.members.byId(organisationId, actor.memberId);
        if (!member) throw new NotFoundError('No such member.');
        if (member.seatState === 'seated' && member.tierId === input.tierId) {
          throw new ConflictError(
            `You have a ${await tierName(q, input.tierId)} seat already.`,
            { tier: input.tierId },
            'seat_held',
          );
        }
        return await record(
          q,
          {
            organisationId,
            memberId: member.id,
            email: member.email,
            displayName: member.displayName,
            tierId: input.tierId,
            note: input.note,
            origin: 'member',
          },
          actor,
        );
      });
    },

    /**
     * A person refused at sign-in for want of a seat asks for one with the ticket from the refusal
     * page (single use, an hour): the request is for the identity the provider asserted in that
     * sign-in, of the lowest tier (any seat lets them in; an administrator may grant another).
     * At most SIGN_IN_REQUESTS_PER_HOUR such requests per organisation per hour.
     */
    async askWithTicket(
      token: string,
      note: string | null,
    ): Promise<{ request: SeatRequest; organisation: { name: string; slug: string } }> {
      const tokenHash = hashSecret(token);
      return await store.write(async (q) => {
        const ticket = await q.seatRequests.ticketByHash(tokenHash);
        if (!ticket) {
          throw new ValidationError(
            'This link is not valid. Sign in again to be offered a new one.',
            {},
            'seat_request_ticket_invalid',
          );
        }
        const now = clock.now();
        if (ticket.usedAt !== null) {
          throw new GoneError('A seat was asked for with this link already.', {}, 'seat_request_ticket_used');
        }
        if (now.toISO()! >= ticket.expiresAt || !(await q.seatRequests.useTicket(ticket.id, now.toISO()!))) {
          throw new GoneError(
            'This link has expired. Sign in again to be offered a new one.',
            {},
            'seat_request_ticket_expired',
          );
        }
        const organisationId = ticket.organisationId;
        const organisation = await requireOrganisation(q, organisationId);
        const since = now.minus({ hours: 1 }).toISO()!;
        // Counted under the organisation's lock, so a burst of tickets used at once cannot all pass.
        await q.organisations.lockForChange(organisationId);
        if (
          (await q.seatRequests.countSince(organisationId, 'sign_in', since)) >= SIGN_IN_REQUESTS_PER_HOUR
        ) {
          throw new ConflictError(
            'Many people have asked for a seat in the last hour; your administrators have been told. Please try again later.',
            {},
            'too_many_requests',
          );
        }
        const lowest = [...(await q.seatPools.list(organisationId))].sort((a, b) => a.rank - b.rank)[0];
        if (!lowest) throw new NotFoundError('This organisation has no seats.');
        const member = (await q.members.withEmail(organisationId, ticket.email)).find(
          (m) => m.seatState !== 'removed',
        );
        const request = await record(
          q,
          {
            organisationId,
            memberId: member?.id ?? null,
            email: ticket.email,
            displayName: ticket.displayName,
            tierId: lowest.tierId,
            note,
            origin: 'sign_in',
          },
          { type: 'jit', connectionId: ticket.connectionId },
        );
        return { request, organisation: { name: organisation.name, slug: organisation.slug } };
      });
    },

    /** Requests for administrators: open ones first (oldest first), then decided ones, newest first. */
    async list(organisationId: number, actor: Actor, status?: SeatRequestStatus): Promise<SeatRequest[]> {
      return await store.read(async (q) => {
        await requireRole(q, organisationId, actor, 'admin', 'see seat requests');
        return await q.seatRequests.list(organisationId, status);
      });
    },

    /** The caller's own requests, and the tiers one can ask for (highest first). */
    async mine(
      organisationId: number,
      actor: Actor,
    ): Promise<{ requests: SeatRequest[]; tiers: { id: string; name: string }[] }> {
      return await store.read(async (q) => ({
        requests:
          actor.type === 'member' ? await q.seatRequests.byMember(organisationId, actor.memberId) : [],
        tiers: (await q.seatPools.list(organisationId)).map((t) => ({ id: t.tierId, name: t.tierName })),
      }));
    },

    /**
     * Grants a request: the seat change and the decision are one transaction. A member is moved to
     * (or seated in) the tier by the same rules as an administrator's tier change; a person with no
     * account is invited, the invitation holding the seat. No seat free: refused (409
     * `seats_exhausted` naming the purchase), the request stays open.
     */
    async grant(
      organisationId: number,
      id: number,
      actor: Actor,
      options: { tierId?: string } = {},
    ): Promise<SeatRequest> {
      return await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'admin', 'grant seat requests');
        const organisation = await requireOrganisation(q, organisationId);
        const request = await requireRequest(q, organisationId, id);
        requireOpen(request);
        const tierId = options.tierId ?? request.tierId;
        await requireTier(q, organisationId, tierId);
        const at = clock.now().toISO()!;
        const member = (await q.members.withEmail(organisationId, request.email)).find(
          (m) => m.seatState !== 'removed',
        );
        let invited = false;
        if (
          member &&
          (member.seatState === 'seated' ||
            member.seatState === 'invited' ||
            member.seatState === 'unassigned')
        ) {
          if (!(member.seatState === 'seated' && member.tierId === tierId)) {
            await memberAdmin.changeTierIn(q, organisationId, member.id, tierId, actor);
          }
        } else if (member) {
          throw new ConflictError(
            `${request.email} is ${member.seatState.replace('_', ' ')}: the directory decides their seat.`,
            { seatState: member.seatState },
            'invalid_seat_state',
          );
        } else {
          try {
            await invitations.createIn(
              q,
              organisationId,
              { email: request.email, displayName: request.displayName, role: 'user', tier: tierId },
              actor,
            );
          } catch (error) {
            if (error instanceof SeatLimitError) {
              const name = (await tierName(q, tierId)).toLowerCase();
              throw new ConflictError(
                `No ${name} seat is available: an owner must add 1 ${name} seat (Billing settings, Seats) or free one before this request can be granted.`,
                { tier: tierId, purchase: { add: { [tierId]: 1 } } },
                'seats_exhausted',
              );
            }
            throw error;
          }
          invited = true;
        }
        if (!(await q.seatRequests.decide(organisationId, id, 'granted', at, actor, null))) {
          throw new ConflictError(
            'The request was decided by another administrator meanwhile.',
            {},
            'concurrent_change',
          );
        }
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: 'seat_request.granted',
          subjectType: member ? 'member' : 'seat_request',
          subjectId: member?.id ?? id,
          before: { requestId: id, status: 'open', tier: request.tierId },
          after: { requestId: id, status: 'granted', tier: tierId, invited },
        });
        await enqueueMail(
          q,
          {
            organisationId,
            kind: 'seat_request_decided',
            to: request.email,
            ...seatRequestGrantedMail({
              organisationName: organisation.name,
              tierName: await tierName(q, tierId),
              tierId,
              invited,
              consoleLink: `${base(publicBaseUrl)}/console/sign-in?org=${encodeURIComponent(organisation.slug)}`,
              ...(await readerOf(q, organisationId, request.memberId)),
            }),
          },
          at,
        );
        return await decided(q, organisationId, id);
      });
    },

    /** Declines a request, with an optional reason that is mailed to the person. */
    async decline(
      organisationId: number,
      id: number,
      actor: Actor,
      reason: string | null,
    ): Promise<SeatRequest> {
      return await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'admin', 'decline seat requests');
        const organisation = await requireOrganisation(q, organisationId);
        const request = await requireRequest(q, organisationId, id);
        requireOpen(request);
        const at = clock.now().toISO()!;
        if (!(await q.seatRequests.decide(organisationId, id, 'declined', at, actor, reason))) {
          throw new ConflictError(
            'The request was decided by another administrator meanwhile.',
            {},
            'concurrent_change',
          );
        }
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: 'seat_request.declined',
          subjectType: request.memberId === null ? 'seat_request' : 'member',
          subjectId: request.memberId ?? id,
          before: { requestId: id, status: 'open', tier: request.tierId },
          after: { requestId: id, status: 'declined', tier: request.tierId, reason },
        });
        await enqueueMail(
          q,
          {
            organisationId,
            kind: 'seat_request_decided',
            to: request.email,
            ...seatRequestDeclinedMail({
              organisationName: organisation.name,
              tierName: await tierName(q, request.tierId),
              tierId: request.tierId,
              reason,
              ...(await readerOf(q, organisationId, request.memberId)),
            }),
          },
          at,
        );
        return await decided(q, organisationId, id);
      });
    },
  };
}
