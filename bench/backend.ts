// The database a SCIM or sign-in scenario runs its servers on. The SQLite scenarios (bench/scim.ts,
// bench/sso.ts) take one of these, so that bench/postgres.ts runs the very same scenarios (same
// load, sizes and checks) on PostgreSQL by passing its own: only where the databases live, how a
// seeded directory is built, and what is said about the database differ.
import type { DatabaseOptions } from './http/seatkeeper-app.js';
import {
  copyOfTemplate,
  freshDatabasePath,
  seededTemplate,
  type Announced,
  type Template,
} from './http/templates.js';

/** A database holding the benchmark organisation, its SCIM token and `users` directory users. */
export interface SeededDirectory extends Announced {
  readonly users: number;
  /** SCIM ids of users 0..users-1, in creation (and list) order. */
  readonly publicIds: readonly string[];
  readonly seedSeconds: number;
}

export interface Backend<T extends SeededDirectory = SeededDirectory> {
  readonly dialect: 'sqlite' | 'postgres';
  /** What the notes call one server process: a "server" (SQLite) or an "instance" (PostgreSQL). */
  readonly server: string;
  /** A new, empty database for one server; `label` is lower case, digits and underscores. */
  freshDatabase(label: string): Promise<DatabaseOptions>;
  /** The seeded directory with `users` users, built on first use and shared by the run. */
  seeded(users: number): Promise<T>;
  /** The seeded directory for one server: a copy (SQLite), or the database itself (PostgreSQL). */
  seededDatabase(label: string, directory: T): DatabaseOptions;
  /** How the seeded directory was built, for the notes. */
  seedingNote(directory: T): string;
  /** Notes every scenario on this database carries (none for SQLite). */
  notes(): Promise<string[]>;
  /** CPU seconds of the database's own processes so far; undefined where it runs in the server's. */
  databaseCpu(): Promise<number | undefined>;
  /** Waits until requests in flight when a timed run ended have finished in the server. */
  settle(): Promise<void>;
}

/** SQLite files in the run's directory; seeded directories copied from templates (templates.ts). */
export const sqlite: Backend<Template> = {
  dialect: 'sqlite',
  server: 'server',
  freshDatabase: (label) => Promise.resolve({ databasePath: freshDatabasePath(label) }),
  seeded: seededTemplate,
  seededDatabase: (label, template) => ({ databasePath: copyOfTemplate(label, template) }),
  seedingNote: (t) =>
    `seeding (set-up, not measured): ${t.users.toLocaleString('en-US')} users in ${t.seedSeconds.toFixed(1)} s by the directory engine in transactions of 5,000`,
  notes: () => Promise.resolve([]),
  databaseCpu: () => Promise.resolve(undefined),
  settle: () => Promise.resolve(),
};
