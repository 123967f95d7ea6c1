// Queries on webhooks: owners' endpoints, the events, their deliveries (the worker's due list,
// lease and outcome) and every attempt's log line.
//
// A delivery's life (due, leased, delivered, retried, given up) is the mail outbox's, written once
// in db/queries/outbox-rows.ts; what is a delivery's own is when its turn comes (TURN below).
import type { Sql } from '../sql.js';
import { createOutboxRows } from './outbox-rows.js';
import type { SecretBox } from '../secret-box.js';
import type {
  LeasedDelivery,
  NewWebhookEndpoint,
  NewWebhookEvent,
  SealState,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointPatch,
} from '../../domain/records.js';
import type { WebhookQueries } from '../port.js';

interface EndpointRow {
  id: number;
  organisation_id: number;
  url: string;
  description: string;
  events: string;
  secret: string;
  enabled: number;
  created_at: string;
  updated_at: string;
  previous_secret_until: string | null;
}

interface DeliveryRow {
  id: number;
  endpoint_id: number;
  event_id: number;
  event_public_id: string;
  event_type: string;
  member_id: number | null;
  created_at: string;
  next_attempt_at: string;
  attempts: number;
  lease_until: string | null;
  delivered_at: string | null;
  failed_at: string | null;
  last_status: number | null;
  last_error: string | null;
}

interface LeasedRow extends DeliveryRow {
  body: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: string | null;
}

interface AttemptRow {
  id: number;
  delivery_id: number;
  started_at: string;
  duration_ms: number;
  status: number | null;
  error: string | null;
}

/** What an endpoint's signing secret is sealed for: its row (db/secret-box.ts). */
const secretContext = (endpointId: number) => `webhook_endpoints.secret:${endpointId}`;

const toEndpoint = (r: EndpointRow, box: SecretBox): WebhookEndpoint => ({
  id: r.id,
  organisationId: r.organisation_id,
  url: r.url,
  description: r.description,
  events: JSON.parse(r.events) as string[],
  secret: box.open(r.secret, secretContext(r.id)),
  enabled: r.enabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  previousSecretUntil: r.previous_secret_until,
});

const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  endpointId: r.endpoint_id,
  eventId: r.event_id,
  eventPublicId: r.event_public_id,
  eventType: r.event_type,
  memberId: r.member_id,
  createdAt: r.created_at,
  nextAttemptAt: r.next_attempt_at,
  attempts: r.attempts,
  leaseUntil: r.lease_until,
  deliveredAt: r.delivered_at,
  failedAt: r.failed_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  state: r.delivered_at !== null ? 'delivered' : r.failed_at !== null ? 'failed' : 'pending',
});

const ENDPOINT_COLUMNS =
  'id, organisation_id, url, description, events, secret, enabled, created_at, updated_at, previous_secret_until';

const DELIVERY_COLUMNS = `d.id, d.endpoint_id, d.event_id, e.public_id AS event_public_id, e.type AS event_type,
  d.member_id, d.created_at, d.next_attempt_at, d.attempts, d.lease_until, d.delivered_at, d.failed_at,
  d.last_status, d.last_error`;

/**
 * A delivery may be leased when, beyond being unfinished, due and not leased by another worker,
 * its endpoint is live and enabled (a disabled endpoint's deliveries wait, in order, until it is
 * enabled again), and no earlier delivery of the same member to the same endpoint is unfinished
 * (per-member order).
 */
const TURN = `EXISTS (SELECT 1 FROM webhook_endpoints w
              WHERE w.id = d.endpoint_id AND w.enabled = 1 AND w.deleted_at IS NULL)
  AND (d.member_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM webhook_deliveries p
        WHERE p.endpoint_id = d.endpoint_id AND p.member_id = d.member_id AND p.id < d.id
          AND p.delivered_at IS NULL AND p.failed_at IS NULL))`;

/** An organisation's enabled endpoints and the event types each wants. */
type Subscription = { id: number; events: readonly string[] };

/**
 * `writeMemo` is a key for what may be remembered within the write running now (undefined outside
 * one; a new key after a savepoint is rolled back): within one write, an organisation's
 * subscriptions are read once. Every audited change reads them (webhooks/events.ts),
 * and a use case records several: a SCIM create audits the member, then its seat, the second after
 * the seat claim, while PostgreSQL holds the seat pool's row locked. The write's own endpoint
 * changes forget what was read; another transaction's, committed meanwhile, count from the next
 * write on, as if it had committed a moment later.
 */
export function createWebhookQueries(
  db: Sql,
  box: SecretBox,
  eventWritten: () => void,
  writeMemo: () => object | undefined = () => undefined,
): WebhookQueries {
  const read = new WeakMap<object, Map<number, Subscription[]>>();
  /** Forgets the subscriptions the running write has read. */
  const changed = () => {
    const key = writeMemo();
    if (key !== undefined) read.delete(key);
  };
  const insertEndpoint = db.prepare<Omit<NewWebhookEndpoint, 'events'> & { events: string }, { id: number }>(
    `INSERT INTO webhook_endpoints (organisation_id, url, description, events, secret, created_at, updated_at)
     VALUES (@organisationId, @url, @description, @events, @secret, @at, @at) RETURNING id`,
  );
  const endpoint = db.prepare<[number, number], EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organisation_id = ? AND id = ? AND deleted_at IS NULL`,
  );
  const endpoints = db.prepare<[number], EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organisation_id = ? AND deleted_at IS NULL ORDER BY id`,
  );
  // On the path of every audited change: served by webhook_endpoints_live, and it reads no secret.
  const subscriptions = db.prepare<[number], { id: number; events: string }>(
    `SELECT id, events FROM webhook_endpoints WHERE organisation_id = ? AND deleted_at IS NULL AND enabled = 1`,
  );
  const updateEndpoint = db.prepare<{
    id: number;
    organisationId: number;
    url: string;
    description: string;
    events: string;
    enabled: number;
    secret: string | null;
    at: string;
  }>(
    `UPDATE webhook_endpoints SET url = @url, description = @description, events = @events,
       enabled = @enabled, secret = COALESCE(@secret, secret), updated_at = @at
     WHERE id = @id AND organisation_id = @organisationId AND deleted_at IS NULL`,
  );
  // The sealed secret moves as it is: both columns are sealed for the same row (secretContext).
  const rotateSecret = db.prepare<{
    id: number;
    organisationId: number;
    secret: string;
    until: string;
    at: string;
  }>(
    `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = @until, secret = @secret,
       updated_at = @at
     WHERE id = @id AND organisation_id = @organisationId AND deleted_at IS NULL`,
  );
  const deleteEndpoint = db.prepare<{ id: number; organisationId: number; at: string }>(
    `UPDATE webhook_endpoints SET deleted_at = @at, updated_at = @at
     WHERE id = @id AND organisation_id = @organisationId AND deleted_at IS NULL`,
  );
  // A deleted endpoint is sent nothing more; what it had not received is given up, with a reason.
  const abandon = db.prepare<{ endpointId: number; at: string }>(
    `UPDATE webhook_deliveries SET failed_at = @at, lease_until = NULL, last_error = 'endpoint deleted'
     WHERE endpoint_id = @endpointId AND delivered_at IS NULL AND failed_at IS NULL`,
  );

  const insertEvent = db.prepare<NewWebhookEvent, { id: number }>(
    `INSERT INTO webhook_events (public_id, organisation_id, type, member_id, body, created_at)
     VALUES (@publicId, @organisationId, @type, @memberId, @body, @at) RETURNING id`,
  );
  const insertDelivery = db.prepare<
    { endpointId: number; eventId: number; memberId: number | null; at: string },
    { id: number }
  >(
    `INSERT INTO webhook_deliveries (endpoint_id, event_id, member_id, created_at, next_attempt_at)
     VALUES (@endpointId, @eventId, @memberId, @at, @at) RETURNING id`,
  );
  const delivery = db.prepare<[number], DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.id = ?`,
  );
  const deliveriesOf = db.prepare<[number, number, number], DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
     WHERE d.endpoint_id = ? AND d.id < ? ORDER BY d.id DESC LIMIT ?`,
  );
  // Due deliveries are found through webhook_deliveries_due; the order check through
  // webhook_deliveries_unfinished.
  const rows = createOutboxRows(db, { table: 'webhook_deliveries', alsoLeasable: TURN, keepsStatus: true });
  const leased = db.prepare<[number], LeasedRow>(
    `SELECT ${DELIVERY_COLUMNS}, e.body, w.url, w.secret, w.previous_secret, w.previous_secret_until
     FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id
     WHERE d.id = ?`,
  );
  const insertAttempt = db.prepare<Omit<WebhookAttempt, 'id'>>(
    `INSERT INTO webhook_attempts (delivery_id, started_at, duration_ms, status, error)
     VALUES (@deliveryId, @startedAt, @durationMs, @status, @error)`,
  );
  const attempts = db.prepare<[number], AttemptRow>(
    'SELECT id, delivery_id, started_at, duration_ms, status, error FROM webhook_attempts WHERE delivery_id = ? ORDER BY id',
  );
  const eventBody = db.prepare<[number], { body: string }>('SELECT body FROM webhook_events WHERE id = ?');
  const setSecret = db.prepare<[string, number]>('UPDATE webhook_endpoints SET secret = ? WHERE id = ?');
  const allSecrets = db.prepare<[], { id: number; secret: string; previous_secret: string | null }>(
    "SELECT id, secret, previous_secret FROM webhook_endpoints WHERE secret <> '' ORDER BY id",
  );
  const setPreviousSecret = db.prepare<[string, number]>(
    'UPDATE webhook_endpoints SET previous_secret = ? WHERE id = ?',
  );
  const counts = db.prepare<[], { pending: number; failed: number }>(
    `SELECT
       COALESCE(SUM(CASE WHEN delivered_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending,
       COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed
     FROM webhook_deliveries`,
  );

  return {
    /** Inserts the endpoint; its secret is sealed for the new row's id (in the caller's transaction). */
    async insertEndpoint(e: NewWebhookEndpoint): Promise<number> {
      changed();
      const { id } = (await insertEndpoint.get({ ...e, events: JSON.stringify(e.events), secret: '' }))!;
      await setSecret.run(box.seal(e.secret, secretContext(id)), id);
      return id;
    },
    /** A live (not deleted) endpoint of the organisation. */
    async endpoint(organisationId: number, id: number): Promise<WebhookEndpoint | undefined> {
      const row = await endpoint.get(organisationId, id);
      return row === undefined ? undefined : toEndpoint(row, box);
    },
    endpoints: async (organisationId: number): Promise<WebhookEndpoint[]> =>
      (await endpoints.all(organisationId)).map((r) => toEndpoint(r, box)),
    /** The organisation's enabled endpoints and the event types each wants. */
    subscriptions(organisationId: number): Promise<Subscription[]> {
      const key = writeMemo();
      const known = key === undefined ? undefined : read.get(key)?.get(organisationId);
      if (known !== undefined) return Promise.resolve(known);
      // What was read is remembered once read (a failed read is not), with no promise of its own:
      // every claim's audit row passes here.
      return subscriptions.all(organisationId).then((rows) => {
        const subscribed = rows.map((r) => ({ id: r.id, events: JSON.parse(r.events) as string[] }));
        if (key !== undefined) {
          let byOrganisation = read.get(key);
          if (byOrganisation === undefined)
            read.set(key, (byOrganisation = new Map<number, Subscription[]>()));
          byOrganisation.set(organisationId, subscribed);
        }
        return subscribed;
      });
    },
    async updateEndpoint(current: WebhookEndpoint, patch: WebhookEndpointPatch, at: string): Promise<void> {
      changed();
      await updateEndpoint.run({
        id: current.id,
        organisationId: current.organisationId,
        url: patch.url ?? current.url,
        description: patch.description ?? current.description,
        events: JSON.stringify(patch.events ?? current.events),
        enabled: (patch.enabled ?? current.enabled) ? 1 : 0,
        secret: patch.secret === undefined ? null : box.seal(patch.secret, secretContext(current.id)),
        at,
      });
    },
    /**
     * A new signing secret; the one it replaces keeps signing too until `until` (the overlap). A
     * rotation during an overlap ends the older secret's: only the two latest ever sign.
     */
    async rotateSecret(current: WebhookEndpoint, secret: string, until: string, at: string): Promise<void> {
      await rotateSecret.run({
        id: current.id,
        organisationId: current.organisationId,
        secret: box.seal(secret, secretContext(current.id)),
        until,
        at,
      });
    },
    /** Deletes the endpoint and gives up what it had not received; false if there was none. */
    async deleteEndpoint(organisationId: number, id: number, at: string): Promise<boolean> {
      changed();
      if ((await deleteEndpoint.run({ id, organisationId, at })).changes !== 1) return false;
      await abandon.run({ endpointId: id, at });
      return true;
    },

    async insertEvent(e: NewWebhookEvent): Promise<number> {
      const { id } = (await insertEvent.get(e))!;
      eventWritten();
      return id;
    },
    /** A delivery of the event to the endpoint, due at once; returns its id. */
    insertDelivery: async (
      endpointId: number,
      eventId: number,
      memberId: number | null,
      at: string,
    ): Promise<number> => (await insertDelivery.get({ endpointId, eventId, memberId, at }))!.id,
    eventBody: async (eventId: number): Promise<string | undefined> => (await eventBody.get(eventId))?.body,
    async delivery(id: number): Promise<WebhookDelivery | undefined> {
      const row = await delivery.get(id);
      return row === undefined ? undefined : toDelivery(row);
    },
    /** The endpoint's deliveries, newest first, older than id `before`. */
    deliveries: async (endpointId: number, before: number, limit: number): Promise<WebhookDelivery[]> =>
      (await deliveriesOf.all(endpointId, before, limit)).map(toDelivery),
    attempts: async (deliveryId: number): Promise<WebhookAttempt[]> =>
      (await attempts.all(deliveryId)).map((r) => ({
        id: r.id,
        deliveryId: r.delivery_id,
        startedAt: r.started_at,
        durationMs: r.duration_ms,
        status: r.status,
        error: r.error,
      })),

    /** Ids of deliveries a worker may lease at `now`, the longest due first. */
    due: rows.due,
    /** Takes the delivery for one attempt until `until`; undefined if it is not leasable now. */
    async lease(id: number, now: string, until: string): Promise<LeasedDelivery | undefined> {
      if (!(await rows.lease(id, now, until))) return undefined;
      const row = (await leased.get(id))!;
      return {
        ...toDelivery(row),
        body: row.body,
        url: row.url,
        secret: box.open(row.secret, secretContext(row.endpoint_id)),
        previousSecret:
          row.previous_secret !== null &&
          row.previous_secret_until !== null &&
          row.previous_secret_until > now
            ? box.open(row.previous_secret, secretContext(row.endpoint_id))
            : null,
      };
    },
    recordAttempt: async (a: Omit<WebhookAttempt, 'id'>): Promise<void> => void (await insertAttempt.run(a)),
    /** Records a 2xx answer; false when the lease was lost meanwhile. */
    markDelivered: async (id: number, lease: string, now: string, status: number): Promise<boolean> =>
      rows.markDelivered(id, lease, now, status),
    markRetry: async (
      id: number,
      lease: string,
      next: string,
      status: number | null,
      error: string,
    ): Promise<boolean> => rows.markRetry(id, lease, next, error, status),
    markFailed: async (
      id: number,
      lease: string,
      now: string,
      status: number | null,
      error: string,
    ): Promise<boolean> => rows.markFailed(id, lease, now, error, status),
    counts: async (): Promise<{ pending: number; failed: number }> => (await counts.get())!,
    /**
     * Seals again under the current key every stored signing secret whose state `which` picks;
     * those under a key not configured are left and their key ids returned.
     */
    async resealSecrets(
      which: (state: SealState) => boolean,
    ): Promise<{ resealed: number; unknownKeys: string[] }> {
      let resealed = 0;
      const unknownKeys: string[] = [];
      for (const row of await allSecrets.all()) {
        // The previous secret is resealed too: its overlap must survive a key's retirement.
        for (const [sealed, set] of [
          [row.secret, setSecret],
          [row.previous_secret, setPreviousSecret],
        ] as const) {
          if (sealed === null) continue;
          const state = box.state(sealed);
          if (state === 'unknown_key') unknownKeys.push(sealed.split(':')[1] ?? '');
          else if (which(state)) {
            const context = secretContext(row.id);
            await set.run(box.seal(box.open(sealed, context), context), row.id);
            resealed += 1;
          }
        }
      }
      return { resealed, unknownKeys };
    },
  };
}
