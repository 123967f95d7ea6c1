// The audit log routes: filters (actor, action or action prefix, member, person, time), newest
// first, with names and event words, stable keyset pages, and the CSV export, parsed back here and
// compared with the JSON listing.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem, type ApiWorld, type Caller } from '../../helpers/api.js';
import { storedState } from '../../helpers/org-state.js';
import { recordAudit } from '../../../audit/record.js';
import { inspect } from '../../helpers/inspect.js';

interface Entry {
  id: number;
  at: string;
  actor: { type: string; id: string | null; label: string | null; name: string | null };
  action: string;
  event: string;
  subject: { type: string; id: string; label: string | null; name: string | null };
  before: unknown;
  after: unknown;
  invoiceId: number | null;
  invoiceNumber: string | null;
}

/** Every entry the JSON listing gives for `query`, following nextCursor page by page. */
async function everything(who: Pick<Caller, 'get'>, query = '', limit = 7): Promise<Entry[]> {
  const out: Entry[] = [];
  let cursor: string | null = null;
  do {
    const res = await who.get(`/audit?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status, 200, res.text);
    out.push(...(res.body.entries as Entry[]));
    cursor = res.body.nextCursor as string | null;
  } while (cursor !== null);
  return out;
}

/** RFC 4180, strictly: records end in CRLF, fields are quoted, inner quotes doubled. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    assert.equal(text[i], '"', `field at ${i} is quoted`);
    let field = '';
    i += 1;
    for (;;) {
      const quote = text.indexOf('"', i);
      assert.ok(quote >= 0, 'quoted field is closed');
      field += text.slice(i, quote);
      if (text[quote + 1] === '"') {
        field += '"';
        i = quote + 2;
      } else {
        i = quote + 1;
        break;
      }
    }
    row.push(field);
    if (text[i] === ',') {
      i += 1;
    } else {
      assert.equal(text.slice(i, i + 2), '\r\n', `record ends in CRLF at ${i}`);
      rows.push(row);
      row = [];
      i += 2;
    }
  }
  return rows;
}

/** Undoes the formula guard: one leading apostrophe was added to values that start with = + - @ tab CR or '. */
const unguard = (cell: string) => (cell.startsWith("'") ? cell.slice(1) : cell);

function asCsvRow(e: Entry): string[] {
  const text = (v: string | number | null) => (v === null ? '' : String(v));
  return [
    String(e.id),
    e.at,
    e.actor.type,
    text(e.actor.id),
    text(e.actor.label),
    e.action,
    e.subject.type,
    e.subject.id,
    text(e.subject.label),
    e.before === null ? '' : JSON.stringify(e.before),
    e.after === null ? '' : JSON.stringify(e.after),
    text(e.invoiceId),
    e.event,
    text(e.actor.name),
    text(e.subject.name),
    text(e.invoiceNumber),
  ];
}

describe('admin API: the audit log', () => {
  let w: ApiWorld;
  let tricky: { id: number };
  beforeAll(async () => {
    w = await apiWorld();
    // Changes at later times, by several actors, with names a spreadsheet would misread.
    // A session lasts 12 hours: the owner signs in again on each later day.
    const owner = () => w.signedIn(w.as.owner.memberId);
    w.clock.set('2026-03-02T10:00:00Z');
    tricky = (
      await (
        await owner()
      ).post('/api-tokens', {
        name: '=HYPERLINK("http://evil.example","x"), "quoted"\nnext',
        role: 'user',
      })
    ).body;
    await (await owner()).post('/api-tokens', { name: '-2+3', role: 'admin' });
    await (await owner()).post('/api-tokens', { name: "'apostrophe", role: 'admin' });
    w.clock.set('2026-03-03T10:00:00Z');
    await w.c.seats.unassign(w.organisationId, w.as.user.memberId, OPERATOR);
    await w.c.seats.claim(
      w.organisationId,
      w.as.user.memberId,
      { highest: true },
      { type: 'operator', name: '@ops' },
    );
    w.clock.set('2026-03-04T10:00:00Z');
    assert.equal((await (await owner()).patch('/identity', { seatExhaustion: 'hold' })).status, 200);
    w.clock.set('2026-03-01T09:00:00Z');
  });
  afterAll(() => w.cleanup());

  test('When an admin lists the log, then entries come newest first with actor and subject named', async () => {
    const res = await w.as.admin.get('/audit');
    assert.equal(res.status, 200);
    const entries = res.body.entries as Entry[];
    assert.ok(entries.length > 10);
    const ids = entries.map((e) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
    );
    const newest = entries[0]!;
    assert.equal(newest.action, 'organisation.seat_exhaustion_changed');
    assert.deepEqual(newest.actor, {
      type: 'member',
      id: String(w.as.owner.memberId),
      label: 'co-owner@acme.example',
      name: 'Owner Person',
    });
    assert.equal(newest.event, 'Seat exhaustion policy changed');
    assert.deepEqual(newest.after, { seatExhaustion: 'hold' });
    const created = entries.find(
      (e) => e.action === 'api_token.created' && e.subject.id === String(tricky.id),
    )!;
    assert.equal(created.subject.label, '=HYPERLINK("http://evil.example","x"), "quoted"\nnext');
  });

  test('When filtered by exact action or by prefix, then only those actions come back', async () => {
    const exact = await everything(w.as.admin, '&action=api_token.created');
    assert.equal(exact.length, 3);
    assert.ok(exact.every((e) => e.action === 'api_token.created'));
    const prefix = await everything(w.as.admin, '&action=seat.');
    assert.ok(prefix.length >= 2);
    assert.ok(prefix.every((e) => e.action.startsWith('seat.')));
    const all = await everything(w.as.admin, '', 500);
    assert.equal(prefix.length, all.filter((e) => e.action.startsWith('seat.')).length);
    assert.deepEqual(
      await everything(w.as.admin, '&action=seat'),
      [],
      'without the dot it is an exact action',
    );
  });

  test('When filtered by member, then only entries about that member come back', async () => {
    const about = await everything(w.as.admin, `&member=${w.as.user.memberId}`);
    assert.ok(about.length >= 3);
    assert.ok(about.every((e) => e.subject.type === 'member' && e.subject.id === String(w.as.user.memberId)));
    assert.ok(about.some((e) => e.action === 'seat.unassigned'));
    assert.equal(about[0]!.subject.label, 'user@acme.example');
  });

  test('When filtered by person, then entries by or about members whose name or email contains the text come back', async () => {
    const all = await everything(w.as.admin, '', 500);
    const byName = await everything(w.as.admin, '&person=user%20pers');
    const userId = String(w.as.user.memberId);
    const isUser = (e: Entry) =>
      (e.actor.type === 'member' && e.actor.id === userId) ||
      (e.subject.type === 'member' && e.subject.id === userId);
    assert.ok(byName.length >= 3);
    assert.deepEqual(
      byName.map((e) => e.id),
      all.filter(isUser).map((e) => e.id),
    );
    assert.ok(byName.some((e) => e.event === 'Seat unassigned' && e.subject.name === 'User Person'));
    const byEmail = await everything(w.as.admin, '&person=USER%40ACME');
    assert.deepEqual(
      byEmail.map((e) => e.id),
      byName.map((e) => e.id),
    );
    // The owner acted (API tokens, the identity change): entries by them count too.
    const owner = await everything(w.as.admin, '&person=co-owner');
    assert.ok(owner.some((e) => e.action === 'api_token.created' && e.actor.name === 'Owner Person'));
    assert.deepEqual(await everything(w.as.admin, '&person=nobody-at-all'), []);
    assert.deepEqual(await everything(w.as.admin, '&person=%25'), [], 'a % is a character, not a wildcard');
  });

  test('When an admin asks for the event types, then each action comes with its words', async () => {
    const res = await w.as.admin.get('/audit/event-types');
    assert.equal(res.status, 200);
    const types = res.body.eventTypes as { action: string; text: string }[];
    const text = Object.fromEntries(types.map((t) => [t.action, t.text]));
    assert.equal(text['seat.claimed'], 'Seat claimed');
    assert.equal(text['seat.tier_changed'], 'Tier changed');
    // Every action in this log has words of its own, not made from its name.
    const all = await everything(w.as.admin, '', 500);
    for (const e of all) assert.equal(text[e.action], e.event, e.action);
    assert.equal((await (await w.signedIn(w.as.user.memberId)).get('/audit/event-types')).status, 403);
  });

  test('When filtered by actor, then only that actor’s entries come back', async () => {
    const owner = await everything(w.as.admin, `&actorType=member&actorId=${w.as.owner.memberId}`);
    assert.equal(owner.length, 4);
    assert.ok(owner.every((e) => e.actor.type === 'member' && e.actor.id === String(w.as.owner.memberId)));
    const named = await everything(w.as.admin, '&actorType=operator&actorId=%40ops');
    assert.deepEqual(
      named.map((e) => [e.action, e.actor.label]),
      [['seat.claimed', '@ops']],
    );
  });

  test('When filtered by time, then from is inclusive and to exclusive, in any offset', async () => {
    const third = await everything(w.as.admin, '&from=2026-03-03T10:00:00Z&to=2026-03-04T10:00:00Z');
    assert.deepEqual(third.map((e) => e.action).sort(), ['seat.claimed', 'seat.unassigned']);
    const sameInBerlin = await everything(
      w.as.admin,
      `&from=${encodeURIComponent('2026-03-03T11:00:00+01:00')}&to=${encodeURIComponent('2026-03-04T11:00:00+01:00')}`,
    );
    assert.deepEqual(sameInBerlin, third);
    const byDate = await everything(w.as.admin, '&from=2026-03-04');
    assert.deepEqual(
      byDate.map((e) => e.action),
      ['organisation.seat_exhaustion_changed'],
    );
  });

  test('When paging, then pages join into the whole listing, and entries added meanwhile do not shift them', async () => {
    const whole = (await w.as.admin.get('/audit?limit=500')).body.entries as Entry[];
    const first = await w.as.admin.get('/audit?limit=5');
    assert.equal(first.body.entries.length, 5);
    await w.as.owner.patch('/identity', { provisioningMode: 'jit' }); // a new entry, newer than all
    const joined = [...(first.body.entries as Entry[])];
    for (let cursor = first.body.nextCursor as string | null; cursor !== null;) {
      const page = await w.as.admin.get(`/audit?limit=5&cursor=${cursor}`);
      joined.push(...(page.body.entries as Entry[]));
      cursor = page.body.nextCursor as string | null;
    }
    assert.deepEqual(
      joined.map((e) => e.id),
      whole.map((e) => e.id),
    );
    assert.equal(new Set(joined.map((e) => e.id)).size, joined.length);
  });

  test('When exported as CSV, then it is RFC 4180 with a header row, guarded against formulas, and parses back to the JSON listing', async () => {
    const json = await everything(w.as.admin, '', 500);
    const res = await w.as.admin.get('/audit.csv');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="audit-log\.csv"$/);
    const rows = parseCsv(res.text);
    assert.deepEqual(rows[0], [
      'id',
      'at',
      'actorType',
      'actorId',
      'actor',
      'action',
      'subjectType',
      'subjectId',
      'subject',
      'before',
      'after',
      'invoiceId',
      'event',
      'actorName',
      'subjectName',
      'invoiceNumber',
    ]);
    const body = rows.slice(1);
    assert.equal(body.length, json.length);
    // No cell a spreadsheet would evaluate: each dangerous one starts with the apostrophe.
    for (const cell of body.flat()) assert.ok(!/^[=+\-@\t\r]/.test(cell), `unguarded cell ${cell}`);
    assert.ok(body.some((r) => r.includes(`'=HYPERLINK("http://evil.example","x"), "quoted"\nnext`)));
    assert.ok(body.some((r) => r.includes("''apostrophe")));
    assert.deepEqual(
      body.map((r) => r.map(unguard)),
      json.map(asCsvRow),
    );
  });

  test('When the CSV export is filtered, then it holds exactly what the listing with the same filters holds', async () => {
    const query = `action=api_token.&from=2026-03-02&actorType=member&actorId=${w.as.owner.memberId}`;
    const json = await everything(w.as.admin, `&${query}`);
    const rows = parseCsv((await w.as.admin.get(`/audit.csv?${query}`)).text).slice(1);
    assert.equal(json.length, 3);
    assert.deepEqual(
      rows.map((r) => r.map(unguard)),
      json.map(asCsvRow),
    );
  });

  test('When filters are malformed, then 400 points at the query parameter', async () => {
    const cases: [string, string][] = [
      ['limit=0', '/limit'],
      ['limit=501', '/limit'],
      ['limit=ten', '/limit'],
      ['cursor=abc', '/cursor'],
      ['from=yesterday', '/from'],
      ['to=2026-13-45', '/to'],
      ['action=DROP%20TABLE', '/action'],
      ['member=-1', '/member'],
      ['actorType=robot', '/actorType'],
      ['actorId=5', '/actorId'],
      ['colour=red', '/colour'],
      ['from=2026-03-05&to=2026-03-01', '/to'],
    ];
    for (const [query, pointer] of cases) {
      for (const path of ['/audit', '/audit.csv']) {
        if (path === '/audit.csv' && /^(limit|cursor)/.test(query)) continue;
        const res = await w.as.admin.get(`${path}?${query}`);
        assert.equal(res.status, 400, `${path}?${query}`);
        const errors = problem(res).errors as { in: string; pointer: string }[];
        assert.deepEqual(errors[0], { ...errors[0], in: 'query', pointer }, `${path}?${query}`);
      }
    }
  });

  test('When a user asks for the log or its export, then 403 names admin', async () => {
    const stateBefore = await storedState(w);
    // A session of its own: the member was unassigned and seated again above, which ended the world's.
    const user = await w.signedIn(w.as.user.memberId);
    for (const path of ['/audit', '/audit.csv']) {
      const res = await user.get(path);
      assert.equal(res.status, 403);
      assert.equal(problem(res).requiredRole, 'admin');
      assert.ok(String(res.headers['content-type']).startsWith('application/problem+json'));
    }
    assert.deepEqual(await storedState(w), stateBefore);
  });
});

describe('admin API: exporting a large audit log', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
    // More than two export pages, written as the services write them.
    await w.c.store.write(async (q) => {
      for (let i = 0; i < 1_234; i++) {
        await recordAudit(q, {
          organisationId: w.organisationId,
          at: w.clock.now().plus({ seconds: i }).toISO()!,
          actor: { type: 'system', job: 'bulk' },
          action: i % 2 === 0 ? 'bulk.even' : 'bulk.odd',
          subjectType: 'member',
          subjectId: w.as.user.memberId,
          after: { i, note: 'a, "quoted"\r\nvalue' },
        });
      }
    });
  });
  afterAll(() => w.cleanup());

  test('When the log spans several pages, then the export streams every entry once, newest first', async () => {
    const res = await w.as.admin.get('/audit.csv');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], undefined, 'streamed, not buffered whole');
    const rows = parseCsv(res.text).slice(1);
    const total = (await inspect(w.c.store).audit(w.organisationId)).length;
    assert.equal(rows.length, total);
    const ids = rows.map((r) => Number(r[0]));
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
    );
    const odd = parseCsv((await w.as.admin.get('/audit.csv?action=bulk.odd')).text).slice(1);
    assert.equal(odd.length, 617);
    assert.deepEqual(JSON.parse(odd[0]![10]!), { i: 1_233, note: 'a, "quoted"\r\nvalue' });
  });
});
