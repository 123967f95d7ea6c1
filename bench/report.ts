// Prints scenario results as an aligned table and turns them into the JSON written by --json.
import type { ScenarioResult } from './scenario.js';

export interface JsonFigure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly baselineName: string;
  readonly baselineValue: number;
  readonly ratio: number;
  readonly goal: string;
  readonly met: boolean;
}

export function toJson(results: readonly ScenarioResult[]): JsonFigure[] {
  return results.map((r) => ({
    name: r.name,
    unit: r.unit,
    value: round(r.value, 1),
    baselineName: r.baseline.name,
    baselineValue: round(r.baseline.value, 1),
    ratio: round(r.ratio, 3),
    goal: r.goal.description,
    met: r.goal.met,
  }));
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** 12,345 for large figures, 12.3 for small ones. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const digits = Math.abs(x) >= 100 ? 0 : 1;
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'value', 'unit', 'baseline', 'baseline value', 'ratio', 'goal', 'met'];
  const numeric = new Set([1, 4, 5]);
  const rows = results.map((r) => [
    r.name,
    formatNumber(r.value),
    r.unit,
    r.baseline.name,
    formatNumber(r.baseline.value),
    `${(r.ratio * 100).toFixed(1)} %`,
    r.goal.description,
    r.goal.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const notes = results.flatMap((r) => (r.notes ?? []).map((n) => `  ${r.name}: ${n}`));
  return [line(header), rule, ...rows.map(line), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
