// `npm run bench [-- --quick] [--only NAME]… [--json FILE]`: runs every scenario (or those whose
// name contains NAME, ignoring case), prints the machine and an aligned table of the figures, and
// with --json also writes them to FILE as an array, one object per scenario.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, formatMachine } from './machine.js';
import { formatTable, toJson } from './report.js';
import type { ScenarioResult } from './scenario.js';
import { scenarios } from './scenarios.js';

const USAGE = 'usage: npm run bench -- [--quick] [--only NAME]... [--json FILE]';

function options() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string', multiple: true },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

async function main(): Promise<number> {
  const args = options();
  if (args.help) {
    console.log(`${USAGE}\nscenarios:\n${scenarios.map((s) => `  ${s.name}`).join('\n')}`);
    return 0;
  }
  const only = (args.only ?? []).map((o) => o.toLowerCase());
  const selected = scenarios.filter(
    (s) => only.length === 0 || only.some((o) => s.name.toLowerCase().includes(o)),
  );
  if (selected.length === 0) {
    console.error(
      `no scenario matches ${only.join(', ')}; there are:\n${scenarios.map((s) => `  ${s.name}`).join('\n')}`,
    );
    return 2;
  }

  console.log(formatMachine(describeMachine()));
  console.log(
    `mode     ${args.quick ? 'quick (sizes scaled down: a smoke test, not a measurement)' : 'full'}\n`,
  );

  const results: ScenarioResult[] = [];
  const failures: string[] = [];
  for (const scenario of selected) {
    process.stderr.write(`running: ${scenario.name} …\n`);
    const started = performance.now();
    try {
      const result = await scenario.run({ quick: args.quick });
      results.push(
        ...(Array.isArray(result) ? (result as readonly ScenarioResult[]) : [result as ScenarioResult]),
      );
    } catch (error) {
      // A scenario that finds the server wrong (a 5xx, counts that disagree) fails loudly, and the
      // others still run.
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push(`${scenario.name}: ${message}`);
      process.stderr.write(`FAILED: ${scenario.name}: ${message}\n`);
    }
    process.stderr.write(`  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  console.log(formatTable(results));
  const met = results.filter((r) => r.goal.met).length;
  console.log(`\n${met} of ${results.length} goals met`);
  if (failures.length > 0) {
    console.log(
      `\n${failures.length} scenario(s) FAILED:\n${failures.map((f) => `  ${f.split('\n')[0]}`).join('\n')}`,
    );
  }

  if (args.json !== undefined) {
    const file = resolve(args.json);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(toJson(results), null, 2)}\n`);
    console.log(`figures written to ${file}`);
  }
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
