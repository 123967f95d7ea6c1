// Webhook endpoints (owners): add one with the event types it wants (the signing secret is shown
// once), change, disable or delete it, rotate its secret, read its delivery log, and redeliver.
import { z } from 'zod';
import { EVENT_TYPES } from '../webhooks/events.js';
import { MAX_DELIVERY_PAGE, type Webhooks } from '../provisioning/webhooks.js';
import { created, defined, Id, noContent, ok, route, type Route } from './route.js';

const TAG = 'Webhooks';

const Url = z.string().trim().min(1).max(2048);
const Description = z.string().trim().max(200);
/** Checked against the known types by the service, which names the unknown ones. */
const Events = z
  .array(z.string().min(1).max(64))
  .min(1, 'Name at least one event type, or "*" for all.')
  .max(EVENT_TYPES.length + 1);
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
      role: 'owner',
      responses: { 200: 'Every endpoint, with the event types it receives; never a secret.' },
      handle: ({ caller }) =>
        ok({ endpoints: webhooks.list(caller.organisationId, caller.actor), eventTypes: EVENT_TYPES }),
    }),
    route({
      method: 'post',
      path: '/webhooks',
      tag: TAG,
      summary: 'Add a webhook endpoint',
      role: 'owner',
      body: z.strictObject({ url: Url, description: Description.optional(), events: Events }),
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
      role: 'owner',
      params: EndpointId,
      responses: { 200: 'The endpoint.', 404: 'No such endpoint in this organisation.' },
      handle: ({ caller, params }) =>
        ok(webhooks.show(caller.organisationId, params.endpointId, caller.actor)),
    }),
    route({
      method: 'patch',
      path: '/webhooks/:endpointId',
      tag: TAG,
      summary: 'Change, enable or disable a webhook endpoint',
      role: 'owner',
      params: EndpointId,
      body: z.strictObject({
        url: Url.optional(),
        description: Description.optional(),
        events: Events.optional(),
        enabled: z.boolean().optional(),
      }),
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
      role: 'owner',
      params: EndpointId,
      responses: {
        200: 'The endpoint with its new `secret` (`whsec_…`), shown this once; the old secret stops at once, and with it the earlier `Seatkeeper-Signature` header.',
        404: 'No such endpoint in this organisation.',
      },
      handle: ({ caller, params }) => {
        const issued = webhooks.rotateSecret(caller.organisationId, params.endpointId, caller.actor);
        return ok({ secret: issued.secret, ...issued.endpoint });
      },
    }),
    route({
      method: 'delete',
      path: '/webhooks/:endpointId',
      tag: TAG,
      summary: 'Delete a webhook endpoint',
      role: 'owner',
      params: EndpointId,
      responses: {
        204: 'Deleted: nothing more is sent to it; deliveries it had not received are given up.',
        404: 'No such endpoint in this organisation.',
      },
      handle: ({ caller, params }) => {
        webhooks.remove(caller.organisationId, params.endpointId, caller.actor);
        return noContent;
      },
    }),
    route({
      method: 'get',
      path: '/webhooks/:endpointId/deliveries',
      tag: TAG,
      summary: 'Read the delivery log of a webhook endpoint',
      role: 'owner',
      params: EndpointId,
      query: z.strictObject({
        cursor: z
          .string()
          .regex(/^\d{1,15}$/, 'A cursor from a previous page.')
          .optional(),
        limit: z.coerce.number().int().min(1).max(MAX_DELIVERY_PAGE).default(20),
      }),
      responses: {
        200: 'Deliveries, newest first, each with its state and every attempt (status, error, duration).',
        404: 'No such endpoint in this organisation.',
      },
      handle: ({ caller, params, query }) =>
        ok(
          webhooks.deliveries(
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
      role: 'owner',
      params: DeliveryId,
      responses: {
        201: 'A new delivery of the same event (same event id), due now.',
        404: 'No such endpoint or delivery.',
      },
      handle: ({ caller, params }) => {
        const redelivery = webhooks.redeliver(
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
