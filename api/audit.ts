// The audit log for administrators: filtered by actor, action (event type), member, person (name or
// email) and time, newest first, in stable pages; the same selection as a CSV file (RFC 4180),
// streamed page by page; and the event types in words, for a filter to offer.
import { z } from 'zod';
import { parseInstant } from '../domain/clock.js';
import { AUDIT_EVENTS } from '../provisioning/audit-events.js';
import type { AuditLog, AuditQuery, AuditView } from '../provisioning/audit-log.js';
import { Id, ok, route, type Route } from './route.js';
import { Instant as InstantText, RowId } from './schemas.js';

const TAG = 'Audit log';

/** An ISO 8601 date or instant; without an offset it is UTC. Normalised to the stored form. */
const Instant = z.string().transform((text, ctx) => {
  try {
    return parseInstant(text).toISO()!;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'An ISO 8601 date or instant, such as 2026-03-01T09:00:00Z.' });
    return z.NEVER;
  }
});

const Filters = {
  actorType: z.enum(['member', 'api_token', 'scim_token', 'jit', 'operator', 'system']).optional(),
  /** With actorType: the member id, token id, connection id, operator name or job. */
  actorId: z.string().min(1).max(200).optional(),
  /** Exact (`member.created`), or a prefix ending in "." (`member.`). */
  action: z
    .string()
    .max(100)
    .regex(
      /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$/,
      'An action such as member.created, or a prefix such as member.',
    )
    .optional(),
  /** Entries about this member. */
  member: Id.optional(),
  /** Entries by or about members whose name or email contains this text (case-insensitive). */
  person: z.string().max(200).optional(),
  /** From this instant (inclusive). */
  from: Instant.optional(),
  /** Up to this instant (exclusive). */
  to: Instant.optional(),
};

const needsType = (q: { actorType?: string | undefined; actorId?: string | undefined }) =>
  q.actorId === undefined || q.actorType !== undefined;
const TYPE_WITH_ID = { path: ['actorId'], message: 'Give actorType with actorId.' };

const ListQuery = z
  .strictObject({
    ...Filters,
    /** The previous page's nextCursor. */
    cursor: z
      .string()
      .regex(/^\d{1,15}$/, 'A cursor from a previous page.')
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .refine(needsType, TYPE_WITH_ID);

const ExportQuery = z.strictObject(Filters).refine(needsType, TYPE_WITH_ID);

function toQuery(q: z.output<typeof ExportQuery>): AuditQuery {
  return {
    ...(q.actorType !== undefined ? { actorType: q.actorType } : {}),
    ...(q.actorId !== undefined ? { actorId: q.actorId } : {}),
    ...(q.action !== undefined ? { action: q.action } : {}),
    ...(q.member !== undefined ? { memberId: q.member } : {}),
    ...(q.person !== undefined ? { person: q.person } : {}),
    ...(q.from !== undefined ? { from: q.from } : {}),
    ...(q.to !== undefined ? { to: q.to } : {}),
  };
}

const EventTypes = z.object({
  eventTypes: z.array(z.object({ action: z.string(), text: z.string() }).meta({ id: 'AuditEventType' })),
});

const AuditEntrySchema = z
  .object({
    id: RowId,
    at: InstantText,
    actor: z.object({
      type: z.enum(['member', 'api_token', 'scim_token', 'jit', 'operator', 'system']),
      id: z.string().nullable(),
      label: z.string().nullable().meta({ description: "An email, or a token's or connection's name." }),
      name: z.string().nullable().meta({ description: "A member's display name, if any." }),
    }),
    action: z.string(),
    event: z.string().meta({ description: 'The action in words: "Seat claimed".' }),
    subject: z.object({
      type: z.string(),
      id: z.string(),
      label: z.string().nullable(),
      name: z.string().nullable(),
    }),
    before: z.unknown().meta({ description: 'What changed, as it was; null when nothing was before.' }),
    after: z.unknown().meta({ description: 'What changed, as it is now; null when nothing is after.' }),
    invoiceId: RowId.nullable(),
    invoiceNumber: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });

const AuditPageSchema = z.object({
  entries: z.array(AuditEntrySchema),
  nextCursor: z
    .string()
    .nullable()
    .meta({ description: 'Pass as `cursor` for the next (older) page; null on the last.' }),
});

export const CSV_COLUMNS = [
  'id',
  'at',
  'actorType',
  'actorId',
  'actor',
  'action',
  'subjectType',
  'subjectId',
  'subject',
  'before',
  'after',
  'invoiceId',
  'event',
  'actorName',
  'subjectName',
  'invoiceNumber',
] as const;

function csvCells(e: AuditView): (string | number | null)[] {
  return [
    e.id,
    e.at,
    e.actor.type,
    e.actor.id,
    e.actor.label,
    e.action,
    e.subject.type,
    e.subject.id,
    e.subject.label,
    e.before === null ? null : JSON.stringify(e.before),
    e.after === null ? null : JSON.stringify(e.after),
    e.invoiceId,
    e.event,
    e.actor.name,
    e.subject.name,
    e.invoiceNumber,
  ];
}

/**
 * One CSV field (RFC 4180 §2): always quoted, inner quotes doubled, so commas and line breaks in
 * values are safe. A value a spreadsheet would run as a formula (starting with =, +, -, @, tab or
 * carriage return) gets a leading apostrophe, and so does a value that already starts with one, so
 * the guard can be undone exactly: strip one leading apostrophe. Null is an empty field.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '""';
  let text = String(value);
  if (/^[=+\-@\t\r']/.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

const csvLine = (cells: readonly (string | number | null)[]) => `${cells.map(csvField).join(',')}\r\n`;

export function auditRoutes({ auditLog }: { readonly auditLog: AuditLog }): Route[] {
  return [
    route({
      method: 'get',
      path: '/audit',
      tag: TAG,
      summary: 'List audit log entries',
      operationId: 'listAuditEntries',
      role: 'admin',
      query: ListQuery,
      response: AuditPageSchema,
      responses: {
        200: 'Entries newest first, each with actor and subject (ids and names), before and after; `nextCursor` for the next page.',
      },
      handle: async ({ caller, query }) =>
        ok(
          await auditLog.page(
            caller.organisationId,
            toQuery(query),
            { ...(query.cursor !== undefined ? { cursor: Number(query.cursor) } : {}), limit: query.limit },
            caller.actor,
          ),
        ),
    }),
    route({
      method: 'get',
      path: '/audit/event-types',
      operationId: 'listAuditEventTypes',
      tag: TAG,
      summary: 'List audit event types',
      role: 'admin',
      response: EventTypes,
      responses: {
        200: '`eventTypes`: every action the log records, with its words ("seat.claimed": "Seat claimed"), to filter by.',
      },
      handle: () =>
        ok({ eventTypes: Object.entries(AUDIT_EVENTS).map(([action, text]) => ({ action, text })) }),
    }),
    route({
      method: 'get',
      path: '/audit.csv',
      tag: TAG,
      summary: 'Export audit log entries as CSV',
      operationId: 'exportAuditEntries',
      role: 'admin',
      query: ExportQuery,
      response: z.string().meta({ description: 'RFC 4180 CSV.' }),
      responseType: 'text/csv',
      responses: {
        200: 'text/csv (RFC 4180): a header row, then every matching entry newest first; CRLF line ends, every field quoted.',
      },
      handle: async ({ caller, query }) => {
        const filters = toQuery(query);
        // Refusals must be problems, so they are decided before the first byte is sent.
        await auditLog.authorise(caller.organisationId, filters, caller.actor);
        async function* lines(): AsyncGenerator<string> {
          yield csvLine(CSV_COLUMNS);
          for await (const page of auditLog.export(caller.organisationId, filters, caller.actor)) {
            yield page.map((e) => csvLine(csvCells(e))).join('');
          }
        }
        return {
          status: 200,
          type: 'text/csv; charset=utf-8; header=present',
          headers: { 'content-disposition': 'attachment; filename="audit-log.csv"' },
          stream: lines(),
        };
      },
    }),
  ];
}
