#!/usr/bin/env node
// Entry point of the `seatkeeper` operator command: the only CLI module that reads process.argv and
// process.env (with ./.env under it, as the server reads it). Parses the command line, builds the
// services, runs one command as the operator, and maps every outcome to output and an exit code
// (0 done, 1 refused by a rule, 2 bad arguments).
// Backup and restore work on the database file and build no services (cli/backup.ts).
import { resolve } from 'node:path';
import { pino } from 'pino';
import { FixedClock, systemClock } from '../domain/clock.js';
import { DomainError } from '../domain/errors.js';
import { ConfigError, parseConfig } from '../server/config.js';
import { buildContainer } from '../server/container.js';
import { withEnvFile } from '../server/env-file.js';
import { createLogger } from '../server/logger.js';
import { isFileCommand, parseCommandLine, UsageError, USAGE, wantsJson } from './args.js';
import { runFileCommand } from './backup.js';
import { prepareCommand, type Output } from './commands.js';
import { urls } from './views.js';

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;
/** A bug, not something the operator did (sysexits EX_SOFTWARE). */
const EXIT_INTERNAL = 70;

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = wantsJson(argv);
  try {
    const line = parseCommandLine(argv);
    if (line.kind === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const print = (output: Output) =>
      process.stdout.write(`${json ? JSON.stringify(output.data, null, 2) : output.text}\n`);
    if (isFileCommand(line.command)) {
      const config = parseConfig(withEnvFile(env));
      print(
        await runFileCommand({
          command: line.command,
          params: line.params,
          databasePath: line.db === undefined ? config.databasePath : resolve(line.db),
          busyTimeoutMs: config.dbBusyTimeoutMs,
        }),
      );
      return 0;
    }
    const run = prepareCommand({ command: line.command, params: line.params, values: line.values });
    const config = parseConfig(withEnvFile(env));
    const container = buildContainer({
      config: { ...config, databasePath: line.db === undefined ? config.databasePath : resolve(line.db) },
      clock: line.now === undefined ? systemClock : new FixedClock(line.now),
      // Warnings (a busy database) go to stderr, synchronously so none is lost at exit; stdout
      // carries only the command's output, so --json stays one parseable document.
      logger: createLogger('warn', pino.destination({ dest: 2, sync: true })),
    });
    try {
      print(run(container, urls(config.publicBaseUrl)));
    } finally {
      container.close();
    }
    return 0;
  } catch (error) {
    return report(error, json);
  }
}

/** Expected errors print their message only; a stack trace is reserved for bugs. */
function report(error: unknown, json: boolean): number {
  const fail = (code: string, message: string, hint: string, exit: number): number => {
    process.stderr.write(
      json ? `${JSON.stringify({ error: { code, message } })}\n` : `seatkeeper: ${message}\n${hint}`,
    );
    return exit;
  };
  if (error instanceof UsageError) {
    return fail('invalid_arguments', error.message, 'Run "seatkeeper help" for usage.\n', EXIT_USAGE);
  }
  if (error instanceof ConfigError) return fail('invalid_configuration', error.message, '', EXIT_USAGE);
  if (error instanceof DomainError) return fail(error.code, error.message, '', EXIT_REFUSED);
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return fail('internal_error', `unexpected error: ${detail}`, '', EXIT_INTERNAL);
}

process.exitCode = await main(process.argv.slice(2), process.env);
