#!/usr/bin/env node
// Entry point of the `seatkeeper` operator command: the only CLI module that reads process.argv and
// process.env (with ./.env under it, as the server reads it). Parses the command line, builds the
// services, runs one command as the operator, and maps every outcome to output and an exit code
// (0 done, 1 refused by a rule, 2 bad arguments: cli/exit-codes.ts).
// Backup and restore work on the database file and build no services (cli/backup.ts).
import { resolve } from 'node:path';
import { pino } from 'pino';
import { FixedClock, systemClock } from '../domain/clock.js';
import { parseConfig } from '../server/config.js';
import { buildContainer } from '../server/container.js';
import { withEnvFile } from '../server/env-file.js';
import { createLogger } from '../runtime/logger.js';
import { isFileCommand, parseCommandLine, USAGE, wantsJson } from './args.js';
import { runFileCommand } from './backup.js';
import { prepareCommand, type Output } from './commands.js';
import { EXIT_OK, failureOf } from './exit-codes.js';
import { urls } from './views.js';

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = wantsJson(argv);
  try {
    const line = parseCommandLine(argv);
    if (line.kind === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    const print = (output: Output) =>
      process.stdout.write(`${json ? JSON.stringify(output.data, null, 2) : output.text}\n`);
    const configured = parseConfig(withEnvFile(env));
    // --db and --database-url name the database for this command, over the configuration's.
    const config = {
      ...configured,
      databasePath: line.db === undefined ? configured.databasePath : resolve(line.db),
      databaseUrl: line.db !== undefined ? null : (line.databaseUrl ?? configured.databaseUrl),
    };
    if (isFileCommand(line.command)) {
      print(
        await runFileCommand({
          command: line.command,
          params: line.params,
          databasePath: config.databasePath,
          databaseUrl: config.databaseUrl,
          busyTimeoutMs: config.dbBusyTimeoutMs,
        }),
      );
      return EXIT_OK;
    }
    const run = prepareCommand({ command: line.command, params: line.params, values: line.values });
    const container = await buildContainer({
      config,
      clock: line.now === undefined ? systemClock : new FixedClock(line.now),
      // Warnings (a busy database) go to stderr, synchronously so none is lost at exit; stdout
      // carries only the command's output, so --json stays one parseable document.
      logger: createLogger('warn', pino.destination({ dest: 2, sync: true })),
    });
    try {
      print(await run(container, urls(config.publicBaseUrl)));
    } finally {
      await container.close();
    }
    return EXIT_OK;
  } catch (error) {
    return report(error, json);
  }
}

/** Writes the failure to stderr (one JSON document with --json) and answers its exit status. */
function report(error: unknown, json: boolean): number {
  const { exit, code, message, hint } = failureOf(error);
  process.stderr.write(
    json ? `${JSON.stringify({ error: { code, message } })}\n` : `seatkeeper: ${message}\n${hint}`,
  );
  return exit;
}

process.exitCode = await main(process.argv.slice(2), process.env);
