// Seat requests: a member asks for a seat of a tier; administrators list, grant and decline them.
// Rules: provisioning/seat-requests.ts and docs/rules.md, "Seat requests".
import { z } from 'zod';
import { MAX_NOTE_LENGTH, type SeatRequest, type SeatRequests } from '../provisioning/seat-requests.js';
import { TierId } from './members.js';
import { created, Id, ok, route, type Route } from './route.js';
import { Instant, RowId } from './schemas.js';

const TAG = 'Seat requests';

const SeatRequestSchema = z
  .object({
    id: RowId,
    memberId: RowId.nullable().meta({
      description: 'Null for a person refused at sign-in, who has no account.',
    }),
    email: z.string(),
    displayName: z.string().nullable(),
    tier: z.string(),
    note: z.string().nullable(),
    origin: z.enum(['member', 'sign_in']),
    status: z.enum(['open', 'granted', 'declined']),
    createdAt: Instant,
    decidedAt: Instant.nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'SeatRequest' });

const SeatRequestListSchema = z.object({ requests: z.array(SeatRequestSchema) });

/** A seat request as the admin API shows it (docs/api.md, "Seat request"). */
export function seatRequestJson(r: SeatRequest): z.infer<typeof SeatRequestSchema> {
  return {
    id: r.id,
    memberId: r.memberId,
    email: r.email,
    displayName: r.displayName,
    tier: r.tierId,
    note: r.note,
    origin: r.origin,
    status: r.status,
    createdAt: r.createdAt,
    decidedAt: r.decidedAt,
    reason: r.reason,
  };
}

const RequestId = z.strictObject({ requestId: Id });
const Text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .nullable()
    .optional()
    .transform((v) => (v ? v : null));

export function seatRequestRoutes({
  seatRequests: requests,
}: {
  readonly seatRequests: SeatRequests;
}): Route[] {
  return [
    route({
      method: 'get',
      path: '/seat-requests',
      tag: TAG,
      summary: 'List seat requests',
      operationId: 'listSeatRequests',
      response: SeatRequestListSchema,
      role: 'admin',
      query: z.strictObject({ status: z.enum(['open', 'granted', 'declined']).optional() }),
      responses: {
        200: '`{ requests }`: with `status`, those oldest first; without, the open ones first, then the decided ones newest first (at most 500).',
      },
      handle: async ({ caller, query }) =>
        ok({
          requests: (await requests.list(caller.organisationId, caller.actor, query.status)).map(
            seatRequestJson,
          ),
        }),
    }),
    route({
      method: 'get',
      path: '/seat-requests/mine',
      tag: TAG,
      summary: 'List my seat requests',
      operationId: 'listMySeatRequests',
      response: SeatRequestListSchema.extend({
        tiers: z.array(z.object({ id: z.string(), name: z.string() })),
      }),
      role: 'user',
      sessionOnly: true,
      responses: {
        200: "`{ requests, tiers }`: the caller's own requests, newest first, and the tiers one can ask for (`{ id, name }`, highest first).",
      },
      handle: async ({ caller }) => {
        const mine = await requests.mine(caller.organisationId, caller.actor);
        return ok({ requests: mine.requests.map(seatRequestJson), tiers: mine.tiers });
      },
    }),
    route({
      method: 'post',
      path: '/seat-requests',
      tag: TAG,
      summary: 'Ask for a seat',
      operationId: 'createSeatRequest',
      response: SeatRequestSchema,
      role: 'user',
      sessionOnly: true,
      body: z.strictObject({ tier: TierId, note: Text(MAX_NOTE_LENGTH) }),
      responses: {
        201: 'The open request; the owners are mailed.',
        400: 'No such tier (`unknown_tier`).',
        409: 'A request for that tier is open already (`seat_request_open`, with `requestId`), or the caller holds a seat of that tier (`seat_held`).',
      },
      handle: async ({ caller, body }) => {
        const request = await requests.ask(caller.organisationId, caller.actor, {
          tierId: body.tier,
          note: body.note,
        });
        return created(seatRequestJson(request), `/api/v1/seat-requests/${request.id}`);
      },
    }),
    route({
      method: 'post',
      path: '/seat-requests/from-sign-in',
      tag: TAG,
      summary: 'Ask for a seat after a refused sign-in',
      operationId: 'createSeatRequestFromSignIn',
      role: 'public',
      body: z.strictObject({ token: z.string().min(1).max(200), note: Text(MAX_NOTE_LENGTH) }),
      response: z.object({
        status: z.literal('open'),
        tier: z.string(),
        organisation: z.object({ name: z.string(), slug: z.string() }),
      }),
      responses: {
        201: 'The request is open for the identity the refused sign-in asserted; the owners are mailed.',
        400: 'Not a ticket from a refusal page (`seat_request_ticket_invalid`).',
        409: 'A request is open already (`seat_request_open`), or too many were made in the last hour (`too_many_requests`).',
        410: 'The ticket was used (`seat_request_ticket_used`) or is more than an hour old (`seat_request_ticket_expired`).',
      },
      handle: async ({ body }) => {
        const { request, organisation } = await requests.askWithTicket(body.token, body.note);
        return {
          status: 201,
          body: { status: 'open' as const, tier: request.tierId, organisation },
        };
      },
    }),
    route({
      method: 'post',
      path: '/seat-requests/:requestId/grant',
      tag: TAG,
      summary: 'Grant a seat request',
      operationId: 'grantSeatRequest',
      response: SeatRequestSchema,
      role: 'admin',
      params: RequestId,
      responses: {
        200: 'Granted: the member holds a seat of the tier (or, without an account, was invited holding one); the person is mailed.',
        403: 'The requester is an owner and the caller is not (`requiredRole: owner`).',
        404: 'No such request.',
        409: 'No seat of the tier is free (`seats_exhausted`, with `purchase` for a billing quote), the request was decided already (`seat_request_decided`), or the directory manages the member (`invalid_seat_state`).',
      },
      handle: async ({ caller, params }) =>
        ok(seatRequestJson(await requests.grant(caller.organisationId, params.requestId, caller.actor))),
    }),
    route({
      method: 'post',
      path: '/seat-requests/:requestId/decline',
      tag: TAG,
      summary: 'Decline a seat request',
      operationId: 'declineSeatRequest',
      response: SeatRequestSchema,
      role: 'admin',
      params: RequestId,
      body: z.strictObject({ reason: Text(MAX_NOTE_LENGTH) }),
      responses: {
        200: 'Declined; the person is mailed, with the reason if one was given.',
        404: 'No such request.',
        409: 'The request was decided already (`seat_request_decided`).',
      },
      handle: async ({ caller, params, body }) =>
        ok(
          seatRequestJson(
            await requests.decline(caller.organisationId, params.requestId, caller.actor, body.reason),
          ),
        ),
    }),
  ];
}
