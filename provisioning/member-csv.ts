// Members in and out as CSV: the members list as rows for the export, and an import of invitations
// in two steps. The dry run reads the file, decides row by row what would happen to seats (counting
// the seats the rows before it would take) and keeps that report; applying the report sends the
// invitations it promised, each holding a seat as any invitation does, in one transaction, once.
import { inOrder } from '../domain/in-order.js';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  SeatLimitError,
  TooLargeError,
  ValidationError,
} from '../domain/errors.js';
import { foldKey } from '../domain/fold.js';
import { hasRole, type Actor, type Role } from '../domain/model.js';
import type { Queries, Store } from '../db/port.js';
import type { Member, MemberFilter, MemberSort } from '../domain/records.js';
import { requireOpenContract } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import { availableSeats } from '../seats/usage.js';
import type { InvitationService } from './invitations.js';
import { emailDomain } from './members.js';

/** The most data rows one import may have (the header not counted). */
export const MAX_IMPORT_ROWS = 500;
/** The most bytes (UTF-8) of CSV one import may have; the JSON body around it stays under 64 KiB. */
export const MAX_IMPORT_BYTES = 48 * 1024;
/** How long a dry-run report can be applied: the seats it counted move as people come and go. */
export const IMPORT_REPORT_TTL_MINUTES = 60;
/** Most members one export reads (one consistent snapshot). */
export const MAX_EXPORT_MEMBERS = 100_000;

const IMPORT_ROLES = ['user', 'admin', 'owner'] as const;
type ImportRole = (typeof IMPORT_ROLES)[number];

/** What the dry run says would happen to a row; `invite` is the only one applying acts on. */
export type RowOutcome =
  | 'invite'
  | 'already_member'
  | 'already_invited'
  | 'duplicate'
  | 'invalid_email'
  | 'domain_not_verified'
  | 'invalid_role'
  | 'unknown_tier'
  | 'not_allowed'
  | 'no_seat';

export interface ImportRow {
  /** The line of the file the row starts on (the header is line 1). */
  readonly line: number;
  readonly email: string;
  readonly name: string | null;
  readonly role: string;
  /** The tier asked for; null: the lowest tier with a free seat, as an invitation chooses. */
  readonly tier: string | null;
  readonly outcome: RowOutcome;
  /** For `invite`: the tier whose seat the invitation would hold. */
  readonly seatTier: string | null;
  readonly detail: string;
}

export interface ImportReport {
  readonly id: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly rows: ImportRow[];
  /** How many rows end in each outcome. */
  readonly summary: Partial<Record<RowOutcome, number>>;
  /** How many invitations applying would send. */
  readonly invitations: number;
}

/** What applying did to one row: `invited`, or why not (the dry run's outcome, or what changed since). */
export interface AppliedRow {
  readonly line: number;
  readonly email: string;
  readonly outcome: 'invited' | Exclude<RowOutcome, 'invite'> | 'contract_expired';
  readonly memberId: number | null;
  readonly invitationId: number | null;
  readonly tier: string | null;
  readonly detail: string;
}

export interface ImportResult {
  readonly id: string;
  readonly appliedAt: string;
  readonly invited: number;
  readonly refused: number;
  readonly rows: AppliedRow[];
}

/** The CSV is larger than an import may be: answered 413 with the limits. */
export class ImportTooLargeError extends TooLargeError {
  constructor(message: string, details: { maxBytes: number; maxRows: number }) {
    super(message, details, 'import_too_large');
  }
}

/** A field a spreadsheet would run as a formula was written with a leading apostrophe; undo it. */
function unguard(text: string): string {
  return /^'[=+\-@\t\r']/.test(text) ? text.slice(1) : text;
}

/**
 * RFC 4180 records: fields separated by commas, records by CRLF (a bare LF is accepted too), a
 * field in double quotes may hold commas, quotes (doubled) and line breaks. A leading UTF-8 BOM is
 * dropped (spreadsheets write one). Each record comes with the line it starts on.
 */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) {
            throw new ValidationError(
              `Line ${start}: a quoted field is not closed.`,
              { line: start },
              'csv_invalid',
            );
          }
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
          throw new ValidationError(
            `Line ${line}: text follows a closing quote; a quote inside a field is written twice ("").`,
            { line },
            'csv_invalid',
          );
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') field += text[i++];
      }
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    // A blank line (often the last) is no record.
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
  }
  return records;
}

/** Header names the import reads, as the export writes them (`name` also as `displayName`). */
const COLUMN_NAMES: Readonly<Record<string, 'email' | 'name' | 'role' | 'tier'>> = {
  email: 'email',
  name: 'name',
  displayname: 'name',
  role: 'role',
  tier: 'tier',
};

interface ParsedRow {
  readonly line: number;
  readonly email: string;
  readonly name: string | null;
  readonly role: string;
  readonly tier: string | null;
}

/** The file's rows by its header (email required; name, role, tier optional; other columns ignored). */
export function readImportFile(csv: string): ParsedRow[] {
  const bytes = Buffer.byteLength(csv, 'utf8');
  if (bytes > MAX_IMPORT_BYTES) {
    throw new ImportTooLargeError(
      `The file has ${bytes} bytes; an import takes at most ${MAX_IMPORT_BYTES} bytes (${MAX_IMPORT_ROWS} rows). Split it into several imports.`,
      { maxBytes: MAX_IMPORT_BYTES, maxRows: MAX_IMPORT_ROWS },
    );
  }
  const records = parseCsv(csv);
  const header = records.shift();
  if (!header)
    throw new ValidationError(
      'The file is empty: it needs a header row (email,name,role,tier).',
      {},
      'csv_invalid',
    );
  const columns = new Map<'email' | 'name' | 'role' | 'tier', number>();
  header.fields.forEach((f, index) => {
    const column = COLUMN_NAMES[f.trim().toLowerCase()];
    if (column && !columns.has(column)) columns.set(column, index);
  });
  if (!columns.has('email')) {
    throw new ValidationError(
      'The first row must name the columns, with at least "email" (and optionally "name", "role", "tier").',
      {},
      'csv_invalid',
    );
  }
  if (records.length > MAX_IMPORT_ROWS) {
    throw new ImportTooLargeError(
      `The file has ${records.length} rows; an import takes at most ${MAX_IMPORT_ROWS}. Split it into several imports.`,
      { maxBytes: MAX_IMPORT_BYTES, maxRows: MAX_IMPORT_ROWS },
    );
  }
  if (records.length === 0)
    throw new ValidationError('The file has a header but no rows.', {}, 'csv_invalid');
  const cell = (fields: string[], column: 'email' | 'name' | 'role' | 'tier') => {
    const index = columns.get(column);
    return index === undefined ? '' : unguard((fields[index] ?? '').trim()).trim();
  };
  return records.map(({ line, fields }) => ({
    line,
    email: cell(fields, 'email'),
    name: cell(fields, 'name').slice(0, 200) || null,
    role: cell(fields, 'role').toLowerCase() || 'user',
    tier: cell(fields, 'tier').toLowerCase() || null,
  }));
}

export interface MemberCsvDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly invitations: InvitationService;
}

export type MemberCsv = ReturnType<typeof createMemberCsv>;

export function createMemberCsv({ store, clock, invitations }: MemberCsvDeps) {
  /** The dry run of one file against the organisation as it is now, in a read snapshot. */
  async function review(
    q: Queries,
    organisationId: number,
    rows: readonly ParsedRow[],
    actor: Actor,
  ): Promise<ImportRow[]> {
    const { organisation } = await requireOpenContract(q, organisationId, clock.now());
    const verified = new Set(
      (await q.organisations.domains(organisationId))
        .filter((d) => d.verifiedAt !== null)
        .map((d) => d.domain.toLowerCase()),
    );
    const pools = await q.seatPools.list(organisationId);
    const free = new Map(pools.map((t) => [t.tierId, availableSeats(t)]));
    // Lowest rank first: an invitation without a tier takes the lowest with a free seat.
    const lowestFirst = [...pools].sort((a, b) => a.rank - b.rank).map((t) => t.tierId);
    const callerMayInviteOwners = await mayInviteOwners(q, organisationId, actor);
    const seen = new Set<string>();

    return await inOrder(rows, async (row): Promise<ImportRow> => {
      const base = {
        line: row.line,
        email: row.email,
        name: row.name,
        role: row.role,
        tier: row.tier,
        seatTier: null,
      };
      const refuse = (outcome: RowOutcome, detail: string): ImportRow => ({ ...base, outcome, detail });
      let domain: string;
      try {
        domain = emailDomain(row.email);
      } catch {
        return refuse(
          'invalid_email',
          row.email === '' ? 'No email address.' : `"${row.email}" is not an email address.`,
        );
      }
      const key = foldKey(row.email);
      if (seen.has(key)) return refuse('duplicate', 'The same address is on an earlier row.');
      seen.add(key);
      if (!verified.has(domain)) {
        return refuse('domain_not_verified', `${domain} is not a verified domain of ${organisation.name}.`);
      }
      if (!(IMPORT_ROLES as readonly string[]).includes(row.role)) {
        return refuse('invalid_role', `"${row.role}" is not a role to invite with: user, admin or owner.`);
      }
      if (row.tier !== null && !free.has(row.tier)) {
        return refuse('unknown_tier', `"${row.tier}" is not a tier: ${lowestFirst.join(', ')}.`);
      }
      const live = (await q.members.withEmail(organisationId, row.email)).filter(
        (m) => m.seatState !== 'removed',
      );
      if (live.some((m) => m.seatState === 'invited')) {
        return refuse('already_invited', 'An invitation to this address is pending.');
      }
      if (live.length > 0) return refuse('already_member', `Already a member (${live[0]!.seatState}).`);
      // Inviting a removed member back keeps the role they had if it is higher (as an invitation does).
      const kept = (await q.members.withEmail(organisationId, row.email)).at(-1);
      const role = higher(row.role as ImportRole, kept?.role);
      if (hasRole(role, 'owner') && !callerMayInviteOwners) {
        return refuse('not_allowed', 'Only owners may invite an owner.');
      }
      const tier = row.tier ?? lowestFirst.find((t) => (free.get(t) ?? 0) > 0) ?? null;
      if (tier === null || (free.get(tier) ?? 0) <= 0) {
        return refuse(
          'no_seat',
          row.tier === null
            ? 'No seat left in any tier, counting the rows above: an owner must add seats.'
            : `No ${row.tier} seat left, counting the rows above: an owner must add seats.`,
        );
      }
      free.set(tier, (free.get(tier) ?? 0) - 1);
      return { ...base, outcome: 'invite', seatTier: tier, detail: `An invitation holding a ${tier} seat.` };
    });
  }

  async function mayInviteOwners(q: Queries, organisationId: number, actor: Actor): Promise<boolean> {
    try {
      await requireRole(q, organisationId, actor, 'owner', 'invite owners');
      return true;
    } catch (error) {
      if (error instanceof ForbiddenError) return false;
      throw error;
    }
  }

  function higher(asked: ImportRole, kept: Role | undefined): Role {
    if (kept === undefined || kept === 'primary_owner') return asked;
    return hasRole(kept, asked) ? kept : asked;
  }

  function summarise(rows: readonly { outcome: string }[]): Record<string, number> {
    const summary: Record<string, number> = {};
    for (const r of rows) summary[r.outcome] = (summary[r.outcome] ?? 0) + 1;
    return summary;
  }

  return {
    /**
     * Every member matching `filter` (the members list's filters), ordered as the list orders
     * them (`sort`), read in one snapshot so the file is one consistent moment.
     */
    async exportMembers(
      organisationId: number,
      filter: MemberFilter,
      actor: Actor,
      sort: MemberSort = 'email',
    ): Promise<Member[]> {
      return await store.read(async (q) => {
        await requireRole(q, organisationId, actor, 'admin', 'export members');
        return (
          await q.members.search(organisationId, filter, { limit: MAX_EXPORT_MEMBERS, offset: 0 }, sort)
        ).members;
      });
    },

    /**
     * The dry run: what each row would do to seats, nothing sent. The report is kept (for an hour)
     * so that applying it sends exactly the invitations it listed.
     */
    async dryRun(organisationId: number, csv: string, actor: Actor): Promise<ImportReport> {
      const parsed = readImportFile(csv);
      return await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'admin', 'import members');
        const rows = await review(q, organisationId, parsed, actor);
        const now = clock.now();
        const id = `imp_${randomBytes(16).toString('base64url')}`;
        const createdAt = now.toISO()!;
        const expiresAt = now.plus({ minutes: IMPORT_REPORT_TTL_MINUTES }).toISO()!;
        await q.memberImports.pruneExpired(createdAt);
        await q.memberImports.insert(id, organisationId, createdAt, expiresAt, rows);
        return {
          id,
          createdAt,
          expiresAt,
          rows,
          summary: summarise(rows),
          invitations: rows.filter((r) => r.outcome === 'invite').length,
        };
      });
    },

    /**
     * Sends the invitations of a reviewed report, in one transaction: each is created as any
     * invitation is (its seat held by the pool's conditional claim, its mail in the outbox), in a
     * savepoint of its own, so a row that finds no seat left (another import, a sign-in since the
     * dry run) is refused alone and nothing is ever over-allocated. Applying a report again
     * answers what the first apply did, and sends nothing.
     */
    async apply(
      organisationId: number,
      importId: string,
      actor: Actor,
    ): Promise<ImportResult & { readonly repeated: boolean }> {
      return await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'admin', 'import members');
        const record = await q.memberImports.byPublicId(organisationId, importId);
        if (!record) throw new NotFoundError(`No import report ${importId} in this organisation.`);
        if (record.status === 'applied') return { ...(record.result as ImportResult), repeated: true };
        const now = clock.now().toISO()!;
        if (now >= record.expiresAt) {
          throw new GoneError(
            'This import report is more than an hour old; upload the file again for a fresh dry run.',
            { expiredAt: record.expiresAt },
            'import_expired',
          );
        }
        const rows = record.rows as ImportRow[];
        const applied = await inOrder(rows, async (row): Promise<AppliedRow> => {
          const base = { line: row.line, email: row.email, memberId: null, invitationId: null, tier: null };
          if (row.outcome !== 'invite') return { ...base, outcome: row.outcome, detail: row.detail };
          try {
            // A refused row must not undo the rows before it, nor leave anything of its own behind.
            const invitation = await q.savepoint(() =>
              invitations.createIn(
                q,
                organisationId,
                {
                  email: row.email,
                  displayName: row.name,
                  role: row.role as ImportRole,
                  tier: row.seatTier!,
                },
                actor,
              ),
            );
            return {
              ...base,
              outcome: 'invited',
              memberId: invitation.memberId,
              invitationId: invitation.id,
              tier: invitation.tierId,
              detail: `Invited, holding a ${invitation.tierId} seat until ${invitation.expiresAt}.`,
            };
          } catch (error) {
            return { ...base, ...refusal(error) };
          }
        });
        const result: ImportResult = {
          id: record.publicId,
          appliedAt: now,
          invited: applied.filter((r) => r.outcome === 'invited').length,
          refused: applied.filter((r) => r.outcome !== 'invited').length,
          rows: applied,
        };
        if (!(await q.memberImports.markApplied(record.id, now, result))) {
          throw new ConflictError(
            'The report was applied by another request meanwhile.',
            {},
            'concurrent_change',
          );
        }
        return { ...result, repeated: false };
      });
    },
  };
}

/** What became of a row whose invitation was refused at apply time. */
function refusal(error: unknown): Pick<AppliedRow, 'outcome' | 'detail'> {
  if (error instanceof SeatLimitError) {
    return { outcome: 'no_seat', detail: 'No seat left in that tier any more: an owner must add seats.' };
  }
  if (error instanceof DomainError) {
    const outcome: AppliedRow['outcome'] =
      error.code === 'member_exists'
        ? 'already_member'
        : error.code === 'domain_not_verified'
          ? 'domain_not_verified'
          : error.code === 'contract_expired'
            ? 'contract_expired'
            : error.code === 'unknown_tier'
              ? 'unknown_tier'
              : error instanceof ForbiddenError
                ? 'not_allowed'
                : error instanceof ValidationError
                  ? 'invalid_email'
                  : 'already_member';
    return { outcome, detail: error.message };
  }
  throw error;
}
