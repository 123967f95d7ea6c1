// Webhook endpoints, the owners' use case: where the organisation's events go, which types each
// receives, the delivery log, and redelivery. The signing secret is shown once, at creation or
// rotation.
import { inOrder } from '../domain/in-order.js';
import type { Clock } from '../domain/clock.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';
import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../domain/records.js';
import type { Queries, Store } from '../db/port.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import { ALL_EVENTS, EVENT_TYPES } from './events.js';
import { isLegacySecret, newWebhookSecret } from './signature.js';
import { recordAudit } from '../audit/record.js';

const DOING = 'manage webhooks';
/** Endpoints per organisation: enough for every downstream app, few enough to post to each event. */
export const MAX_WEBHOOK_ENDPOINTS = 10;
export const MAX_DELIVERY_PAGE = 100;

export interface WebhookSettings {
  /** Which peers a receiving URL may be: https only (the default), or http too (development). */
  readonly allowHttp: boolean;
}

/** Where a receiver may be (net/outbound.ts): refuses this host's own and private addresses. */
export interface WebhookDestinations {
  check(url: string): Promise<void>;
}

/** An endpoint as owners see it: never the secret. */
/** How long a rotated-out secret keeps signing deliveries beside the new one (docs/webhooks.md). */
export const SECRET_OVERLAP_HOURS = 24;

export type WebhookEndpointView = Omit<WebhookEndpoint, 'secret' | 'organisationId'> & {
  /**
   * True while the endpoint's secret is of the form issued before the Standard Webhooks format:
   * its deliveries then also carry the earlier `Seatkeeper-Signature` header. Rotating the secret
   * ends it (docs/webhooks.md).
   */
  readonly legacySignatureHeader: boolean;
};

export interface IssuedWebhookEndpoint {
  /** The signing secret: shown this once. */
  readonly secret: string;
  readonly endpoint: WebhookEndpointView;
}

export interface NewEndpointInput {
  readonly url: string;
  readonly description?: string | undefined;
  readonly events: readonly string[];
}

export interface EndpointPatchInput {
  readonly url?: string;
  readonly description?: string | undefined;
  readonly events?: readonly string[];
  readonly enabled?: boolean;
}

/** A delivery as owners see it: its state and every attempt, without the worker's bookkeeping. */
export interface DeliveryView {
  readonly id: number;
  readonly eventPublicId: string;
  readonly eventType: string;
  readonly state: WebhookDelivery['state'];
  readonly attempts: number;
  readonly createdAt: string;
  readonly nextAttemptAt: string | null;
  readonly deliveredAt: string | null;
  readonly failedAt: string | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly attemptLog: readonly Omit<WebhookAttempt, 'deliveryId'>[];
}

async function deliveryView(q: Queries, d: WebhookDelivery): Promise<DeliveryView> {
  return {
    id: d.id,
    eventPublicId: d.eventPublicId,
    eventType: d.eventType,
    state: d.state,
    attempts: d.attempts,
    createdAt: d.createdAt,
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt : null,
    deliveredAt: d.deliveredAt,
    failedAt: d.failedAt,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    attemptLog: (await q.webhooks.attempts(d.id)).map(({ deliveryId: _d, ...attempt }) => attempt),
  };
}

/** `now` decides whether a rotation's overlap still runs: past it, `previousSecretUntil` is null. */
function view(
  { secret, organisationId: _org, previousSecretUntil, ...rest }: WebhookEndpoint,
  now: string,
): WebhookEndpointView {
  return {
    ...rest,
    previousSecretUntil:
      previousSecretUntil !== null && previousSecretUntil > now ? previousSecretUntil : null,
    legacySignatureHeader: isLegacySecret(secret),
  };
}

const invalid = (pointer: string, detail: string) =>
  new ValidationError(`Invalid body: ${pointer.slice(1)}: ${detail}`, {
    errors: [{ in: 'body', pointer, detail }],
  });

/** A receiving URL owners may give: absolute, https (or http where allowed), no credentials in it. */
function checkUrl(text: string, settings: WebhookSettings): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('/url', 'Not an absolute URL.');
  }
  const allowed = settings.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(url.protocol)) {
    throw invalid('/url', settings.allowHttp ? 'Must be an http or https URL.' : 'Must be an https URL.');
  }
  // Credentials in a URL end up in logs and proxies; the signature authenticates us instead.
  if (url.username !== '' || url.password !== '')
    throw invalid('/url', 'Must not contain a user name or password.');
  if (url.hash !== '') throw invalid('/url', 'Must not have a #fragment.');
  return url.toString();
}

function checkEvents(events: readonly string[]): string[] {
  const unique = [...new Set(events)];
  if (unique.length === 0) throw invalid('/events', 'Name at least one event type, or "*" for all.');
  if (unique.includes(ALL_EVENTS)) return [ALL_EVENTS];
  const unknown = unique.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length > 0) {
    throw invalid('/events', `Unknown event type ${unknown.map((u) => JSON.stringify(u)).join(', ')}.`);
  }
  return unique;
}

async function requireEndpoint(
  q: Queries,
  organisationId: number,
  endpointId: number,
): Promise<WebhookEndpoint> {
  const endpoint = await q.webhooks.endpoint(organisationId, endpointId);
  if (!endpoint) throw new NotFoundError(`No webhook endpoint ${endpointId} in this organisation.`);
  return endpoint;
}

export function createWebhooks({
  store,
  clock,
  settings,
  destinations,
}: {
  readonly store: Store;
  readonly clock: Clock;
  readonly settings: WebhookSettings;
  readonly destinations: WebhookDestinations;
}) {
  /** Audits a change of an endpoint; the secret is never in the log. */
  async function audit(
    q: Queries,
    organisationId: number,
    actor: Actor,
    action: string,
    id: number,
    after?: unknown,
  ) {
    await recordAudit(q, {
      organisationId,
      at: clock.now().toISO()!,
      actor,
      action,
      subjectType: 'webhook_endpoint',
      subjectId: id,
      ...(after !== undefined ? { after } : {}),
    });
  }

  return {
    /**
     * Adds an endpoint. A URL whose host is, or resolves to, a loopback, private or link-local
     * address is refused now (OutboundRefusedError), and again at every delivery.
     */
    async create(
      organisationId: number,
      input: NewEndpointInput,
      actor: Actor,
    ): Promise<IssuedWebhookEndpoint> {
      const url = checkUrl(input.url, settings);
      const events = checkEvents(input.events);
      await destinations.check(url);
      return await store.write(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', DOING);
        // Counted under the organisation's lock, so concurrent creates cannot all pass the cap.
        await q.organisations.lockForChange(organisationId);
        if ((await q.webhooks.endpoints(organisationId)).length >= MAX_WEBHOOK_ENDPOINTS) {
          throw new ValidationError(
            `An organisation has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints; delete one first.`,
            {},
            'too_many_endpoints',
          );
        }
        const secret = newWebhookSecret();
        const id = await q.webhooks.insertEndpoint({
          organisationId,
          url,
          description: input.description ?? '',
          events,
          secret,
          at: clock.now().toISO()!,
        });
        await audit(q, organisationId, actor, 'webhook_endpoint.created', id, { url, events });
        return {
          secret,
          endpoint: view((await q.webhooks.endpoint(organisationId, id))!, clock.now().toISO()!),
        };
      });
    },

    async list(organisationId: number, actor: Actor): Promise<WebhookEndpointView[]> {
      return await store.read(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', DOING);
        const now = clock.now().toISO()!;
        return (await q.webhooks.endpoints(organisationId)).map((e) => view(e, now));
      });
    },

    async show(organisationId: number, endpointId: number, actor: Actor): Promise<WebhookEndpointView> {
      return await store.read(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', DOING);
        return view(await requireEndpoint(q, organisationId, endpointId), clock.now().toISO()!);
      });
    },

    /** Changes an endpoint; a new URL is checked as create() checks it. */
    async update(
      organisationId: number,
      endpointId: number,
      patch: EndpointPatchInput,
      actor: Actor,
    ): Promise<WebhookEndpointView> {
      const url = patch.url === undefined ? undefined : checkUrl(patch.url, settings);
      const events = patch.events === undefined ? undefined : checkEvents(patch.events);
      if (url !== undefined) await destinations.check(url);
      return await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', DOING);
        const current = await requireEndpoint(q, organisationId, endpointId);
        const change = {
          ...(url !== undefined ? { url } : {}),
          ...(events !== undefined ? { events } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        };
        await q.webhooks.updateEndpoint(current, change, clock.now().toISO()!);
        await audit(q, organisationId, actor, 'webhook_endpoint.changed', endpointId, change);
        return view((await q.webhooks.endpoint(organisationId, endpointId))!, clock.now().toISO()!);
      });
    },

    /**
     * A new signing secret, in force for the next attempt. For SECRET_OVERLAP_HOURS the secret it
     * replaces signs too (two `v1,` signatures, Standard Webhooks "Signature scheme"), so a
     * receiver can take up the new one without refusing a delivery; then only the new one signs.
     * It is always of the Standard Webhooks form, so rotating is how an endpoint leaves the earlier
     * `Seatkeeper-Signature` header, which stops at once.
     */
    async rotateSecret(
      organisationId: number,
      endpointId: number,
      actor: Actor,
    ): Promise<IssuedWebhookEndpoint> {
      return await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', DOING);
        const current = await requireEndpoint(q, organisationId, endpointId);
        const secret = newWebhookSecret();
        const now = clock.now();
        const until = now.plus({ hours: SECRET_OVERLAP_HOURS }).toUTC().toISO()!;
        await q.webhooks.rotateSecret(current, secret, until, now.toISO()!);
        // Never a secret in the log: when the old one stops signing is what an owner may need.
        await audit(q, organisationId, actor, 'webhook_endpoint.secret_rotated', endpointId, {
          previousSecretUntil: until,
        });
        return {
          secret,
          endpoint: view((await q.webhooks.endpoint(organisationId, endpointId))!, now.toISO()!),
        };
      });
    },

    /**
     * Deletes the endpoint; what it had not yet received is given up. The rows stay in the
     * database (for the operator), but the endpoint and its log are no longer shown.
     */
    async remove(organisationId: number, endpointId: number, actor: Actor): Promise<void> {
      await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', DOING);
        if (!(await q.webhooks.deleteEndpoint(organisationId, endpointId, clock.now().toISO()!))) {
          throw new NotFoundError(`No webhook endpoint ${endpointId} in this organisation.`);
        }
        await audit(q, organisationId, actor, 'webhook_endpoint.deleted', endpointId);
      });
    },

    /** The delivery log, newest first, with every attempt; `before` is the previous page's last id. */
    async deliveries(
      organisationId: number,
      endpointId: number,
      page: { readonly before?: number; readonly limit: number },
      actor: Actor,
    ): Promise<{ deliveries: DeliveryView[]; nextCursor: string | null }> {
      const limit = Math.min(Math.max(1, Math.trunc(page.limit)), MAX_DELIVERY_PAGE);
      return await store.read(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', DOING);
        await requireEndpoint(q, organisationId, endpointId);
        const rows = await q.webhooks.deliveries(
          endpointId,
          page.before ?? Number.MAX_SAFE_INTEGER,
          limit + 1,
        );
        const deliveries = await inOrder(rows.slice(0, limit), (d) => deliveryView(q, d));
        return {
          deliveries,
          nextCursor: rows.length > limit ? String(deliveries[deliveries.length - 1]!.id) : null,
        };
      });
    },

    /**
     * Sends a delivery's event again, as a new delivery due now, with the same event id (so a
     * receiver that had it already can tell). It keeps per-member order behind earlier ones.
     */
    async redeliver(
      organisationId: number,
      endpointId: number,
      deliveryId: number,
      actor: Actor,
    ): Promise<DeliveryView> {
      return await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', DOING);
        await requireEndpoint(q, organisationId, endpointId);
        const original = await q.webhooks.delivery(deliveryId);
        if (!original || original.endpointId !== endpointId) {
          throw new NotFoundError(`No delivery ${deliveryId} to webhook endpoint ${endpointId}.`);
        }
        const id = await q.webhooks.insertDelivery(
          endpointId,
          original.eventId,
          original.memberId,
          clock.now().toUTC().toISO()!,
        );
        await audit(q, organisationId, actor, 'webhook_delivery.redelivered', endpointId, {
          eventId: original.eventPublicId,
          delivery: id,
        });
        return await deliveryView(q, (await q.webhooks.delivery(id))!);
      });
    },
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
