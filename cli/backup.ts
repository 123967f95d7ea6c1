// The operator's commands on the database file itself: `backup FILE` (online, while the server
// serves) and `restore FILE` (server stopped). They open no services: a backup must not migrate the
// live database, and a restore must not open the database it is about to replace.
import { backupDatabase, restoreDatabase } from '../db/sqlite/backup.js';
import type { FileCommandName } from './args.js';
import type { Output } from './commands.js';

export interface FileCommand {
  readonly command: FileCommandName;
  readonly params: Readonly<Record<string, string>>;
  readonly databasePath: string;
  readonly busyTimeoutMs: number;
}

const bytes = (n: number) => `${n.toLocaleString('en')} bytes`;

export async function runFileCommand({
  command,
  params,
  databasePath,
  busyTimeoutMs,
}: FileCommand): Promise<Output> {
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
