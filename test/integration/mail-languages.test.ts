// Every mail in its reader's language, delivered to a real SMTP server on 127.0.0.1: the member's
// own choice, else the organisation's default (a mail has no Accept-Language), with instants in the
// contract's time zone (Europe/Berlin in the example), and the owners' notices each in the owner's.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import request from 'supertest';
import { API_PATH } from '../../api/router.js';
import type { Language } from '../../i18n/index.js';
import { apiWorld, type ApiWorld } from '../helpers/api.js';
import { startSmtp, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp.js';

const NOW = '2026-03-01T09:00:00Z';

/** A sign-in link mail in each language, written out: subject and the line that says how long. */
const SIGN_IN: Readonly<Record<Language, { subject: string; expiry: string }>> = {
  en: { subject: 'Your sign-in link for Acme GmbH', expiry: 'expires in 15 minutes' },
  de: { subject: 'Ihr Anmeldelink für Acme GmbH', expiry: 'läuft in 15 Minuten ab' },
  it: { subject: 'Il tuo link di accesso a Acme GmbH', expiry: 'scade tra 15 minuti' },
  es: { subject: 'Su enlace de inicio de sesión para Acme GmbH', expiry: 'caduca en 15 minutos' },
  pt: { subject: 'Seu link de acesso a Acme GmbH', expiry: 'expira em 15 minutos' },
};

describe('Mail in the reader’s language over SMTP', () => {
  let smtp: TestSmtpServer;
  let w: ApiWorld;

  beforeEach(async () => {
    smtp = await startSmtp();
    w = await apiWorld(NOW, { mail: { smtpUrl: smtp.url, from: 'Seatkeeper <no-reply@seats.example.com>' } });
  });
  afterEach(async () => {
    await w.c.mail.stop();
    await w.cleanup();
    await smtp.close();
  });

  const delivered = async (to: string): Promise<ReceivedMail> => {
    await w.c.mail.runOnce();
    const mail = smtp.messages.filter((m) => m.envelopeTo.includes(to)).at(-1);
    assert.ok(mail, `a mail to ${to}`);
    return mail;
  };

  test('When a member who chose a language asks for a sign-in link, then the mail arrives in it, for each of the five', async () => {
    for (const lang of ['en', 'de', 'it', 'es', 'pt'] as const) {
      w.clock.advance({ hours: 1 }); // past any limit on links asked for in a row
      await w.c.store.write((q) => q.languages.setMember(w.organisationId, w.as.user.memberId, lang));
      const asked = await request(w.app)
        .post(`${API_PATH}/sign-in-links`)
        .set('accept-language', 'de') // the browser that asked is not the one that reads the mail
        .send({ organisation: 'acme', email: w.as.user.email });
      assert.equal(asked.status, 202);
      const mail = await delivered(w.as.user.email);
      assert.equal(mail.subject, SIGN_IN[lang].subject);
      assert.ok(mail.text.includes(SIGN_IN[lang].expiry), mail.text);
      assert.match(mail.html, new RegExp(`<html lang="${lang}">`));
    }
  });

  test('When the invitee chose nothing, then the invitation is in the organisation’s default, its expiry in the contract’s zone', async () => {
    assert.equal((await w.as.owner.patch('/organisation', { defaultLanguage: 'it' })).status, 200);
    const invited = await w.as.admin.post('/invitations', { email: 'nuovo@acme.example', role: 'user' });
    assert.equal(invited.status, 201);
    const mail = await delivered('nuovo@acme.example');
    assert.equal(mail.subject, 'Sei invitato a unirti a Acme GmbH');
    assert.match(mail.text, /Admin Person ti ha invitato a unirti a Acme GmbH\./);
    // Sent 1 March 2026 09:00 UTC, valid 21 days: 22 March 10:00 in Berlin (CET), not 09:00 UTC.
    const expires = new Intl.DateTimeFormat('it-IT', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone: 'Europe/Berlin',
      timeZoneName: 'short',
    }).format(new Date('2026-03-22T09:00:00Z'));
    assert.match(expires, /22 marzo 2026.*10:00/);
    assert.ok(mail.text.includes(`scade il ${expires}.`), mail.text);
    assert.ok(!mail.text.includes('UTC'), 'not in UTC');
  });

  test('When a member asks for a seat and is declined, then the owners hear of it and the member of the answer each in their own language', async () => {
    await w.c.store.write(async (q) => {
      await q.languages.setMember(w.organisationId, w.as.user.memberId, 'pt');
      await q.languages.setMember(w.organisationId, w.as.primary_owner.memberId, 'it');
    });
    const asked = await w.as.user.post('/seat-requests', { tier: 'premium', note: 'Preciso do Claude Code' });
    assert.equal(asked.status, 201, JSON.stringify(asked.body));
    const toOwner = await delivered(w.as.primary_owner.email);
    assert.equal(toOwner.subject, 'Acme GmbH: User Person (user@acme.example) chiede un posto premium');
    assert.ok(toOwner.text.includes('La sua nota: “Preciso do Claude Code”'), toOwner.text);
    const requestId = (asked.body as { id: number }).id;
    const declined = await w.as.admin.post(`/seat-requests/${requestId}/decline`, {
      reason: 'Sem orçamento',
    });
    assert.equal(declined.status, 200);
    const toMember = await delivered(w.as.user.email);
    assert.equal(toMember.subject, 'Acme GmbH: seu pedido de um assento premium foi recusado');
    assert.ok(toMember.text.includes('O motivo informado: “Sem orçamento”'), toMember.text);
  });

  test('When usage reaches a threshold, then each owner is told in their own language', async () => {
    await w.c.store.write(async (q) => {
      await q.languages.setMember(w.organisationId, w.as.primary_owner.memberId, 'de');
      await q.languages.setMember(w.organisationId, w.as.owner.memberId, 'es');
    });
    // The next standard seat taken crosses this percentage of the tier's 100 seats.
    const usage = await w.as.owner.get('/usage');
    const standard = (usage.body.tiers as { id: string; held: number; allocation: number }[]).find(
      (t) => t.id === 'standard',
    )!;
    assert.equal(standard.allocation, 100);
    const next = standard.held + 1;
    assert.equal((await w.as.owner.put('/usage/thresholds', { thresholds: [next] })).status, 200);
    const invited = await w.as.admin.post('/invitations', { email: 'more@acme.example', role: 'user' });
    assert.equal(invited.status, 201);
    await w.c.mail.runOnce();
    const notice = (to: string) =>
      smtp.messages.filter((m) => m.envelopeTo.includes(to) && m.subject.includes(`${next}`)).at(-1);
    const german = notice(w.as.primary_owner.email);
    const spanish = notice(w.as.owner.email);
    assert.ok(german && spanish, smtp.messages.map((m) => `${m.envelopeTo.join()}: ${m.subject}`).join('\n'));
    // German and Spanish put a (no-break) space before the percent sign.
    assert.match(german.subject, new RegExp(`^Acme GmbH: ${next}\\s% der Standard-Plätze belegt$`));
    assert.match(german.text, /Plätze hinzufügen:/);
    assert.match(spanish.subject, new RegExp(`^Acme GmbH: ${next}\\s% de los asientos estándar en uso$`));
    assert.match(spanish.text, /Agregar asientos:/);
  });
});
