// Seeded databases, built once per run and copied for each server that needs one: seeding 100,000
// users takes the directory engine about 25 s, and three scenarios start from the same directory.
// A template is seeded inside a Seatkeeper server process (the engine's own createUser, see
// seatkeeper-server.ts seedUsers), which then closes the database cleanly (WAL checkpointed) and
// exits. The organisation and its SCIM token live in the file, so they hold in every copy.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildServer, Servers } from './child.js';
import { startServer } from './child.js';

/** One organisation with plenty of standard seats; its primary owner's invitation holds one. */
export const ORGANISATION = { slug: 'bench', standardSeats: 1_000_000 } as const;

export interface Announced {
  readonly organisationId: number;
  readonly token: string;
  readonly tokenId: number;
}

export interface Template extends Announced {
  readonly path: string;
  readonly users: number;
  /** SCIM ids of users 0..users-1, in creation (and list) order. */
  readonly publicIds: readonly string[];
  readonly seedSeconds: number;
}

let dir: string | undefined;
/** A fresh directory for one run's databases, removed when the run ends. */
export function runDir(): string {
  if (dir === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'seatkeeper-bench-http-'));
    dir = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return dir;
}

let fileCounter = 0;
export const freshDatabasePath = (label: string): string => join(runDir(), `${label}-${++fileCounter}.db`);

const templates = new Map<number, Promise<Template>>();

/** The database with `users` seeded directory users, built on first use. */
export function seededTemplate(users: number): Promise<Template> {
  let template = templates.get(users);
  if (!template) {
    template = buildTemplate(users);
    templates.set(users, template);
  }
  return template;
}

async function buildTemplate(users: number): Promise<Template> {
  const path = freshDatabasePath(`template-${users}`);
  process.stderr.write(`  seeding ${users.toLocaleString('en-US')} users …\n`);
  const server = await startServer('seatkeeper', `seed-${users}`, {
    databasePath: path,
    organisation: ORGANISATION,
  });
  try {
    const org = announced(server);
    const { publicIds, seconds } = await server.call<{ publicIds: string[]; seconds: number }>('seedUsers', {
      organisationId: org.organisationId,
      tokenId: org.tokenId,
      count: users,
    });
    return { ...org, path, users, publicIds, seedSeconds: seconds };
  } finally {
    await server.stop();
  }
}

/** The organisation a Seatkeeper server created at start. */
export function announced(server: ChildServer): Announced {
  const { organisationId, token, tokenId } = server.info;
  if (typeof organisationId !== 'number' || typeof token !== 'string' || typeof tokenId !== 'number')
    throw new Error(`${server.name} announced no organisation`);
  return { organisationId, token, tokenId };
}

/** A fresh copy of the template's database file, for one server to change. */
export function copyOfTemplate(name: string, template: Template): string {
  const path = freshDatabasePath(name.replace(/\W+/g, '-'));
  copyFileSync(template.path, path);
  return path;
}

/** A Seatkeeper server over a fresh copy of the template (the WAL checkpointed once it is open). */
export async function serverFromTemplate(
  servers: Servers,
  name: string,
  template: Template,
): Promise<ChildServer> {
  return servers.start('seatkeeper', name, { databasePath: copyOfTemplate(name, template) });
}

/** A Seatkeeper server over a new database with the benchmark organisation and its token. */
export function freshServer(servers: Servers, name: string): Promise<ChildServer> {
  return servers.start('seatkeeper', name, {
    databasePath: freshDatabasePath(name.replace(/\W+/g, '-')),
    organisation: ORGANISATION,
  });
}
