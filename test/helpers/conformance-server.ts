// What the identity providers' own suites (../shared/conformance) run against: the real server on
// 127.0.0.1 over a fresh database, one organisation with an open contract and seats to spare, and
// a SCIM token for it. The suites run as child processes; the server lives in this process, so
// they must be awaited asynchronously (a synchronous spawn would block the server they call).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { OPERATOR } from '../../domain/model.js';
import { createExample, listen, scimToken, setup, type RunningServer, type TestContext } from './fixtures.js';

/** The peer suites, kept outside the project so CI has them too (../shared/conformance/README.md). */
export const CONFORMANCE_DIR = resolve('..', 'shared', 'conformance');

/** Seats per tier: far more than either suite creates users. */
export const SEATS = { standard: 500, premium: 50 } as const;

export interface ProviderServer {
  readonly ctx: TestContext;
  readonly organisationId: number;
  readonly server: RunningServer;
  /** e.g. http://127.0.0.1:41234/scim/v2 */
  readonly base: string;
  readonly token: string;
  close(): Promise<void>;
}

export async function startProviderServer(): Promise<ProviderServer> {
  // The clock is the real time: the suites compare meta.created with real dates, and the contract
  // must be open today. The UTC date is never later than the Berlin date, so the term has begun.
  const now = new Date();
  const ctx = await setup(now.toISOString());
  const { organisation } = await createExample(ctx, {
    seats: SEATS,
    termStart: now.toISOString().slice(0, 10),
  });
  const token = await scimToken(ctx, organisation.id);
  const server = await listen(ctx);
  return {
    ctx,
    organisationId: organisation.id,
    server,
    base: `${server.url}/scim/v2`,
    token,
    async close() {
      await server.close();
      await ctx.cleanup();
    },
  };
}

/** A directory user with a work email, created as the identity provider would have. */
export async function seedUser(p: ProviderServer, email: string): Promise<void> {
  await p.ctx.c.directory.createUser(
    p.organisationId,
    {
      userName: email,
      externalId: null,
      active: true,
      displayName: 'Seed User',
      email,
      tier: null,
      resource: {
        name: { givenName: 'Seed', familyName: 'User' },
        emails: [{ value: email, type: 'work', primary: true }],
      },
    },
    OPERATOR,
  );
}

/** Seats the contract still has free, all tiers together. */
export async function freeSeats(p: ProviderServer): Promise<number> {
  return await p.ctx.c.store.read(async (q) =>
    (await q.seatPools.list(p.organisationId)).reduce((sum, t) => sum + t.allocation - t.held, 0),
  );
}

export interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node <args>` from the project root and resolves when it exits (or is killed at the timeout). */
export function runNode(args: readonly string[], timeoutMs: number): Promise<ChildResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}
