// What a benchmark scenario is and returns, and the small measuring helpers scenarios share.

export interface RunOptions {
  /** Scale sizes down for a fast run (a smoke test of the benchmark, not a measurement). */
  readonly quick: boolean;
}

export interface ScenarioResult {
  readonly name: string;
  /** Unit of `value` and of the baseline's value, e.g. "ops/s". */
  readonly unit: string;
  readonly value: number;
  /** What the figure is compared with, measured in the same process and run. */
  readonly baseline: { readonly name: string; readonly value: number };
  /** value / baseline.value */
  readonly ratio: number;
  readonly goal: { readonly description: string; readonly met: boolean };
  /** Further figures worth printing under the table (latencies, sizes, counts). */
  readonly notes?: readonly string[];
}

export interface Scenario {
  readonly name: string;
  /** One row of the table, or several when a scenario measures more than one figure. */
  run(
    options: RunOptions,
  ): Promise<ScenarioResult | readonly ScenarioResult[]> | ScenarioResult | readonly ScenarioResult[];
}

export interface Timing {
  readonly ops: number;
  readonly seconds: number;
  /** Duration of each operation, in milliseconds, in the order they ran. */
  readonly latenciesMs: Float64Array;
}

/** Runs `op(i)` for i in [from, from + count) and times each call and the whole. */
export function timeOps(count: number, op: (i: number) => void, from = 0): Timing {
  const latenciesMs = new Float64Array(count);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    op(from + i);
    latenciesMs[i] = performance.now() - t0;
  }
  return { ops: count, seconds: (performance.now() - started) / 1000, latenciesMs };
}

/** timeOps for an asynchronous operation: each awaited before the next starts. */
export async function timeAsyncOps(
  count: number,
  op: (i: number) => Promise<void>,
  from = 0,
): Promise<Timing> {
  const latenciesMs = new Float64Array(count);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await op(from + i);
    latenciesMs[i] = performance.now() - t0;
  }
  return { ops: count, seconds: (performance.now() - started) / 1000, latenciesMs };
}

/** Several timings of one operation taken as one: total operations over total time. */
export function combine(timings: readonly Timing[]): Timing {
  const latenciesMs = new Float64Array(timings.reduce((n, t) => n + t.ops, 0));
  let at = 0;
  for (const t of timings) {
    latenciesMs.set(t.latenciesMs, at);
    at += t.ops;
  }
  return {
    ops: latenciesMs.length,
    seconds: timings.reduce((s, t) => s + t.seconds, 0),
    latenciesMs,
  };
}

export const opsPerSecond = (t: Timing): number => t.ops / t.seconds;

/** The q-quantile (0..1) of the latencies, nearest rank. */
export function quantile(latenciesMs: Float64Array, q: number): number {
  if (latenciesMs.length === 0) return NaN;
  const sorted = Float64Array.from(latenciesMs).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** "p50 0.41 ms, p99 1.23 ms, max 7.80 ms" */
export function latencySummary(t: Timing): string {
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  return `p50 ${ms(quantile(t.latenciesMs, 0.5))}, p99 ${ms(quantile(t.latenciesMs, 0.99))}, max ${ms(quantile(t.latenciesMs, 1))}`;
}
