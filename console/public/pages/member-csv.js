// @ts-check
// The members page's CSV tools: "Download CSV" (the list as filtered, from GET /members.csv) and
// "Import CSV": the file is read in the browser, sent for a dry run (POST /members/import), the
// report is shown row by row, and "Send N invitations" applies exactly that report.
/* global HTMLInputElement */
import { API, call, query } from '../http.js';
import { h, problemOf, replace } from '../dom.js';

/** A problem's words for a person. */
export function problemText(/** @type {unknown} */ error) {
  const p = problemOf(error);
  return p.detail ?? p.title ?? p.code;
}

/**
 * @typedef {{ line: number, email: string, name: string | null, role: string, tier: string | null,
 *   outcome: string, seatTier: string | null, detail: string }} ReportRow
 * @typedef {{ id: string, expiresAt: string, rows: ReportRow[], invitations: number }} Report
 * @typedef {{ line: number, email: string, outcome: string, tier: string | null, detail: string }} AppliedRow
 * @typedef {{ invited: number, refused: number, repeated: boolean, rows: AppliedRow[] }} Applied
 */

/** What each outcome is called in the report. */
const OUTCOMES = /** @type {Record<string, string>} */ ({
  invite: 'Will be invited',
  invited: 'Invited',
  already_member: 'Already a member',
  already_invited: 'Already invited',
  duplicate: 'Repeated in the file',
  invalid_email: 'Not an email address',
  domain_not_verified: 'Domain not verified',
  invalid_role: 'Unknown role',
  unknown_tier: 'Unknown tier',
  not_allowed: 'Needs an owner',
  no_seat: 'No seat left',
  contract_expired: 'Contract ended',
});

/** The link that downloads the members list, with the page's filters, as CSV. */
export function exportLink(/** @type {Record<string, string>} */ filters) {
  return h(
    'a',
    {
      href: `${API}/members.csv${query(filters)}`,
      download: 'members.csv',
      class: 'button',
      'data-testid': 'members-csv',
    },
    'Download CSV',
  );
}

/**
 * The import panel: choose a file, see the dry run, send the invitations.
 * @param {() => void} onApplied called after invitations were sent (the list changed)
 */
export function importPanel(onApplied) {
  const panel = h('section', { class: 'card', 'aria-labelledby': 'import-heading', hidden: true });
  const input = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'file',
      accept: '.csv,text/csv',
      id: 'import-file',
      'aria-describedby': 'import-help',
    })
  );
  const result = h('div', { 'aria-live': 'polite', 'data-testid': 'import-result' });
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void review(file);
  });

  async function review(/** @type {File} */ file) {
    replace(result, h('p', {}, 'Checking the file…'));
    try {
      const report = /** @type {Report} */ (
        await call('POST', '/members/import', { csv: await file.text() })
      );
      showReport(report);
    } catch (error) {
      replace(result, h('p', { class: 'error', role: 'alert' }, problemText(error)));
    }
  }

  function showReport(/** @type {Report} */ report) {
    const send = h(
      'button',
      { type: 'button', class: 'primary', disabled: report.invitations === 0 },
      report.invitations === 1 ? 'Send 1 invitation' : `Send ${report.invitations} invitations`,
    );
    send.addEventListener('click', () => {
      send.setAttribute('disabled', '');
      void apply(report.id);
    });
    replace(
      result,
      h(
        'p',
        {},
        `Dry run: nothing has been sent. ${report.invitations} of ${report.rows.length} rows would be invited, each holding a seat for 21 days.`,
      ),
      rowsTable(
        'Dry run',
        report.rows.map((r) => [
          String(r.line),
          r.email,
          r.role,
          r.seatTier ?? r.tier ?? '—',
          OUTCOMES[r.outcome] ?? r.outcome,
          r.detail,
        ]),
        report.rows.map((r) => r.outcome),
      ),
      send,
    );
  }

  async function apply(/** @type {string} */ id) {
    try {
      const applied = /** @type {Applied} */ (
        await call('POST', `/members/import/${encodeURIComponent(id)}/apply`)
      );
      replace(
        result,
        h(
          'p',
          { role: 'status' },
          `${applied.invited} ${applied.invited === 1 ? 'invitation' : 'invitations'} sent; ${applied.refused} rows not invited.`,
        ),
        rowsTable(
          'Import result',
          applied.rows.map((r) => [
            String(r.line),
            r.email,
            '',
            r.tier ?? '—',
            OUTCOMES[r.outcome] ?? r.outcome,
            r.detail,
          ]),
          applied.rows.map((r) => r.outcome),
        ),
      );
      onApplied();
    } catch (error) {
      replace(result, h('p', { class: 'error', role: 'alert' }, problemText(error)));
    }
  }

  replace(
    panel,
    h('h2', { id: 'import-heading' }, 'Import members from CSV'),
    h(
      'p',
      { id: 'import-help' },
      'A header row with email, and optionally name, role (user, admin, owner) and tier; at most 500 rows. You see what would happen before anything is sent.',
    ),
    h('label', { for: 'import-file' }, 'CSV file'),
    input,
    result,
  );
  return panel;
}

function rowsTable(
  /** @type {string} */ caption,
  /** @type {string[][]} */ rows,
  /** @type {string[]} */ outcomes,
) {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { 'data-testid': 'import-rows' },
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Line', 'Email', 'Role', 'Tier', 'Outcome', 'Detail'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells, i) =>
          h(
            'tr',
            { 'data-outcome': outcomes[i] },
            cells.map((c) => h('td', {}, c)),
          ),
        ),
      ),
    ),
  );
}
