// The operator's commands on the database file itself: `backup FILE` (online, while the server
// serves) and `restore FILE` (server stopped). They open no services: a backup must not migrate the
// live database, and a restore must not open the database it is about to replace.
import { backupDatabase, restoreDatabase } from '../db/sqlite/backup.js';
import { ValidationError } from '../domain/errors.js';
import type { FileCommandName } from './args.js';
import type { Output } from './commands.js';

export interface FileCommand {
  readonly command: FileCommandName;
  readonly params: Readonly<Record<string, string>>;
  readonly databasePath: string;
  /** PostgreSQL's URL when it holds the data: its own tools back it up and restore it. */
  readonly databaseUrl: string | null;
  readonly busyTimeoutMs: number;
}

/**
 * What to run instead on PostgreSQL. Its own tools take a consistent snapshot while the instances
 * serve (pg_dump runs in one REPEATABLE READ transaction) and restore it; the schema version travels
 * in schema_migrations, so instances started on the restored database apply any newer migrations.
 */
export const POSTGRES_BACKUP_GUIDE = {
  backup:
    'The database is PostgreSQL (DATABASE_URL): back it up with its own tool, while the instances serve: ' +
    'pg_dump --format=custom --file=FILE "$DATABASE_URL". See docs/deployment.md, Backups.',
  restore:
    'The database is PostgreSQL (DATABASE_URL): with every instance stopped, restore with its own tool: ' +
    'pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" FILE, then start the instances. ' +
    'See docs/deployment.md, Backups.',
} as const;

const bytes = (n: number) => `${n.toLocaleString('en')} bytes`;

export async function runFileCommand({
  command,
  params,
  databasePath,
  databaseUrl,
  busyTimeoutMs,
}: FileCommand): Promise<Output> {
  if (databaseUrl !== null)
    throw new ValidationError(POSTGRES_BACKUP_GUIDE[command], {}, 'use_postgres_tools');
  const file = params['file'] ?? '';
  if (command === 'backup') {
    const done = await backupDatabase(databasePath, file, { busyTimeoutMs });
    return {
      data: done,
      text:
        `Backed up ${done.database} to ${done.file}: ${done.pages} pages of ${done.pageSize} bytes ` +
        `(${bytes(done.bytes)}), schema ${done.schemaVersion}, integrity ok, in ${done.ms} ms.`,
    };
  }
  const done = await restoreDatabase(file, databasePath, { busyTimeoutMs });
  return {
    data: done,
    text: [
      `Restored ${done.database} from ${done.restoredFrom}: ${done.pages} pages (${bytes(done.bytes)}), schema ${done.schemaVersion}.`,
      done.previous === null
        ? 'There was no database before.'
        : `The database as it was is kept as ${done.previous}.`,
      'Start the server: it applies any newer migrations, then serves the restored data.',
    ].join('\n'),
  };
}
