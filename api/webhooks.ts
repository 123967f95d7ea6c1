// Webhook endpoints (owners): add one with the event types it wants (the signing secret is shown
// once), change, disable or delete it, rotate its secret, read its delivery log, and redeliver.
import { z } from 'zod';
import { EVENT_TYPES } from '../webhooks/events.js';
import { MAX_DELIVERY_PAGE, SECRET_OVERLAP_HOURS, type Webhooks } from '../webhooks/endpoints.js';
import { created, defined, Id, noContent, ok, route, type Route } from './route.js';
import { Instant, RowId } from './schemas.js';

const TAG = 'Webhooks';

const Url = z.string().trim().min(1).max(2048);
const Description = z.string().trim().max(200);
/** Checked against the known types by the service, which names the unknown ones. */
const Events = z
  .array(z.string().min(1).max(64))
  .min(1, 'Name at least one event type, or "*" for all.')
  .max(EVENT_TYPES.length + 1);
const EndpointSchema = z
  .object({
    id: RowId,
    url: z.string(),
    description: z.string(),
    events: z.array(z.string()).meta({ description: 'Event types, or ["*"] for all.' }),
    enabled: z.boolean(),
    createdAt: Instant,
    updatedAt: Instant,
    previousSecretUntil: Instant.nullable().meta({
      description:
        'After a rotation: until when deliveries are also signed with the secret it replaced; null when they are not.',
    }),
    legacySignatureHeader: z.boolean().meta({
      description:
        'Deliveries also carry the earlier `Seatkeeper-Signature` header (until the secret is rotated).',
    }),
  })
  .meta({
    id: 'WebhookEndpoint',
    examples: [
      {
        id: 3,
        url: 'https://hr.acme.example/hooks/seatkeeper',
        description: 'HR system',
        events: ['member.created', 'member.removed'],
        enabled: true,
        createdAt: '2026-03-01T09:00:00.000Z',
        updatedAt: '2026-03-01T09:00:00.000Z',
        previousSecretUntil: null,
        legacySignatureHeader: false,
      },
    ],
  });

const IssuedEndpointSchema = EndpointSchema.extend({
  secret: z.string().meta({ description: 'The signing secret (`whsec_…`), shown this once.' }),
}).meta({ id: 'IssuedWebhookEndpoint' });

const DeliverySchema = z
  .object({
    id: RowId,
    eventPublicId: z.string().meta({ description: 'The `webhook-id` receivers deduplicate by.' }),
    eventType: z.string(),
    state: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int().min(0),
    createdAt: Instant,
    nextAttemptAt: Instant.nullable(),
    deliveredAt: Instant.nullable(),
    failedAt: Instant.nullable(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    attemptLog: z.array(
      z.object({
        id: RowId,
        startedAt: Instant,
        durationMs: z.number().int().min(0),
        status: z.number().int().nullable(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'WebhookDelivery' });

const EndpointId = z.strictObject({ endpointId: Id });
const DeliveryId = z.strictObject({
  endpointId: Id,
  deliveryId: Id,
});

export function webhookRoutes({ webhooks }: { readonly webhooks: Webhooks }): Route[] {
  return [
    route({
      method: 'get',
      path: '/webhooks',
      tag: TAG,
      summary: 'List webhook endpoints',
      operationId: 'listWebhookEndpoints',
      role: 'owner',
      response: z.object({ endpoints: z.array(EndpointSchema), eventTypes: z.array(z.string()) }),
      responses: { 200: 'Every endpoint, with the event types it receives; never a secret.' },
      handle: async ({ caller }) =>
        ok({ endpoints: await webhooks.list(caller.organisationId, caller.actor), eventTypes: EVENT_TYPES }),
    }),
    route({
      method: 'post',
      path: '/webhooks',
      tag: TAG,
      summary: 'Add a webhook endpoint',
      operationId: 'createWebhookEndpoint',
      role: 'owner',
      body: z.strictObject({ url: Url, description: Description.optional(), events: Events }).meta({
        examples: [
          {
            url: 'https://hr.acme.example/hooks/seatkeeper',
            description: 'HR system',
            events: ['member.created', 'member.removed'],
          },
        ],
      }),
      response: IssuedEndpointSchema,
      responses: {
        201: 'The endpoint, enabled; `secret` (`whsec_…`, Standard Webhooks) signs its deliveries and is shown this once.',
      },
      handle: async ({ caller, body }) => {
        const issued = await webhooks.create(caller.organisationId, body, caller.actor);
        return created(
          { secret: issued.secret, ...issued.endpoint },
          `/api/v1/webhooks/${issued.endpoint.id}`,
        );
      },
    }),
    route({
      method: 'get',
      path: '/webhooks/:endpointId',
      tag: TAG,
      summary: 'Show a webhook endpoint',
      operationId: 'getWebhookEndpoint',
      role: 'owner',
      params: EndpointId,
      response: EndpointSchema,
      responses: { 200: 'The endpoint.', 404: 'No such endpoint in this organisation.' },
      handle: async ({ caller, params }) =>
        ok(await webhooks.show(caller.organisationId, params.endpointId, caller.actor)),
    }),
    route({
      method: 'patch',
      path: '/webhooks/:endpointId',
      tag: TAG,
      summary: 'Change, enable or disable a webhook endpoint',
      operationId: 'updateWebhookEndpoint',
      role: 'owner',
      params: EndpointId,
      body: z.strictObject({
        url: Url.optional(),
        description: Description.optional(),
        events: Events.optional(),
        enabled: z.boolean().optional(),
      }),
      response: EndpointSchema,
      responses: {
        200: 'The endpoint as changed. While disabled, its deliveries wait (in order) and resume on enabling.',
        404: 'No such endpoint in this organisation.',
      },
      handle: async ({ caller, params, body }) =>
        ok(await webhooks.update(caller.organisationId, params.endpointId, defined(body), caller.actor)),
    }),
    route({
      method: 'post',
      path: '/webhooks/:endpointId/rotate-secret',
      tag: TAG,
      summary: 'Give a webhook endpoint a new signing secret',
      operationId: 'rotateWebhookSecret',
      role: 'owner',
      params: EndpointId,
      response: IssuedEndpointSchema,
      responses: {
        200: `The endpoint with its new \`secret\` (\`whsec_…\`), shown this once. For ${SECRET_OVERLAP_HOURS} hours (until \`previousSecretUntil\`) deliveries carry two \`v1,\` signatures, by the new secret and by the one it replaced, so a receiver verifies with either; then only the new one signs. A rotation during an overlap ends the older secret at once. The earlier \`Seatkeeper-Signature\` header stops at once.`,
        404: 'No such endpoint in this organisation.',
      },
      handle: async ({ caller, params }) => {
        const issued = await webhooks.rotateSecret(caller.organisationId, params.endpointId, caller.actor);
        return ok({ secret: issued.secret, ...issued.endpoint });
      },
    }),
    route({
      method: 'delete',
      path: '/webhooks/:endpointId',
      tag: TAG,
      summary: 'Delete a webhook endpoint',
      operationId: 'deleteWebhookEndpoint',
      role: 'owner',
      params: EndpointId,
      responses: {
        204: 'Deleted: nothing more is sent to it; deliveries it had not received are given up.',
        404: 'No such endpoint in this organisation.',
      },
      handle: async ({ caller, params }) => {
        await webhooks.remove(caller.organisationId, params.endpointId, caller.actor);
        return noContent;
      },
    }),
    route({
      method: 'get',
      path: '/webhooks/:endpointId/deliveries',
      tag: TAG,
      summary: 'Read the delivery log of a webhook endpoint',
      operationId: 'listWebhookDeliveries',
      role: 'owner',
      params: EndpointId,
      query: z.strictObject({
        cursor: z
          .string()
          .regex(/^\d{1,15}$/, 'A cursor from a previous page.')
          .optional(),
        limit: z.coerce.number().int().min(1).max(MAX_DELIVERY_PAGE).default(20),
      }),
      response: z.object({ deliveries: z.array(DeliverySchema), nextCursor: z.string().nullable() }),
      responses: {
        200: 'Deliveries, newest first, each with its state and every attempt (status, error, duration).',
        404: 'No such endpoint in this organisation.',
      },
      handle: async ({ caller, params, query }) =>
        ok(
          await webhooks.deliveries(
            caller.organisationId,
            params.endpointId,
            { ...(query.cursor !== undefined ? { before: Number(query.cursor) } : {}), limit: query.limit },
            caller.actor,
          ),
        ),
    }),
    route({
      method: 'post',
      path: '/webhooks/:endpointId/deliveries/:deliveryId/redeliver',
      tag: TAG,
      summary: 'Send a delivered or failed event again',
      operationId: 'redeliverWebhookEvent',
      role: 'owner',
      params: DeliveryId,
      response: DeliverySchema,
      responses: {
        201: 'A new delivery of the same event (same event id), due now.',
        404: 'No such endpoint or delivery.',
      },
      handle: async ({ caller, params }) => {
        const redelivery = await webhooks.redeliver(
          caller.organisationId,
          params.endpointId,
          params.deliveryId,
          caller.actor,
        );
        return created(redelivery);
      },
    }),
  ];
}
