// The append-only audit log. Rows are written inside the transaction of the change they record.
import type { Db } from '../connection.js';
import type { Actor } from '../../domain/model.js';

export interface AuditEntry {
  readonly organisationId: number;
  readonly at: string;
  readonly actor: Actor;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string | number;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly invoiceId?: number;
}

export interface AuditRecord {
  readonly id: number;
  readonly organisationId: number;
  readonly at: string;
  readonly actorType: Actor['type'];
  readonly actorId: string | null;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly invoiceId: number | null;
}

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

/** The identifier stored for an actor: whom to ask about the change. */
export function actorId(actor: Actor): string | null {
  switch (actor.type) {
    case 'member':
      return String(actor.memberId);
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

export function createAuditQueries(db: Db) {
  const insert = db.prepare(
    `INSERT INTO audit_log (organisation_id, at, actor_type, actor_id, action, subject_type, subject_id, before, after, invoice_id)
     VALUES (@organisationId, @at, @actorType, @actorId, @action, @subjectType, @subjectId, @before, @after, @invoiceId)`,
  );
  const list = db.prepare<[number, number, number], AuditRow>(
    'SELECT * FROM audit_log WHERE organisation_id = ? AND id > ? ORDER BY id LIMIT ?',
  );

  return {
    append(e: AuditEntry): void {
      insert.run({
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
    /** Entries after `afterId`, oldest first. */
    list(organisationId: number, afterId = 0, limit = 1000): AuditRecord[] {
      return list.all(organisationId, afterId, limit).map((r) => ({
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
      }));
    },
  };
}
