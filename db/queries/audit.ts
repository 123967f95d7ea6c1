// The append-only audit log. Rows are written inside the transaction of the change they record,
// through recordAudit (audit/record.ts).
import type { Dialect, Sql } from '../sql.js';
import { foldKey } from '../../domain/fold.js';
import type { Actor } from '../../domain/model.js';
import type { AuditEntry, AuditFilter, AuditRecord, SeatChange } from '../../domain/records.js';
import type { AuditQueries } from '../port.js';

interface AuditRow {
  id: number;
  organisation_id: number;
  at: string;
  actor_type: Actor['type'];
  actor_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string;
  before: string | null;
  after: string | null;
  invoice_id: number | null;
}

interface SeatChangeRow {
  at: string;
  subject_type: string;
  subject_id: string;
  seat_state: string | null;
  tier_id: string | null;
  allocation: string | null;
  term_start: string | null;
}

/** The identifier stored for an actor: whom to ask about the change. */
export function actorId(actor: Actor): string | null {
  switch (actor.type) {
    case 'member':
      return String(actor.memberId);
    case 'api_token':
    case 'scim_token':
      return String(actor.tokenId);
    case 'jit':
      return String(actor.connectionId);
    case 'operator':
      return actor.name ?? null;
    case 'system':
      return actor.job;
  }
}

/**
 * How a statement reads a member of the JSON text in `after`: its value if it is a JSON string
 * (else NULL), its JSON text if it is an object (else NULL), and whether it is either. Keys are our
 * own names.
 */
const AFTER: Readonly<
  Record<
    Dialect,
    {
      string(key: string): string;
      object(key: string): string;
      isString(key: string): string;
      isObject(key: string): string;
    }
  >
> = {
  sqlite: {
    // json_extract gives a JSON string as text; the members read so are strings wherever written.
    string: (key) => `json_extract(after, '$.${key}')`,
    object: (key) =>
      `CASE json_type(after, '$.${key}') WHEN 'object' THEN json_extract(after, '$.${key}') END`,
    isString: (key) => `json_type(after, '$.${key}') = 'text'`,
    isObject: (key) => `json_type(after, '$.${key}') = 'object'`,
  },
  postgres: {
    // The column is text (JSON.stringify's); jsonb reads it. ->> of an object is its JSON text.
    string: (key) =>
      `CASE jsonb_typeof(after::jsonb -> '${key}') WHEN 'string' THEN after::jsonb ->> '${key}' END`,
    object: (key) =>
      `CASE jsonb_typeof(after::jsonb -> '${key}') WHEN 'object' THEN after::jsonb ->> '${key}' END`,
    isString: (key) => `jsonb_typeof(after::jsonb -> '${key}') = 'string'`,
    isObject: (key) => `jsonb_typeof(after::jsonb -> '${key}') = 'object'`,
  },
};

export function createAuditQueries(db: Sql): AuditQueries {
  const insert = db.prepare(
    `INSERT INTO audit_log (organisation_id, at, actor_type, actor_id, action, subject_type, subject_id, before, after, invoice_id)
     VALUES (@organisationId, @at, @actorType, @actorId, @action, @subjectType, @subjectId, @before, @after, @invoiceId)`,
  );
  const list = db.prepare<[number, number, number], AuditRow>(
    'SELECT * FROM audit_log WHERE organisation_id = ? AND id > ? ORDER BY id LIMIT ?',
  );

  const prepared = db.cache(64);

  const toRecord = (r: AuditRow): AuditRecord => ({
    id: r.id,
    organisationId: r.organisation_id,
    at: r.at,
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    before: r.before === null ? null : (JSON.parse(r.before) as unknown),
    after: r.after === null ? null : (JSON.parse(r.after) as unknown),
    invoiceId: r.invoice_id,
  });

  // Every entry whose `after` is a member's seat (a MemberSnapshot) or a tier allocation: what the
  // seat usage history replays (seats/usage-history.ts). Read through audit_log_by_org.
  const after = AFTER[db.dialect];
  const seatChanges = db.prepare<[number], SeatChangeRow>(
    `SELECT at, subject_type, subject_id,
            ${after.string('seatState')} AS seat_state,
            ${after.string('tierId')} AS tier_id,
            ${after.object('allocation')} AS allocation,
            ${after.string('termStart')} AS term_start
     FROM audit_log
     WHERE organisation_id = ? AND after IS NOT NULL
       AND (${after.isString('seatState')} OR ${after.isObject('allocation')})
     ORDER BY id`,
  );

  return {
    /**
     * Writes the row, inside the caller's transaction. Only audit/record.ts calls this: it writes
     * the entry's webhook events with it, so no change is recorded without them.
     */
    async insert(e: AuditEntry): Promise<void> {
      await insert.run({
        organisationId: e.organisationId,
        at: e.at,
        actorType: e.actor.type,
        actorId: actorId(e.actor),
        action: e.action,
        subjectType: e.subjectType,
        subjectId: String(e.subjectId),
        before: e.before === undefined ? null : JSON.stringify(e.before),
        after: e.after === undefined ? null : JSON.stringify(e.after),
        invoiceId: e.invoiceId ?? null,
      });
    },
    /**
     * The organisation's seat changes in the order they were made, one at a time (a long log is
     * never held in memory): a member's seat state and tier after the change, or every tier's
     * allocation after it.
     */
    async *seatChanges(organisationId: number): AsyncGenerator<SeatChange> {
      for await (const r of seatChanges.iterate(organisationId)) {
        if (r.allocation !== null) {
          yield {
            at: r.at,
            allocation: JSON.parse(r.allocation) as Record<string, number>,
            termStart: typeof r.term_start === 'string' ? r.term_start : null,
          };
        } else if (r.subject_type === 'member' && r.seat_state !== null) {
          yield { at: r.at, memberId: r.subject_id, seatState: r.seat_state, tierId: r.tier_id };
        }
      }
    },
    /** Entries after `afterId`, oldest first. */
    async list(organisationId: number, afterId = 0, limit = 1000): Promise<AuditRecord[]> {
      return (await list.all(organisationId, afterId, limit)).map(toRecord);
    },
    /**
     * One page of the entries matching `filter`, newest first, older than `beforeId` (keyset
     * paging: a page never shifts when entries are added meanwhile, as new entries have higher
     * ids). The conditions only ever add `AND`s with bound parameters; an exact action uses
     * audit_log_by_action, a subject audit_log_by_subject, anything else audit_log_by_org.
     */
    async search(
      organisationId: number,
      filter: AuditFilter,
      page: { readonly beforeId?: number; readonly limit: number },
    ): Promise<AuditRecord[]> {
      const where = ['organisation_id = ?'];
      const params: unknown[] = [organisationId];
      const add = (sql: string, ...values: unknown[]) => {
        where.push(sql);
        params.push(...values);
      };
      if (filter.actorType !== undefined) add('actor_type = ?', filter.actorType);
      if (filter.actorId !== undefined) add('actor_id = ?', filter.actorId);
      if (filter.action !== undefined) add('action = ?', filter.action);
      if (filter.actionPrefix !== undefined && filter.actionPrefix !== '') {
        // A range, not LIKE: it uses the action index and has no wildcard to escape. The upper
        // bound is the prefix with its last character incremented (BINARY collation, code order).
        const p = filter.actionPrefix;
        add(
          'action >= ? AND action < ?',
          p,
          p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1),
        );
      }
      if (filter.subjectType !== undefined) add('subject_type = ?', filter.subjectType);
      if (filter.subjectId !== undefined) add('subject_id = ?', filter.subjectId);
      if (filter.person !== undefined && filter.person !== '') {
        const pattern = `%${foldKey(filter.person).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const people = `SELECT CAST(id AS TEXT) FROM members WHERE organisation_id = ?
          AND (email_key LIKE ? ESCAPE '\\' OR fold_key(coalesce(display_name, '')) LIKE ? ESCAPE '\\')`;
        add(
          `((actor_type = 'member' AND actor_id IN (${people})) OR (subject_type = 'member' AND subject_id IN (${people})))`,
          organisationId,
          pattern,
          pattern,
          organisationId,
          pattern,
          pattern,
        );
      }
      if (filter.from !== undefined) add('at >= ?', filter.from);
      if (filter.to !== undefined) add('at < ?', filter.to);
      if (page.beforeId !== undefined) add('id < ?', page.beforeId);
      const sql = `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`;
      return ((await prepared(sql).all(...params, page.limit)) as AuditRow[]).map(toRecord);
    },
  };
}
