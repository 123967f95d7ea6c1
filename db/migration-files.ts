// The numbered migration files of a dialect (NNNN_name.sql, numbered from 1 without gaps), read in
// order. Each dialect keeps its own directory with the same numbers, so a schema version means the
// same tables on every backend.
import { readdirSync, readFileSync } from 'node:fs';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function readMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file,
      sql: readFileSync(`${dir}/${file}`, 'utf8'),
    }));
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${m.name} is out of sequence: expected number ${i + 1}`);
  });
  return migrations;
}
