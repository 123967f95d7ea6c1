// The limits that keep one request's work bounded (scim/limits.ts, docs/scim.md "Limits"): each is
// answered in SCIM form with its status and scimType, and a refused request stores nothing. Also
// the per-organisation rate limit over several tokens and the cap on live tokens (through the API; on
// the command line in scim-tokens-elsewhere.test.ts).
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { MAX_LIVE_TOKENS } from '../../../provisioning/scim-tokens.js';
import {
  MAX_FILTER_TERMS,
  MAX_GROUP_PATCH_OPERATIONS,
  MAX_PAGE_BYTES,
  MAX_STRING_LENGTH,
  MAX_USER_BYTES,
  MAX_USER_PATCH_OPERATIONS,
  MAX_USERNAME_LENGTH,
  MAX_VALUES,
} from '../../../scim/limits.js';
import { apiWorld, problem } from '../../helpers/api.js';
import { createExample, listen, scimToken, setup } from '../../helpers/fixtures.js';
import {
  close,
  expectScimError,
  expectStatus,
  scimClient,
  world,
  type ScimClient,
  type World,
} from '../../helpers/scim-world.js';
import {
  oktaCreateUser,
  oktaFindUser as oktaFindUserRequest,
  oktaUserBody,
  PATCH_OP,
} from '../../helpers/scim-requests.js';
import { normaliseResource } from '../../../scim/normalise.js';
import { fromScimUser } from '../../../scim/representation.js';

type Json = Record<string, unknown>;

const patch = (Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

describe('Limits on one SCIM request', () => {
  let w: World;
  let userId: string;

  beforeAll(async () => {
    w = await world({ standard: 50, premium: 0 });
    userId = (await w.scim.send(oktaCreateUser('anna@acme.example'))).body.id as string;
  });
  afterAll(() => close(w));

  /** userNames the directory holds, read through SCIM. */
  async function userNames(): Promise<string[]> {
    const res = await w.scim.send({ method: 'GET', path: '/Users?count=1000' });
    expectStatus(res, 200);
    return (res.body.Resources as { userName: string }[]).map((u) => u.userName).sort();
  }

  /** POSTs `body`, expects a 400 SCIM Error of `scimType`, and checks that nothing was stored. */
  async function refusedCreate(body: Json, scimType: string, detail?: RegExp): Promise<void> {
    const before = await userNames();
    const res = await w.scim.send({ method: 'POST', path: '/Users', body });
    expectScimError(res, 400, detail);
    assert.equal(res.body.scimType, scimType, JSON.stringify(res.body));
    assert.deepEqual(await userNames(), before, 'nothing stored');
  }

  test('When a user PATCH has more operations than the limit, then 400 tooMany before any is applied; at the limit it is applied', async () => {
    const ops = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ op: 'replace', path: 'displayName', value: `Anna ${i}` }));
    const refused = await w.scim.send({
      method: 'PATCH',
      path: `/Users/${userId}`,
      body: patch(ops(MAX_USER_PATCH_OPERATIONS + 1)),
    });
    expectScimError(refused, 400, new RegExp(`at most ${MAX_USER_PATCH_OPERATIONS}`));
    assert.equal(refused.body.scimType, 'tooMany');
    const unchanged = await w.scim.send({ method: 'GET', path: `/Users/${userId}` });
    assert.equal(unchanged.body.displayName, 'Anna Example');

    const applied = await w.scim.send({
      method: 'PATCH',
      path: `/Users/${userId}`,
      body: patch(ops(MAX_USER_PATCH_OPERATIONS)),
    });
    expectStatus(applied, 200);
    assert.equal(applied.body.displayName, `Anna ${MAX_USER_PATCH_OPERATIONS - 1}`);
  });

  test('When a PATCH applied in slices fails late, then the error names the operation by its place in the whole PATCH', async () => {
    const ops = [
      ...Array.from({ length: 40 }, (_, i) => ({ op: 'replace', path: 'title', value: `T${i}` })),
      { op: 'replace', path: 'noSuchAttribute', value: 'x' },
    ];
    const res = await w.scim.send({ method: 'PATCH', path: `/Users/${userId}`, body: patch(ops) });
    expectScimError(res, 400, /operation 41\b/);
    const user = await w.scim.send({ method: 'GET', path: `/Users/${userId}` });
    assert.equal(user.body.title, undefined, 'nothing of the PATCH was stored');
  });

  test('When a group PATCH has more operations than its limit, then 400 tooMany', async () => {
    const group = await w.scim.send({ method: 'POST', path: '/Groups', body: { displayName: 'Limits' } });
    expectStatus(group, 201);
    const ops = Array.from({ length: MAX_GROUP_PATCH_OPERATIONS + 1 }, () => ({
      op: 'add',
      path: 'members',
      value: [{ value: userId }],
    }));
    const res = await w.scim.send({ method: 'PATCH', path: `/Groups/${group.body.id}`, body: patch(ops) });
    expectScimError(res, 400);
    assert.equal(res.body.scimType, 'tooMany');
  });

  test('When a multi-valued attribute has more values than the limit, then 400 invalidValue and nothing is stored', async () => {
    const emails = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ value: `many${i}@acme.example`, type: 'other' }));
    await refusedCreate(
      { ...oktaUserBody('many@acme.example'), emails: emails(MAX_VALUES + 1) },
      'invalidValue',
      new RegExp(`emails has ${MAX_VALUES + 1} values; at most ${MAX_VALUES}`),
    );
    const atLimit = await w.scim.send({
      method: 'POST',
      path: '/Users',
      body: { ...oktaUserBody('many@acme.example'), emails: emails(MAX_VALUES) },
    });
    expectStatus(atLimit, 201);

    // A PATCH that would grow the list past the limit is refused, and the user keeps its values.
    const grown = await w.scim.send({
      method: 'PATCH',
      path: `/Users/${atLimit.body.id}`,
      body: patch([{ op: 'add', path: 'emails', value: [{ value: 'one-more@acme.example' }] }]),
    });
    expectScimError(grown, 400, /emails would have 101 values/);
    assert.equal(grown.body.scimType, 'invalidValue');
    const kept = await w.scim.send({ method: 'GET', path: `/Users/${atLimit.body.id}` });
    assert.equal(kept.body.emails.length, MAX_VALUES);
    // A PATCH value list longer than the limit is refused before it is applied.
    const long = await w.scim.send({
      method: 'PATCH',
      path: `/Users/${atLimit.body.id}`,
      body: patch([{ op: 'replace', path: 'roles', value: emails(MAX_VALUES + 1) }]),
    });
    expectScimError(long, 400);
    assert.equal(long.body.scimType, 'invalidValue');
  });

  test('When a User body is larger than MAX_USER_BYTES, then 413 before it is parsed; a PATCH that would grow a user past it is 400 invalidValue', async () => {
    const body = fullUser('huge@acme.example');
    const res = await w.scim.send({
      method: 'POST',
      path: '/Users',
      body: { ...body, title: 't'.repeat(MAX_USER_BYTES - JSON.stringify(body).length + 20) },
    });
    expectScimError(res, 413, new RegExp(`at most ${MAX_USER_BYTES} bytes`));
    const created = await w.scim.send({ method: 'POST', path: '/Users', body });
    expectStatus(created, 201);
    const put = await w.scim.send({
      method: 'PUT',
      path: `/Users/${created.body.id}`,
      body: { ...body, nickName: 'n'.repeat(4000), title: 't'.repeat(4000) },
    });
    expectScimError(put, 413);
    const grown = await w.scim.send({
      method: 'PATCH',
      path: `/Users/${created.body.id}`,
      body: patch([
        { op: 'replace', path: 'title', value: 't'.repeat(MAX_STRING_LENGTH) },
        { op: 'replace', path: 'nickName', value: 'n'.repeat(MAX_STRING_LENGTH) },
      ]),
    });
    expectScimError(grown, 400, /bytes of JSON/);
    assert.equal(grown.body.scimType, 'invalidValue');
    const kept = await w.scim.send({ method: 'GET', path: `/Users/${created.body.id}` });
    assert.equal(kept.body.title, undefined);
    await w.scim.send({ method: 'DELETE', path: `/Users/${created.body.id}` });
  });

  test('When a string attribute is longer than the limit, then 400 invalidValue and nothing is stored (nor in a PATCH)', async () => {
    await refusedCreate(
      { ...oktaUserBody('long@acme.example'), displayName: 'x'.repeat(MAX_STRING_LENGTH + 1) },
      'invalidValue',
      new RegExp(`displayName is ${MAX_STRING_LENGTH + 1} characters long`),
    );
    await refusedCreate(
      {
        ...oktaUserBody('long@acme.example'),
        addresses: [{ type: 'work', streetAddress: 'y'.repeat(MAX_STRING_LENGTH + 1) }],
      },
      'invalidValue',
      /addresses\.streetAddress is/,
    );
    const res = await w.scim.send({
      method: 'PATCH',
      path: `/Users/${userId}`,
      body: patch([{ op: 'replace', path: 'title', value: 'z'.repeat(MAX_STRING_LENGTH + 1) }]),
    });
    expectScimError(res, 400);
    assert.equal(res.body.scimType, 'invalidValue');
  });

  test('When userName has a control character, a lone surrogate or is too long, then 400 invalidValue and nothing is stored', async () => {
    const local = 'u'.repeat(MAX_USERNAME_LENGTH - '@acme.example'.length + 1);
    for (const [userName, detail] of [
      ['bell\u0007@acme.example', /control character/],
      ['tab\t@acme.example', /control character/],
      ['del\u007f@acme.example', /control character/],
      ['half\ud800@acme.example', /lone surrogate/],
      ['\udc00half@acme.example', /lone surrogate/],
      [`${local}@acme.example`, new RegExp(`at most ${MAX_USERNAME_LENGTH}`)],
    ] as const) {
      await refusedCreate({ ...oktaUserBody('x@acme.example'), userName }, 'invalidValue', detail);
    }
    // A well-formed pair (an emoji) is text like any other.
    const emoji = await w.scim.send({
      method: 'POST',
      path: '/Users',
      body: { ...oktaUserBody('smile@acme.example'), userName: 'smile\ud83d\ude00@acme.example' },
    });
    expectStatus(emoji, 201);
    // The same through PUT and PATCH: refused, and the user keeps its name.
    const current = (await w.scim.send({ method: 'GET', path: `/Users/${userId}` })).body as Json;
    const put = await w.scim.send({
      method: 'PUT',
      path: `/Users/${userId}`,
      body: { ...current, userName: 'bell\u0007@acme.example' },
    });
    expectScimError(put, 400, /control character/);
    const patched = await w.scim.send({
      method: 'PATCH',
      path: `/Users/${userId}`,
      body: patch([{ op: 'replace', path: 'userName', value: 'half\ud800@acme.example' }]),
    });
    expectScimError(patched, 400, /lone surrogate/);
    const noPath = await w.scim.send({
      method: 'PATCH',
      path: `/Users/${userId}`,
      body: patch([{ op: 'replace', value: { userName: 'bell\u0007@acme.example' } }]),
    });
    expectScimError(noPath, 400, /control character/);
    const user = await w.scim.send({ method: 'GET', path: `/Users/${userId}` });
    assert.equal(user.body.userName, 'anna@acme.example');
  });

  test('When a list holds lists, or an extension is a list, then 400 invalidValue and nothing is stored', async () => {
    const body = oktaUserBody('nested@acme.example');
    await refusedCreate(
      { ...body, emails: [[{ value: 'nested@acme.example' }]] },
      'invalidValue',
      /list of lists/,
    );
    await refusedCreate({ ...body, roles: [[]] }, 'invalidValue', /list of lists/);
    await refusedCreate({ ...body, x: [[1]] }, 'invalidValue', /list of lists/);
    await refusedCreate(
      { ...body, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': [{ department: 'R&D' }] },
      'invalidValue',
      /must be an object/,
    );
    const res = await w.scim.send({
      method: 'PATCH',
      path: `/Users/${userId}`,
      body: patch([{ op: 'add', path: 'emails', value: [[{ value: 'n2@acme.example' }]] }]),
    });
    expectScimError(res, 400, /list of lists/);
  });

  test('When a body is not valid UTF-8, then 400 invalidSyntax and nothing is stored', async () => {
    const before = await userNames();
    const json = Buffer.from(JSON.stringify({ ...oktaUserBody('bytes@acme.example'), displayName: 'AB' }));
    // "AB" → "A", 0xFF, "B": a byte that never occurs in UTF-8.
    const bad = Buffer.from(json.toString('latin1').replace('"AB"', '"A\u00ffB"'), 'latin1');
    assert.notEqual(bad.indexOf(0xff), -1);
    for (const body of [bad, Buffer.concat([json.subarray(0, -1), Buffer.from([0xc3]), Buffer.from('}')])]) {
      const res = await fetch(`${w.server.url}/scim/v2/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/scim+json' },
        body,
      });
      const answer = { status: res.status, headers: res.headers, body: (await res.json()) as Json };
      expectScimError(answer, 400, /not valid UTF-8/);
      assert.equal(answer.body.scimType, 'invalidSyntax');
    }
    assert.deepEqual(await userNames(), before, 'nothing stored');
  });

  test('When a body declares a charset other than UTF-8, then 415 whatever the body, and nothing is listed or stored', async () => {
    const before = await userNames();
    const cases: [string, string, Buffer<ArrayBuffer>][] = [
      // A lone "{" read as UTF-16 decoded to nothing, and an empty SearchRequest listed every user.
      ['/Users/.search', 'application/json; charset=utf-16', Buffer.from('{')],
      ['/Users/.search', 'application/scim+json; charset="UTF-16LE"', Buffer.from('{}', 'utf16le')],
      [
        '/Users',
        'application/scim+json; charset=latin1',
        Buffer.from(JSON.stringify(oktaUserBody('latin@acme.example'))),
      ],
    ];
    for (const [path, contentType, body] of cases) {
      const res = await fetch(`${w.server.url}/scim/v2${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${w.token}`, 'content-type': contentType },
        body,
      });
      const answer = { status: res.status, headers: res.headers, body: (await res.json()) as Json };
      expectScimError(answer, 415, /UTF-8/);
    }
    assert.deepEqual(await userNames(), before, 'nothing stored');
    const utf8 = await fetch(`${w.server.url}/scim/v2/Users/.search`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${w.token}`,
        'content-type': 'application/scim+json; charset="utf-8"',
      },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], count: 1 }),
    });
    assert.equal(utf8.status, 200, 'a quoted UTF-8 charset is UTF-8');
  });

  test('When a filter has more terms than the limit, then 400 invalidFilter; at the limit it runs', async () => {
    const filter = (n: number) =>
      encodeURIComponent(Array.from({ length: n }, () => 'emails[value co "q"]').join(' or '));
    expectStatus(
      await w.scim.send({ method: 'GET', path: `/Users?filter=${filter(MAX_FILTER_TERMS)}` }),
      200,
    );
    const res = await w.scim.send({ method: 'GET', path: `/Users?filter=${filter(MAX_FILTER_TERMS + 1)}` });
    expectScimError(res, 400, /comparisons/);
    assert.equal(res.body.scimType, 'invalidFilter');
    const search = await w.scim.send({
      method: 'POST',
      path: '/.search',
      body: { filter: decodeURIComponent(filter(MAX_FILTER_TERMS + 1)) },
    });
    expectScimError(search, 400);
    assert.equal(search.body.scimType, 'invalidFilter');
  });
});

/** A user of nearly MAX_USER_BYTES: long display values on MAX_VALUES emails. */
function fullUser(userName: string): Json {
  const display = 'd'.repeat(Math.floor((MAX_USER_BYTES - 4000) / MAX_VALUES) - 60);
  const body = {
    ...oktaUserBody(userName),
    emails: [
      { value: userName, primary: true, type: 'work' },
      ...Array.from({ length: MAX_VALUES - 1 }, (_, k) => ({ value: `alias${k}.${userName}`, display })),
    ],
  };
  assert.ok(JSON.stringify(body).length <= MAX_USER_BYTES, String(JSON.stringify(body).length));
  return body;
}

describe('A list page within its size budget', () => {
  let w: World;
  const big: string[] = [];

  beforeAll(async () => {
    w = await world({ standard: 50, premium: 0 });
    // Users of almost MAX_USER_BYTES each: 30 of them are about twice the page budget.
    for (let i = 0; i < 30; i++) {
      const body = fullUser(`big${i}@acme.example`);
      const res = await w.scim.send({ method: 'POST', path: '/Users', body });
      expectStatus(res, 201);
      big.push(res.body.id as string);
    }
  });
  afterAll(() => close(w));

  /** totalResults of a page of none (RFC 7644 §3.4.2.4: count=0 asks only for the count). */
  async function total(path: string, body?: Json): Promise<number> {
    const res = await w.scim.send(
      body
        ? { method: 'POST', path, body: { ...body, count: 0 } }
        : { method: 'GET', path: `${path}?count=0` },
    );
    expectStatus(res, 200);
    return res.body.totalResults as number;
  }

  /** Walks every page from startIndex 1 by startIndex + itemsPerPage, as RFC 7644 §3.4.2.4 says. */
  async function walk(send: (startIndex: number) => ReturnType<World['scim']['send']>) {
    const ids: string[] = [];
    const sizes: number[] = [];
    let totals = new Set<number>();
    for (let startIndex = 1, pages = 0; pages < 50; pages++) {
      const res = await send(startIndex);
      expectStatus(res, 200);
      totals = totals.add(res.body.totalResults as number);
      assert.equal(res.body.startIndex, startIndex);
      assert.equal(res.body.itemsPerPage, res.body.Resources.length);
      ids.push(...(res.body.Resources as { id: string }[]).map((r) => r.id));
      sizes.push(res.body.itemsPerPage as number);
      if (res.body.itemsPerPage === 0 || startIndex + res.body.itemsPerPage > res.body.totalResults) break;
      startIndex += res.body.itemsPerPage as number;
    }
    return { ids, sizes, totals: [...totals] };
  }

  test('When a page of count=1000 would pass the byte budget, then itemsPerPage shrinks and paging on still returns every user once', async () => {
    const { ids, sizes, totals } = await walk((startIndex) =>
      w.scim.send({ method: 'GET', path: `/Users?count=1000&startIndex=${startIndex}` }),
    );
    const n = await total('/Users');
    assert.deepEqual(totals, [n], 'totalResults is the same on every page');
    assert.ok(sizes.length > 1, `the page was cut: ${sizes.join(', ')}`);
    assert.ok(
      sizes.every((k) => k >= 1 && k <= Math.ceil(MAX_PAGE_BYTES / (MAX_USER_BYTES / 2))),
      `pages of about the budget: ${sizes.join(', ')}`,
    );
    assert.equal(ids.length, n);
    assert.equal(new Set(ids).size, n, 'no user twice');
    for (const id of big) assert.ok(ids.includes(id));
  });

  test('When a search at the root pages past its budget, then users come first, each once, and totalResults holds', async () => {
    const group = await w.scim.send({
      method: 'POST',
      path: '/Groups',
      body: { displayName: 'After users' },
    });
    expectStatus(group, 201);
    const { ids, sizes, totals } = await walk((startIndex) =>
      w.scim.send({ method: 'POST', path: '/.search', body: { startIndex, count: 1000 } }),
    );
    const n = await total('/.search', {});
    assert.equal(n, (await total('/Users')) + 1);
    assert.deepEqual(totals, [n]);
    assert.ok(sizes.length > 1);
    assert.equal(ids.length, n);
    assert.equal(new Set(ids).size, n);
    assert.equal(ids.at(-1), group.body.id, 'the group follows every user');
  });
});

describe('Rate limit per organisation and live tokens per organisation', () => {
  test('When several tokens of one organisation share its rate, then the organisation is limited as a whole and another organisation is not', async () => {
    const ctx = await setup('2026-03-01T10:00:00Z');
    const { organisation } = await createExample(ctx);
    const other = (await createExample(ctx, { slug: 'globex' })).organisation;
    const server = await listen(ctx, {
      scimRateLimit: { perSecond: 100, burst: 100 },
      scimOrganisationRateLimit: { perSecond: 0.01, burst: 4 },
    });
    try {
      const tokens: ScimClient[] = [];
      for (let i = 0; i < 4; i++) tokens.push(scimClient(server, await scimToken(ctx, organisation.id)));
      const list = { method: 'GET', path: '/Users' } as const;
      for (const client of tokens) expectStatus(await client.send(list), 200);
      // A fifth token of the same organisation: its own bucket is full, the organisation's is not.
      const fifth = scimClient(server, await scimToken(ctx, organisation.id));
      const limited = await fifth.send(list);
      expectScimError(limited, 429, /this organisation/);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      expectScimError(await tokens[0]!.send(list), 429);
      expectStatus(await scimClient(server, await scimToken(ctx, other.id)).send(list), 200);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });

  test('When an owner creates a token beyond the cap through the API, then 409 scim_token_limit; revoking one makes room', async () => {
    const w = await apiWorld();
    try {
      const ids: number[] = [];
      for (let i = 0; i < MAX_LIVE_TOKENS; i++) {
        const res = await w.as.owner.post('/scim-tokens', { name: `IdP ${i}` });
        assert.equal(res.status, 201, res.text);
        ids.push(res.body.id as number);
      }
      const refused = await w.as.owner.post('/scim-tokens', { name: 'One too many' });
      assert.equal(refused.status, 409);
      assert.equal(problem(refused).code, 'scim_token_limit');
      const listed = await w.as.owner.get('/scim-tokens');
      assert.equal(listed.body.tokens.length, MAX_LIVE_TOKENS, 'nothing stored');
      assert.equal((await w.as.owner.delete(`/scim-tokens/${ids[0]}`)).status, 204);
      assert.equal((await w.as.owner.post('/scim-tokens', { name: 'Rotated' })).status, 201);
    } finally {
      await w.cleanup();
    }
  });

  test('When an owner asks for more tokens than the cap allows all at once, then exactly the cap is reached and the rest are 409 scim_token_limit', async () => {
    const w = await apiWorld();
    try {
      const answers = await Promise.all(
        Array.from({ length: MAX_LIVE_TOKENS + 5 }, (_, i) =>
          w.as.owner.post('/scim-tokens', { name: `IdP ${i}` }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 201).length, MAX_LIVE_TOKENS, statuses.join(' '));
      for (const refused of answers.filter((a) => a.status !== 201)) {
        assert.equal(refused.status, 409, refused.text);
        assert.equal(problem(refused).code, 'scim_token_limit');
      }
      const listed = await w.as.owner.get('/scim-tokens');
      assert.equal(listed.body.tokens.length, MAX_LIVE_TOKENS);
    } finally {
      await w.cleanup();
    }
  });
});

describe("Lists of one organisation do not hold up another's", () => {
  test("When one organisation runs a filter that scans its whole directory, then another organisation's lookup is answered before it, and the first organisation's next list waits its turn", async () => {
    const ctx = await setup('2026-03-01T10:00:00Z');
    const big = (await createExample(ctx, { seats: { standard: 10_000, premium: 0 } })).organisation;
    const small = (await createExample(ctx, { slug: 'globex' })).organisation;
    const server = await listen(ctx);
    try {
      // 6,000 users for the scan to look at, made by the directory engine as POST /Users makes them.
      const actor = { type: 'scim_token', tokenId: 0 } as const;
      await ctx.c.store.write(async (q) => {
        for (let i = 0; i < 6000; i++) {
          const input = fromScimUser(normaliseResource(oktaUserBody(`u${i}@acme.example`)));
          await ctx.c.directory.createUserIn(q, big.id, input, actor);
        }
      });
      const bigClient = scimClient(server, await scimToken(ctx, big.id));
      const smallClient = scimClient(server, await scimToken(ctx, small.id));
      // Both reader threads up: two lists at once, one per organisation, take one each.
      for (const res of await Promise.all([
        smallClient.send({ method: 'GET', path: '/Users?count=1' }),
        bigClient.send({ method: 'GET', path: '/Users?count=1' }),
      ]))
        expectStatus(res, 200);
      const scan = Array.from({ length: MAX_FILTER_TERMS }, (_, i) => `emails[value co "q${i}"]`).join(
        ' or ',
      );
      const order: string[] = [];
      const sent = (name: string, request: Promise<{ status: number }>) =>
        request.then((res) => {
          assert.equal(res.status, 200, name);
          order.push(name);
        });
      await Promise.all([
        sent('scan', bigClient.send({ method: 'GET', path: `/Users?filter=${encodeURIComponent(scan)}` })),
        sent('next of the same organisation', bigClient.send({ method: 'GET', path: '/Users?count=1' })),
        sent('lookup of another organisation', smallClient.send(oktaFindUserRequest('owner@globex.example'))),
      ]);
      assert.deepEqual(order, ['lookup of another organisation', 'scan', 'next of the same organisation']);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
    // The 6,000 creates, some twenty statements each, take seconds on SQLite; on PostgreSQL every
    // statement is a round trip to the server, and on a small, busy machine they took over three minutes.
  }, 300_000);
});
