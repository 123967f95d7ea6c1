// @ts-check
// The members page's CSV tools: "Download CSV" (the list as filtered, from GET /members.csv) and
// "Import CSV": the file is read in the browser, sent for a dry run (POST /members/import), the
// report is shown row by row, and "Send N invitations" applies exactly that report.
/* global HTMLInputElement */
import { API, call, query } from '../http.js';
import { t } from '../i18n.js';
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
const outcomeName = (/** @type {string} */ outcome) => {
  const key = `memberCsv.outcome.${outcome}`;
  const said = t(key);
  return said === key ? outcome : said;
};

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
    t('memberCsv.download'),
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
    replace(result, h('p', {}, t('memberCsv.checking')));
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
      t('memberCsv.send', { count: report.invitations }),
    );
    send.addEventListener('click', () => {
      send.setAttribute('disabled', '');
      void apply(report.id);
    });
    replace(
      result,
      h('p', {}, t('memberCsv.dryRunSummary', { invitations: report.invitations, rows: report.rows.length })),
      rowsTable(
        t('memberCsv.dryRunCaption'),
        report.rows.map((r) => [
          String(r.line),
          r.email,
          r.role,
          r.seatTier ?? r.tier ?? '—',
          outcomeName(r.outcome),
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
          t('memberCsv.sent', { invited: applied.invited, refused: applied.refused }),
        ),
        rowsTable(
          t('memberCsv.resultCaption'),
          applied.rows.map((r) => [
            String(r.line),
            r.email,
            '',
            r.tier ?? '—',
            outcomeName(r.outcome),
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
    h('h2', { id: 'import-heading' }, t('memberCsv.heading')),
    h('p', { id: 'import-help' }, t('memberCsv.help')),
    h('label', { for: 'import-file' }, t('memberCsv.file')),
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
          ['line', 'email', 'role', 'tier', 'outcome', 'detail'].map((c) =>
            h('th', { scope: 'col' }, t(`memberCsv.col.${c}`)),
          ),
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
