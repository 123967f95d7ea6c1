// SCIM tokens changed in the database by another process, the operator's command line (or, on
// PostgreSQL, another instance): a token it revokes is refused by the running server, and it keeps
// to the cap on live tokens. Each opens the test's database a second time: the SQLite file, or in
// the PostgreSQL run the test's PostgreSQL database.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPERATOR } from '../../../domain/model.js';
import { MAX_LIVE_TOKENS, TOKEN_RECHECK_MS } from '../../../provisioning/scim-tokens.js';
import { buildContainer } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';
import { createExample, setup, tempDir } from '../../helpers/fixtures.js';
import {
  close,
  expectScimError,
  expectStatus,
  scimClient,
  world,
  type World,
} from '../../helpers/scim-world.js';
import { oktaListUsers } from '../../helpers/scim-requests.js';

describe('Tenancy and authentication', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });
  afterAll(() => close(w));

  test("When a token is revoked by another process (the operator's command line), then this server refuses it within TOKEN_RECHECK_MS", async () => {
    const { ctx, server } = w;
    const issued = await ctx.c.scimTokens.create(w.orgId, 'revoked elsewhere', OPERATOR);
    const client = scimClient(server, issued.token);
    expectStatus(await client.send(oktaListUsers()), 200); // now remembered as valid
    // Another connection to the same database, as the command line (or another instance) opens it.
    const cli = await buildContainer({
      config: {
        databasePath: ctx.databasePath,
        databaseUrl: ctx.databaseUrl,
        dbBusyTimeoutMs: 5000,
        quoteTtlSeconds: 900,
      },
      clock: ctx.clock,
      logger: createLogger('silent'),
    });
    try {
      await cli.scimTokens.revoke(w.orgId, issued.record.id, OPERATOR);
    } finally {
      await cli.close();
    }
    await new Promise((resolve) => setTimeout(resolve, TOKEN_RECHECK_MS + 50));
    expectScimError(await client.send(oktaListUsers()), 401, /missing, unknown or revoked/);
  });
});

describe('Rate limit per organisation and live tokens per organisation', () => {
  test('When the operator creates a token beyond the cap on the command line, then it exits 1 with scim_token_limit', async () => {
    const ctx = await setup('2026-03-01T10:00:00Z');
    const dir = tempDir('seatkeeper-cli-');
    try {
      const { organisation } = await createExample(ctx);
      for (let i = 0; i < MAX_LIVE_TOKENS; i++)
        await ctx.c.scimTokens.create(organisation.id, `IdP ${i}`, OPERATOR);
      const root = fileURLToPath(new URL('../../..', import.meta.url));
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'cli/main.ts',
          'scim-token',
          'create',
          'acme',
          '--name',
          'One too many',
          '--json',
        ],
        {
          cwd: root,
          env: {
            ...process.env,
            ...(ctx.databaseUrl === null
              ? { DATABASE_PATH: ctx.databasePath }
              : { DATABASE_URL: ctx.databaseUrl }),
            DATA_DIR: dir,
          },
          encoding: 'utf8',
        },
      );
      assert.equal(run.status, 1, run.stderr);
      assert.match(`${run.stdout}${run.stderr}`, /scim_token_limit/);
      const live = (await ctx.c.scimTokens.list(organisation.id, OPERATOR)).filter(
        (t) => t.revokedAt === null,
      );
      assert.equal(live.length, MAX_LIVE_TOKENS);
    } finally {
      await ctx.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
