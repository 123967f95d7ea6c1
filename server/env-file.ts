// The `.env` file: configuration kept beside the server instead of in its environment. Read once at
// start-up by the entry points (server/main.ts, cli/main.ts), which then parse the merged values
// with parseConfig like any environment.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './config.js';

/** The file read, in the working directory of the server or the command. */
export const ENV_FILE = '.env';

/**
 * The environment with `path`'s assignments under it: a key the environment sets, even to the
 * empty string, wins over the file, so a deployment can override one value without editing the
 * file. The syntax is the usual `.env` one (Node's parser): `KEY=value` lines, `#` comments,
 * values in single, double or back quotes (double quotes expand `\n`), an optional `export `.
 * No file is no error; a file that cannot be read is a ConfigError naming it.
 */
export function withEnvFile(
  env: Readonly<Record<string, string | undefined>>,
  path = resolve(ENV_FILE),
): Record<string, string | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ...env };
    throw new ConfigError([`${path}: cannot be read (${code ?? String(error)})`]);
  }
  const file = parseEnv(text);
  const merged: Record<string, string | undefined> = { ...file };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  return merged;
}
