// Reading the audit log (admins and above): filtered by actor, action, member and time, newest
// first, in keyset pages that never shift while entries are added; each entry names its actor and
// subject in words (a member's name and email, a token's name) as well as by id, and its action in
// words ("Seat claimed"), for the console and the CSV export. A person filter finds the entries by
// or about members whose name or email contains the text typed.
import { eventText } from './audit-events.js';
import { ValidationError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';
import type { AuditFilter, AuditRecord } from '../domain/records.js';
import type { Queries, Store } from '../db/port.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';

/** What a caller filters by. `action` ending in "." is a prefix (`member.`), otherwise exact. */
export interface AuditQuery {
  readonly actorType?: Actor['type'];
  readonly actorId?: string;
  readonly action?: string;
  /** Entries whose subject is this member. */
  readonly memberId?: number;
  /** Entries by or about a member whose email or name contains this text. */
  readonly person?: string;
  /** ISO 8601 instants in UTC: from inclusive, to exclusive. */
  readonly from?: string;
  readonly to?: string;
}

export interface AuditView {
  readonly id: number;
  readonly at: string;
  /** `label`: an email, a token's or connection's name; `name`: a member's display name, if any. */
  readonly actor: {
    readonly type: Actor['type'];
    readonly id: string | null;
    readonly label: string | null;
    readonly name: string | null;
  };
  readonly action: string;
  /** The action in words: "Seat claimed". */
  readonly event: string;
  readonly subject: {
    readonly type: string;
    readonly id: string;
    readonly label: string | null;
    readonly name: string | null;
  };
  readonly before: unknown;
  readonly after: unknown;
  readonly invoiceId: number | null;
  /** The invoice's number (ACME-0002) when `invoiceId` is set. */
  readonly invoiceNumber: string | null;
}

export interface AuditPage {
  readonly entries: AuditView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

export const MAX_AUDIT_PAGE = 500;
const DOING = 'see the audit log';

function toFilter(query: AuditQuery): AuditFilter {
  const { action } = query;
  const prefix = action?.endsWith('.') === true;
  if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
    throw new ValidationError('The time range is empty: "from" must be before "to".', {
      errors: [{ in: 'query', pointer: '/to', detail: 'Must be after "from".' }],
    });
  }
  return {
    ...(query.actorType !== undefined ? { actorType: query.actorType } : {}),
    ...(query.actorId !== undefined ? { actorId: query.actorId } : {}),
    ...(action !== undefined ? (prefix ? { actionPrefix: action } : { action }) : {}),
    ...(query.memberId !== undefined ? { subjectType: 'member', subjectId: String(query.memberId) } : {}),
    ...(query.person !== undefined && query.person.trim() !== '' ? { person: query.person.trim() } : {}),
    ...(query.from !== undefined ? { from: query.from } : {}),
    ...(query.to !== undefined ? { to: query.to } : {}),
  };
}

/** Names for the ids of one page, looked up once each. */
function labeller(q: Queries, organisationId: number) {
  const cache = new Map<string, string | null>();
  const once = async (
    key: string,
    find: () => Promise<string | null | undefined>,
  ): Promise<string | null> => {
    if (!cache.has(key)) cache.set(key, (await find()) ?? null);
    return cache.get(key)!;
  };
  const num = (id: string | null): number => (id !== null && /^\d+$/.test(id) ? Number(id) : -1);
  const names = new Map<string, string | null>();
  const memberName = async (id: string | null): Promise<string | null> => {
    const key = id ?? '';
    if (!names.has(key)) names.set(key, (await q.members.byId(organisationId, num(id)))?.displayName ?? null);
    return names.get(key)!;
  };
  const numbers = new Map<number, string | null>();
  const invoiceNumber = async (id: number | null): Promise<string | null> => {
    if (id === null) return null;
    if (!numbers.has(id)) numbers.set(id, (await q.invoices.byId(organisationId, id))?.number ?? null);
    return numbers.get(id)!;
  };
  const of = async (type: string, id: string | null): Promise<string | null> => {
    switch (type) {
      case 'member':
        return await once(`m${id}`, async () => (await q.members.byId(organisationId, num(id)))?.email);
      case 'api_token':
        return await once(`a${id}`, async () => (await q.apiTokens.byId(organisationId, num(id)))?.name);
      case 'scim_token':
        return await once(`s${id}`, async () => (await q.scimTokens.byId(organisationId, num(id)))?.name);
      case 'jit':
      case 'sso_connection':
        return await once(`c${id}`, async () => {
          const connection = await q.sso.connection(num(id));
          return connection?.organisationId === organisationId ? connection.name : undefined;
        });
      case 'organisation':
        return await once(`o${id}`, async () =>
          num(id) === organisationId ? (await q.organisations.byId(organisationId))?.name : undefined,
        );
      case 'seat_pool':
        return 'Seats';
      case 'invoice':
        return await once(`i${id}`, async () => (await q.invoices.byId(organisationId, num(id)))?.number);
      case 'operator':
        return id ?? 'operator';
      case 'system':
        return id;
      default:
        return null;
    }
  };
  return async (r: AuditRecord): Promise<AuditView> => ({
    id: r.id,
    at: r.at,
    actor: {
      type: r.actorType,
      id: r.actorId,
      label: await of(r.actorType, r.actorId),
      name: r.actorType === 'member' ? await memberName(r.actorId) : null,
    },
    action: r.action,
    event: eventText(r.action),
    subject: {
      type: r.subjectType,
      id: r.subjectId,
      label: await of(r.subjectType, r.subjectId),
      name: r.subjectType === 'member' ? await memberName(r.subjectId) : null,
    },
    before: r.before,
    after: r.after,
    invoiceId: r.invoiceId,
    invoiceNumber: await invoiceNumber(r.invoiceId),
  });
}

export function createAuditLog({ store }: { readonly store: Store }) {
  async function page(
    organisationId: number,
    query: AuditQuery,
    paging: { readonly cursor?: number; readonly limit: number },
    actor: Actor,
  ): Promise<AuditPage> {
    const filter = toFilter(query);
    const limit = Math.min(Math.max(1, Math.trunc(paging.limit)), MAX_AUDIT_PAGE);
    return await store.read(async (q) => {
      await requireOrganisation(q, organisationId);
      await requireRole(q, organisationId, actor, 'admin', DOING);
      // One more than asked says whether an older page exists without a second query.
      const rows = await q.audit.search(organisationId, filter, {
        ...(paging.cursor !== undefined ? { beforeId: paging.cursor } : {}),
        limit: limit + 1,
      });
      const label = labeller(q, organisationId);
      const entries: AuditView[] = [];
      for (const row of rows.slice(0, limit)) entries.push(await label(row));
      return {
        entries,
        nextCursor: rows.length > limit ? String(entries[entries.length - 1]!.id) : null,
      };
    });
  }

  return {
    /** One page, newest first; `cursor` is the previous page's `nextCursor`. */
    page,

    /**
     * Every matching entry, newest first, one page (its own short read) at a time, so an export of
     * a large log never holds it in memory or keeps a read open between pages. The entries are
     * those present when the first page was read: later ones have higher ids and are never reached.
     * The caller's role is checked again for each page, so a revoked token stops the export.
     */
    async *export(
      organisationId: number,
      query: AuditQuery,
      actor: Actor,
      pageSize = MAX_AUDIT_PAGE,
    ): AsyncGenerator<AuditView[]> {
      let cursor: number | undefined;
      for (;;) {
        const next = await page(
          organisationId,
          query,
          { ...(cursor !== undefined ? { cursor } : {}), limit: pageSize },
          actor,
        );
        if (next.entries.length > 0) yield next.entries;
        if (next.nextCursor === null) return;
        cursor = Number(next.nextCursor);
        // Let other requests run between pages.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },

    /** Checks the caller may read the log, before an export starts answering. */
    async authorise(organisationId: number, query: AuditQuery, actor: Actor): Promise<void> {
      toFilter(query);
      await store.read(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'admin', DOING);
      });
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
