// The words of the seat-request mails: to the owners when someone asks for a seat, and to the
// person when an administrator grants or declines it. Built as mail/messages.ts builds its mails:
// a complete text part, and an HTML part saying the same with every value escaped; in the reader's
// language (i18n/locales/*.json), English when none is given.
import { escapeHtml, t, tOr, type Language } from '../i18n/index.js';
import type { MailContent, Reader } from './messages.js';

/** The tier as the reader's language names it, when its id is known. */
function tierIn(lang: Language, input: { readonly tierName: string; readonly tierId?: string }): string {
  return oneLine(
    input.tierId === undefined ? input.tierName : tOr(lang, `tier.${input.tierId}`, input.tierName),
  );
}

/** A value on one line: names and notes come from people, and a subject is one header line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').trim();
}

function compose(
  subject: string,
  paragraphs: readonly string[],
  link?: { label: string; href: string },
  lang: Language = 'en',
): MailContent {
  const url = link ? new URL(link.href) : null;
  if (url && url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RangeError(`mail links must be http(s) URLs, not ${url.protocol}`);
  }
  const blocks = [
    ...paragraphs.map((p) => ({ p })),
    ...(link && url ? [{ label: link.label, link: url.href }] : []),
  ];
  const text = blocks.map((b) => ('p' in b ? b.p : `${b.label}:\n${b.link}`)).join('\n\n') + '\n';
  const body = blocks
    .map((b) =>
      'p' in b
        ? `<p>${escapeHtml(b.p)}</p>`
        : `<p><a href="${escapeHtml(b.link)}">${escapeHtml(b.label)}</a></p>\n<p style="font-size:small;color:#555">${escapeHtml(b.link)}</p>`,
    )
    .join('\n');
  const html =
    `<!DOCTYPE html>\n<html lang="${lang}">\n<head><meta charset="utf-8"><title>` +
    escapeHtml(subject) +
    '</title></head>\n<body style="font-family:sans-serif;line-height:1.5">\n' +
    body +
    '\n</body>\n</html>\n';
  return { subject, text, html };
}

/** To each owner: someone asks for a seat. */
export function seatRequestedMail(
  input: {
    readonly organisationName: string;
    readonly requester: string;
    readonly tierName: string;
    readonly tierId?: string;
    readonly note: string | null;
    readonly refusedAtSignIn: boolean;
    readonly requestsLink: string;
  } & Reader,
): MailContent {
  const lang = input.language ?? 'en';
  const organisation = oneLine(input.organisationName);
  const requester = oneLine(input.requester);
  const tier = tierIn(lang, input);
  return compose(
    t(lang, 'mail.seatRequest.subject', { organisation, requester, tier }),
    [
      input.refusedAtSignIn
        ? t(lang, 'mail.seatRequest.refused', { requester, tier })
        : t(lang, 'mail.seatRequest.asks', { requester, tier }),
      ...(input.note ? [t(lang, 'mail.seatRequest.note', { note: input.note.trim() })] : []),
      t(lang, 'mail.seatRequest.decide', { organisation }),
    ],
    { label: t(lang, 'mail.seatRequest.open'), href: input.requestsLink },
    lang,
  );
}

/** To the person who asked: the request was granted. */
export function seatRequestGrantedMail(
  input: {
    readonly organisationName: string;
    readonly tierName: string;
    readonly tierId?: string;
    /** True when an invitation was sent (the person had no account): they accept it to get in. */
    readonly invited: boolean;
    readonly consoleLink: string;
  } & Reader,
): MailContent {
  const lang = input.language ?? 'en';
  const organisation = oneLine(input.organisationName);
  const tier = tierIn(lang, input);
  return compose(
    t(lang, 'mail.seatRequest.grantedSubject', { organisation, tier }),
    [
      input.invited
        ? t(lang, 'mail.seatRequest.grantedInvited', { organisation, tier })
        : t(lang, 'mail.seatRequest.grantedSeated', { organisation, tier }),
    ],
    input.invited ? undefined : { label: t(lang, 'mail.seatRequest.openConsole'), href: input.consoleLink },
    lang,
  );
}

/** To the person who asked: the request was declined. */
export function seatRequestDeclinedMail(
  input: {
    readonly organisationName: string;
    readonly tierName: string;
    readonly tierId?: string;
    readonly reason: string | null;
  } & Reader,
): MailContent {
  const lang = input.language ?? 'en';
  const organisation = oneLine(input.organisationName);
  const tier = tierIn(lang, input);
  return compose(
    t(lang, 'mail.seatRequest.declinedSubject', { organisation, tier }),
    [
      t(lang, 'mail.seatRequest.declined', { organisation, tier }),
      ...(input.reason ? [t(lang, 'mail.seatRequest.reason', { reason: input.reason.trim() })] : []),
      t(lang, 'mail.seatRequest.questions'),
    ],
    undefined,
    lang,
  );
}
