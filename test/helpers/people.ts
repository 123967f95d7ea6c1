// Helpers for the admin API's people routes: what the database holds (to prove a refusal wrote
// nothing), the mail in the outbox and the secrets in its links, fresh members to act on, and API
// tokens of every role.
import { createHash } from 'node:crypto';
import type { OutboxRow } from '../../domain/records.js';
import { HIGHEST, OPERATOR, type Role } from '../../domain/model.js';
import type { ApiWorld } from './api.js';
import { inspect } from './inspect.js';
import { readStored } from './stored-rows.js';

/**
 * A digest of every row of every table, read through a second connection (stored-rows.ts), as
 * another process would see the committed state. Sessions and API tokens are left out:
 * authenticating a request starts no change of the organisation, but a token's first use records
 * its `last_used_at`.
 */
export async function databaseDigest(w: ApiWorld): Promise<string> {
  return await readStored(w, async (db) => {
    const hash = createHash('sha256');
    for (const name of await db.tables()) {
      if (name === 'sessions' || name === 'api_tokens') continue;
      hash.update(name);
      hash.update(JSON.stringify(await db.rowsOf(name)));
    }
    return hash.digest('hex');
  });
}

/** Every mail in the outbox, oldest first. */
export async function outbox(w: ApiWorld): Promise<OutboxRow[]> {
  return await w.c.store.read((q) => q.outbox.list(0, 10_000));
}

/** The secret a mailed link carries in its fragment (`…#token=…`). */
export function tokenIn(text: string): string {
  const match = /#token=([\w%-]+)/.exec(text);
  if (!match) throw new Error(`no link with a token in:\n${text}`);
  return decodeURIComponent(match[1]!);
}

/** The newest mail to `to`, of `kind`. */
export async function lastMailTo(w: ApiWorld, to: string, kind?: string): Promise<OutboxRow> {
  const mail = (await outbox(w))
    .filter((m) => m.recipient === to && (kind === undefined || m.kind === kind))
    .at(-1);
  if (!mail) throw new Error(`no mail to ${to}`);
  return mail;
}

let counter = 0;

/** A new seated member (added by the operator), to act on without disturbing the world's callers. */
export async function seatedMember(
  w: ApiWorld,
  role: Exclude<Role, 'primary_owner'> = 'user',
  name?: string,
) {
  counter += 1;
  return await w.c.members.admit(
    w.organisationId,
    { email: `${name ?? `${role}${counter}`}@acme.example`, displayName: name ?? null, role },
    'manual',
    HIGHEST,
    OPERATOR,
  );
}

/** An API token of each role an owner can give, created through the API. */
export async function tokensOfEachRole(w: ApiWorld): Promise<Record<'owner' | 'admin' | 'user', string>> {
  const tokens = {} as Record<'owner' | 'admin' | 'user', string>;
  for (const role of ['owner', 'admin', 'user'] as const) {
    const res = await w.as.owner.post('/api-tokens', { name: `${role} script`, role });
    if (res.status !== 201) throw new Error(`token: ${res.status} ${res.text}`);
    tokens[role] = res.body.token as string;
  }
  return tokens;
}

/** The audit rows of the organisation, oldest first. */
export async function auditOf(w: ApiWorld) {
  return await inspect(w.c.store).audit(w.organisationId);
}

/** Seats held and allocated per tier. */
export async function pool(w: ApiWorld): Promise<Record<string, { allocation: number; held: number }>> {
  return Object.fromEntries(
    (await inspect(w.c.store).pool(w.organisationId)).map((t) => [
      t.tierId,
      { allocation: t.allocation, held: t.held },
    ]),
  );
}
