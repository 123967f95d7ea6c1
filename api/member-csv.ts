// The members list as a CSV file (the list's filters), and the CSV import of invitations: a dry
// run that reports what each row would do to seats, then applying that report. Rules:
// provisioning/member-csv.ts; the file format: docs/api.md, "Member CSV".
import { z } from 'zod';
import { MEMBER_SOURCES, ROLES, SEAT_STATES } from '../domain/model.js';
import type { Member } from '../domain/records.js';
import type { Clock } from '../domain/clock.js';
import { MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, type MemberCsv } from '../provisioning/member-csv.js';
import { csvField } from './audit.js';
import { TierId } from './members.js';
import { created, ok, route, type Route } from './route.js';
import { Instant, RowId } from './schemas.js';

const TAG = 'Members';

/** The export's columns, in order; `email`, `name`, `role` and `tier` are what the import reads. */
export const MEMBER_CSV_COLUMNS = [
  'email',
  'name',
  'role',
  'seatState',
  'tier',
  'source',
  'lastActiveAt',
  'createdAt',
] as const;

/**
 * A UTF-8 byte order mark opens the file: without it Excel on Windows reads a CSV in the system's
 * legacy code page and shows "MÃ¼ller" for "Müller"; with it Excel, LibreOffice, Numbers and Google
 * Sheets all read UTF-8. The import (and any RFC 4180 reader that strips it) reads it back.
 */
export const BOM = '\uFEFF';

function lastActive(m: Member): string | null {
  return 'lastActiveAt' in m ? ((m as { lastActiveAt?: string | null }).lastActiveAt ?? null) : null;
}

export function memberCsvLine(m: Member): string {
  const cells = [m.email, m.displayName, m.role, m.seatState, m.tierId, m.source, lastActive(m), m.createdAt];
  return `${cells.map(csvField).join(',')}\r\n`;
}

const DRY_RUN_OUTCOMES = [
  'invite',
  'already_member',
  'already_invited',
  'duplicate',
  'invalid_email',
  'domain_not_verified',
  'invalid_role',
  'unknown_tier',
  'not_allowed',
  'no_seat',
] as const;

const ImportReportSchema = z
  .object({
    id: z.string().meta({ description: 'Applies the report: `POST /members/import/{id}/apply`.' }),
    createdAt: Instant,
    expiresAt: Instant,
    rows: z.array(
      z.object({
        line: z.number().int().min(2),
        email: z.string(),
        name: z.string().nullable(),
        role: z.string(),
        tier: z.string().nullable(),
        outcome: z.enum(DRY_RUN_OUTCOMES),
        seatTier: z.string().nullable(),
        detail: z.string(),
      }),
    ),
    summary: z.record(z.string(), z.number().int()),
    invitations: z.number().int().min(0),
  })
  .meta({ id: 'MemberImportReport' });

const ImportResultSchema = z
  .object({
    id: z.string(),
    appliedAt: Instant,
    invited: z.number().int().min(0),
    refused: z.number().int().min(0),
    repeated: z.boolean(),
    rows: z.array(
      z.object({
        line: z.number().int().min(2),
        email: z.string(),
        outcome: z.enum(['invited', 'contract_expired', ...DRY_RUN_OUTCOMES.filter((o) => o !== 'invite')]),
        memberId: RowId.nullable(),
        invitationId: RowId.nullable(),
        tier: z.string().nullable(),
        detail: z.string(),
      }),
    ),
  })
  .meta({ id: 'MemberImportResult' });

export function memberCsvRoutes({
  memberCsv,
  clock,
}: {
  readonly memberCsv: MemberCsv;
  /** What "now" is for the inactivity filter. */
  readonly clock: Clock;
}): Route[] {
  return [
    route({
      method: 'get',
      path: '/members.csv',
      tag: TAG,
      summary: 'Export members as CSV',
      operationId: 'exportMembersCsv',
      role: 'admin',
      query: z.strictObject({
        role: z.enum(ROLES).optional(),
        tier: TierId.optional(),
        seatState: z.enum(SEAT_STATES).optional(),
        source: z.enum(MEMBER_SOURCES).optional(),
        q: z.string().trim().max(200).optional(),
        /** Not active for this many days (never active counts), as the members list takes it. */
        inactiveDays: z.coerce.number().int().min(1).max(3650).optional(),
        sort: z.enum(['email', 'lastActive', '-lastActive']).default('email'),
      }),
      response: z.string(),
      responseType: 'text/csv',
      responses: {
        200: `text/csv (RFC 4180, UTF-8 with a byte order mark): a header row (${MEMBER_CSV_COLUMNS.join(', ')}), then every matching member in the list's order (email, or \`sort\`); CRLF line ends, every field quoted, formulas neutralised.`,
      },
      handle: async ({ caller, query }) => {
        const { role, tier, seatState, source, q, inactiveDays, sort } = query;
        const members = await memberCsv.exportMembers(
          caller.organisationId,
          {
            ...(role ? { role } : {}),
            ...(tier ? { tierId: tier } : {}),
            ...(seatState ? { seatState } : {}),
            ...(source ? { source } : {}),
            ...(q ? { text: q } : {}),
            ...(inactiveDays ? { inactiveSince: clock.now().minus({ days: inactiveDays }).toISO()! } : {}),
          },
          caller.actor,
          sort,
        );
        const header = `${MEMBER_CSV_COLUMNS.map(csvField).join(',')}\r\n`;
        return {
          status: 200,
          type: 'text/csv; charset=utf-8; header=present',
          headers: { 'content-disposition': 'attachment; filename="members.csv"' },
          body: BOM + header + members.map(memberCsvLine).join(''),
        };
      },
    }),
    route({
      method: 'post',
      path: '/members/import',
      tag: TAG,
      summary: 'Dry-run a member CSV import',
      operationId: 'dryRunMemberImport',
      role: 'admin',
      body: z.strictObject({
        csv: z
          .string()
          .min(1)
          .max(MAX_IMPORT_BYTES * 2),
      }),
      response: ImportReportSchema,
      responses: {
        201: 'The report: per row what would happen (`invite`, or why not), counting the seats the rows above take; its `id` applies it within the hour. Nothing is sent.',
        400: 'The file is not CSV with an `email` column (`csv_invalid`).',
        409: 'The contract ended (`contract_expired`).',
        413: `More than ${MAX_IMPORT_ROWS} rows or ${MAX_IMPORT_BYTES} bytes (\`import_too_large\`).`,
      },
      handle: async ({ caller, body }) => {
        const report = await memberCsv.dryRun(caller.organisationId, body.csv, caller.actor);
        return created(report, `/api/v1/members/import/${report.id}`);
      },
    }),
    route({
      method: 'post',
      path: '/members/import/:importId/apply',
      tag: TAG,
      summary: 'Send the invitations of a member import',
      operationId: 'applyMemberImport',
      role: 'admin',
      params: z.strictObject({
        importId: z.string().regex(/^imp_[A-Za-z0-9_-]{22}$/, 'An import report id.'),
      }),
      response: ImportResultSchema,
      responses: {
        200: 'What was done per row: `invited` (a seat held), or why not; `repeated: true` when the report had been applied already (nothing sent again).',
        404: 'No such report.',
        410: 'The report is more than an hour old (`import_expired`): upload the file again.',
      },
      handle: async ({ caller, params }) =>
        ok(await memberCsv.apply(caller.organisationId, params.importId, caller.actor)),
    }),
  ];
}
