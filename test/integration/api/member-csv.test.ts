// The member CSV export (exact bytes: BOM, quoting, formula guard, filters) and the CSV import of
// invitations: the dry run against a known pool, applying it (never over-allocating, also with two
// imports at once), re-applying it (nothing sent twice), and the bounds answered as problems.
import assert from '../../helpers/assert.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, test } from '@jest/globals';
import { HIGHEST, OPERATOR } from '../../../domain/model.js';
import { MAX_IMPORT_ROWS } from '../../../provisioning/member-csv.js';
import { apiWorld, problem, type ApiWorld, buy } from '../../helpers/api.js';
import { heldMatchesMembers } from '../../helpers/fixtures.js';
import { databaseDigest, outbox, pool } from '../../helpers/people.js';

const NOW = '2026-03-01T09:00:00.000Z';

async function admit(w: ApiWorld, email: string, displayName: string | null = null) {
  return await w.c.members.admit(
    w.organisationId,
    { email, displayName, role: 'user' },
    'manual',
    HIGHEST,
    OPERATOR,
  );
}

/** Standard: 2 seats free; premium: 1 free; pending@ invited. */
async function knownPool(w: ApiWorld): Promise<void> {
  const res = await w.as.admin.post('/invitations', { email: 'pending@acme.example', role: 'user' });
  assert.equal(res.status, 201, res.text);
  for (let i = 0; i < 93; i++) await admit(w, `filler${String(i).padStart(2, '0')}@acme.example`);
  await buy(w, { premium: 1 });
  assert.deepEqual(await pool(w), {
    premium: { allocation: 1, held: 0 },
    standard: { allocation: 100, held: 98 },
  });
}

describe('When an administrator exports members as CSV', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld(NOW);
    await admit(w, 'quote@acme.example', 'Ann "the boss", Jr.');
    await admit(w, 'formula@acme.example', '=HYPERLINK("http://evil.example","click")');
    await admit(w, 'minus@acme.example', '-2+3');
    await admit(w, 'umlaut@acme.example', 'Jörg Müller');
  });
  afterAll(() => w.cleanup());

  test('then the file is UTF-8 with a BOM, every field quoted, CRLF, formulas neutralised', async () => {
    const res = await w.as.admin.get('/members.csv?source=manual&q=%40acme.example&tier=standard');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.equal(res.headers['content-disposition'], 'attachment; filename="members.csv"');
    const at = NOW;
    const row = (email: string, name: string, role = 'user') =>
      `"${email}","${name}","${role}","seated","standard","manual","","${at}"\r\n`;
    const text = res.text;
    assert.ok(text.startsWith('\uFEFF'), 'byte order mark');
    const lines = text.slice(1).split('\r\n');
    assert.equal(lines[0], '"email","name","role","seatState","tier","source","lastActiveAt","createdAt"');
    assert.ok(text.includes(row('formula@acme.example', `'=HYPERLINK(""http://evil.example"",""click"")`)));
    assert.ok(text.includes(row('minus@acme.example', "'-2+3")));
    assert.ok(text.includes(row('quote@acme.example', 'Ann ""the boss"", Jr.')));
    assert.ok(text.includes(row('umlaut@acme.example', 'Jörg Müller')));
    assert.ok(text.endsWith('\r\n'));
  });

  test('then the filters select as the members list does', async () => {
    const res = await w.as.admin.get('/members.csv?q=umlaut');
    const lines = res.text.slice(1).trimEnd().split('\r\n');
    assert.equal(lines.length, 2);
    assert.ok(lines[1]!.startsWith('"umlaut@acme.example","Jörg Müller","user","seated"'));
    const admins = await w.as.admin.get('/members.csv?role=admin');
    assert.deepEqual(
      admins.text
        .slice(1)
        .trimEnd()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
      ['"admin@acme.example"'],
    );
  });

  test('then a user may not, and a bad filter is a problem', async () => {
    assert.equal(problem(await w.as.user.get('/members.csv')).requiredRole, 'admin');
    const bad = await w.as.admin.get('/members.csv?seatState=sleeping');
    assert.equal(bad.status, 400);
    assert.equal(problem(bad).code, 'validation_failed');
    assert.equal(problem(await w.as.admin.get('/members.csv?page=2')).code, 'validation_failed');
    assert.equal(problem(await w.as.admin.get('/members.csv?inactiveDays=0')).code, 'validation_failed');
    assert.equal(problem(await w.as.admin.get('/members.csv?sort=name')).code, 'validation_failed');
  });

  test('then the last-activity filter and order are the list’s too', async () => {
    // Nobody has signed in: never active counts as inactive, so all are listed.
    const idle = await w.as.admin.get('/members.csv?seatState=seated&inactiveDays=30&sort=lastActive');
    assert.equal(idle.status, 200);
    const listed = await w.as.admin.get(
      '/members?seatState=seated&inactiveDays=30&sort=lastActive&perPage=200',
    );
    assert.deepEqual(
      idle.text
        .slice(1)
        .trimEnd()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
      (listed.body as { members: { email: string }[] }).members.map((m) => `"${m.email}"`),
    );
  });
});

const FILE = [
  'email,name,role,tier',
  'new1@acme.example,New One,user,',
  '"new2@acme.example","Two, Jr.",admin,premium',
  'user@acme.example,,user,',
  'pending@acme.example,,user,',
  'bad-address,,,',
  'x@elsewhere.example,,,',
  'NEW1@acme.example,,,',
  'new3@acme.example,,user,premium',
  'new4@acme.example,,,',
  'new5@acme.example,,user,',
  'new6@acme.example,,owner,',
  'new7@acme.example,,boss,',
  'new8@acme.example,,user,gold',
].join('\r\n');

describe('When an administrator imports members from CSV', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld(NOW);
    await knownPool(w);
  });
  afterEach(() => w.cleanup());

  test('then the dry run says what each row would do to seats, counting the rows before it, and writes no invitation', async () => {
    const mails = (await outbox(w)).length;
    const res = await w.as.admin.post('/members/import', { csv: FILE });
    assert.equal(res.status, 201, res.text);
    const outcomes = (res.body.rows as { line: number; outcome: string; seatTier: string | null }[]).map(
      (r) => [r.line, r.outcome, r.seatTier],
    );
    assert.deepEqual(outcomes, [
      [2, 'invite', 'standard'],
      [3, 'invite', 'premium'],
      [4, 'already_member', null],
      [5, 'already_invited', null],
      [6, 'invalid_email', null],
      [7, 'domain_not_verified', null],
      [8, 'duplicate', null],
      [9, 'no_seat', null],
      [10, 'invite', 'standard'],
      [11, 'no_seat', null],
      [12, 'not_allowed', null],
      [13, 'invalid_role', null],
      [14, 'unknown_tier', null],
    ]);
    assert.equal(res.body.invitations, 3);
    assert.equal(res.body.summary.no_seat, 2);
    assert.match(res.body.id as string, /^imp_/);
    assert.equal((await outbox(w)).length, mails, 'nothing sent');
    assert.deepEqual((await pool(w)).standard, { allocation: 100, held: 98 });
  });

  test('then an owner may import owners, and the file may come with a BOM and LF line ends', async () => {
    const res = await w.as.owner.post('/members/import', {
      csv: '\uFEFFEmail,Role\nboss@acme.example,owner\n',
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.rows[0].outcome, 'invite');
  });

  test('then applying sends exactly the reviewed invitations, each holding a seat, and applying again sends nothing', async () => {
    const report = await w.as.admin.post('/members/import', { csv: FILE });
    const first = await w.as.admin.post(`/members/import/${report.body.id}/apply`);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.invited, 3);
    assert.equal(first.body.repeated, false);
    const invited = (first.body.rows as { email: string; outcome: string; tier: string | null }[])
      .filter((r) => r.outcome === 'invited')
      .map((r) => [r.email, r.tier]);
    assert.deepEqual(invited, [
      ['new1@acme.example', 'standard'],
      ['new2@acme.example', 'premium'],
      ['new4@acme.example', 'standard'],
    ]);
    assert.deepEqual(await pool(w), {
      premium: { allocation: 1, held: 1 },
      standard: { allocation: 100, held: 100 },
    });
    const sent = (await outbox(w)).filter((m) => m.kind === 'invitation').map((m) => m.recipient);
    assert.ok(['new1@acme.example', 'new2@acme.example', 'new4@acme.example'].every((e) => sent.includes(e)));
    const digest = await databaseDigest(w);
    const again = await w.as.admin.post(`/members/import/${report.body.id}/apply`);
    assert.equal(again.status, 200);
    assert.equal(again.body.repeated, true);
    assert.deepEqual(again.body.rows, first.body.rows);
    assert.equal(await databaseDigest(w), digest, 'nothing written again');
    assert.ok(await heldMatchesMembers(w, w.organisationId));
  });

  test('then two imports applied at once never hold more seats than were bought', async () => {
    const a = await w.as.admin.post('/members/import', { csv: 'email\na1@acme.example\na2@acme.example\n' });
    const b = await w.as.owner.post('/members/import', { csv: 'email\nb1@acme.example\nb2@acme.example\n' });
    // Each was reviewed against the same two free seats.
    assert.equal(a.body.invitations, 2);
    assert.equal(b.body.invitations, 2);
    const [ra, rb] = await Promise.all([
      w.as.admin.post(`/members/import/${a.body.id}/apply`),
      w.as.owner.post(`/members/import/${b.body.id}/apply`),
    ]);
    assert.equal(ra.status, 200);
    assert.equal(rb.status, 200);
    assert.equal(ra.body.invited + rb.body.invited, 2);
    const refused = [...ra.body.rows, ...rb.body.rows].filter(
      (r: { outcome: string }) => r.outcome === 'no_seat',
    );
    assert.equal(refused.length, 2);
    assert.deepEqual((await pool(w)).standard, { allocation: 100, held: 100 });
    assert.ok(await heldMatchesMembers(w, w.organisationId));
  });

  test('then a report past its hour is gone, and unknown or malformed ids are problems', async () => {
    const report = await w.as.admin.post('/members/import', { csv: 'email\nlate@acme.example\n' });
    w.clock.set('2026-03-01T10:00:01.000Z');
    const late = await w.as.admin.post(`/members/import/${report.body.id}/apply`);
    assert.equal(late.status, 410);
    assert.equal(problem(late).code, 'import_expired');
    assert.equal((await w.as.admin.post(`/members/import/imp_${'A'.repeat(22)}/apply`)).status, 404);
    assert.equal(problem(await w.as.admin.post('/members/import/12/apply')).code, 'validation_failed');
  });

  test('then the bounds and bad files are answered as problems, and users may not import', async () => {
    const many = [
      'email',
      ...Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => `p${i}@acme.example`),
    ].join('\n');
    const tooMany = await w.as.admin.post('/members/import', { csv: many });
    assert.equal(tooMany.status, 413);
    assert.equal(problem(tooMany).code, 'import_too_large');
    assert.equal(problem(tooMany).maxRows, MAX_IMPORT_ROWS);
    const big = await w.as.admin.post('/members/import', {
      csv: `email,name\na@acme.example,${'x'.repeat(50_000)}\n`,
    });
    assert.equal(big.status, 413);
    assert.equal(problem(big).code, 'import_too_large');
    const huge = await w.as.admin.post('/members/import', { csv: 'x'.repeat(70_000) });
    assert.equal(huge.status, 413);
    assert.equal(
      problem(await w.as.admin.post('/members/import', { csv: 'name\nAda\n' })).code,
      'csv_invalid',
    );
    assert.equal(
      problem(await w.as.admin.post('/members/import', { csv: 'email\n"open@acme.example\n' })).code,
      'csv_invalid',
    );
    assert.equal(problem(await w.as.admin.post('/members/import', { csv: 'email\n' })).code, 'csv_invalid');
    assert.equal(problem(await w.as.admin.post('/members/import', {})).code, 'validation_failed');
    assert.equal(problem(await w.as.admin.post('/members/import', { csv: 1 })).code, 'validation_failed');
    assert.equal(
      problem(await w.as.user.post('/members/import', { csv: 'email\na@acme.example' })).requiredRole,
      'admin',
    );
  });
});
