// Languages through the admin API: a member chooses only their own (PATCH /profile), only owners set
// the organisation's default (PATCH /organisation), and GET /session says which language the
// console speaks: the member's choice, else Accept-Language (q-values), else the default.
import assert from '../../helpers/assert.js';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import { acceptedLanguages, chooseLanguage } from '../../../i18n/index.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { auditOf, lastMailTo } from '../../helpers/people.js';

describe('Accept-Language (RFC 9110 §12.5.4)', () => {
  test('When ranges carry q-values, then the highest the product speaks wins, by primary language', () => {
    assert.deepEqual(acceptedLanguages('fr-CH, fr;q=0.9, de;q=0.7, it;q=0.8, *;q=0.5'), ['it', 'de']);
    assert.deepEqual(acceptedLanguages('pt-BR'), ['pt']);
    assert.deepEqual(acceptedLanguages('es;q=0.2,EN-gb;q=0.3'), ['en', 'es']);
    assert.deepEqual(acceptedLanguages('de;q=0, de-AT'), [], 'q=0 refuses German, whatever its region');
    assert.deepEqual(acceptedLanguages('de;q=nonsense, it'), ['it'], 'a malformed weight drops its range');
    assert.deepEqual(acceptedLanguages(''), []);
    assert.deepEqual(acceptedLanguages(undefined), []);
  });

  test('When choosing, then the own choice beats the header, which beats the default', () => {
    assert.equal(chooseLanguage({ own: 'pt', acceptLanguage: 'de', fallback: 'it' }), 'pt');
    assert.equal(chooseLanguage({ own: null, acceptLanguage: 'de', fallback: 'it' }), 'de');
    assert.equal(chooseLanguage({ own: null, acceptLanguage: 'fr', fallback: 'it' }), 'it');
    assert.equal(chooseLanguage({}), 'en');
  });
});

describe('admin API: languages', () => {
  let w: ApiWorld;
  beforeEach(async () => {
    w = await apiWorld();
  });
  afterEach(() => w.cleanup());

  test('When nobody chose, then the session speaks the browser’s language, else the organisation’s default (en)', async () => {
    const german = await w.as.user.get('/session').set('accept-language', 'de-DE,de;q=0.9,en;q=0.5');
    assert.equal(german.status, 200);
    assert.equal(german.body.locale, 'de');
    assert.equal(german.body.language, null);
    assert.equal(german.body.defaultLanguage, 'en');
    const none = await w.as.user.get('/session');
    assert.equal(none.body.locale, 'en');
  });

  test('When a member chooses a language, then it wins over Accept-Language, and null goes back to automatic', async () => {
    const chose = await w.as.user.patch('/profile', { language: 'it' }).set('accept-language', 'de');
    assert.equal(chose.status, 200);
    assert.deepEqual(chose.body, { language: 'it', locale: 'it' });
    const session = await w.as.user.get('/session').set('accept-language', 'de');
    assert.equal(session.body.locale, 'it');
    assert.equal(session.body.language, 'it');
    const other = await w.as.admin.get('/session').set('accept-language', 'de');
    assert.equal(other.body.locale, 'de', 'only the member who chose is affected');
    const audit = (await auditOf(w)).find((e) => e.action === 'member.language_changed');
    assert.ok(audit, 'the choice is audited');
    const back = await w.as.user.patch('/profile', { language: null }).set('accept-language', 'es');
    assert.deepEqual(back.body, { language: null, locale: 'es' });
  });

  test('When a language is not one the product speaks, then it is refused with a pointer to it', async () => {
    const res = await w.as.user.patch('/profile', { language: 'fr' });
    assert.equal(res.status, 400);
    assert.ok(JSON.stringify(problem(res)).includes('/language'));
    const extra = await w.as.user.patch('/profile', { language: 'de', memberId: w.as.admin.memberId });
    assert.equal(extra.status, 400, 'no way to name another member');
  });

  test('When an API token sets a language, then it is refused: a token has no member', async () => {
    const made = await w.as.owner.post('/api-tokens', { name: 'script', role: 'owner' });
    assert.equal(made.status, 201);
    const res = await w.withToken(made.body.token as string).patch('/profile', { language: 'de' });
    assert.equal(res.status, 403);
  });

  test('When an owner sets the default, then members who chose none get it; admins and users may not set it', async () => {
    for (const role of ['admin', 'user'] as const) {
      const refused = await w.as[role].patch('/organisation', { defaultLanguage: 'de' });
      assert.equal(refused.status, 403, `${role} may not`);
      assert.equal(problem(refused).requiredRole, 'owner');
    }
    assert.equal((await w.as.user.get('/organisation')).body.defaultLanguage, 'en');
    const set = await w.as.owner.patch('/organisation', { defaultLanguage: 'es' });
    assert.equal(set.status, 200);
    assert.equal(set.body.defaultLanguage, 'es');
    assert.equal((await w.as.user.get('/organisation')).body.defaultLanguage, 'es');
    assert.equal((await w.as.user.get('/session')).body.locale, 'es', 'no Accept-Language: the default');
    assert.equal((await w.as.user.get('/session').set('accept-language', 'pt')).body.locale, 'pt');
    const primary = await w.as.primary_owner.patch('/organisation', { defaultLanguage: 'pt' });
    assert.equal(primary.status, 200);
    assert.ok((await auditOf(w)).some((e) => e.action === 'organisation.default_language_changed'));
  });

  test('When the default is set and the invitee chose nothing, then the invitation mail is in it, its expiry in the contract’s zone', async () => {
    await w.as.owner.patch('/organisation', { defaultLanguage: 'de' });
    const invited = await w.as.admin.post('/invitations', { email: 'neu@acme.example', role: 'user' });
    assert.equal(invited.status, 201);
    const mail = await lastMailTo(w, 'neu@acme.example', 'invitation');
    assert.match(mail.subject, /^Sie sind eingeladen, .+ beizutreten$/);
    // 1 March 2026 09:00 UTC + 21 days, in the contract's zone (Europe/Berlin): 10:00 CET.
    const expires = new Intl.DateTimeFormat('de-DE', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone: 'Europe/Berlin',
      timeZoneName: 'short',
    }).format(new Date('2026-03-22T09:00:00Z'));
    assert.ok(mail.text.includes(`läuft am ${expires} ab`), mail.text);
    assert.match(expires, /10:00/);
  });
});
