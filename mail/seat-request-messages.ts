// The words of the seat-request mails: to the owners when someone asks for a seat, and to the
// person when an administrator grants or declines it. Built as mail/messages.ts builds its mails:
// a complete text part, and an HTML part saying the same with every value escaped.
import { escapeHtml, type MailContent } from './messages.js';

/** A value on one line: names and notes come from people, and a subject is one header line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').trim();
}

function compose(
  subject: string,
  paragraphs: readonly string[],
  link?: { label: string; href: string },
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
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>' +
    escapeHtml(subject) +
    '</title></head>\n<body style="font-family:sans-serif;line-height:1.5">\n' +
    body +
    '\n</body>\n</html>\n';
  return { subject, text, html };
}

/** To each owner: someone asks for a seat. */
export function seatRequestedMail(input: {
  readonly organisationName: string;
  readonly requester: string;
  readonly tierName: string;
  readonly note: string | null;
  readonly refusedAtSignIn: boolean;
  readonly requestsLink: string;
}): MailContent {
  const org = oneLine(input.organisationName);
  const who = oneLine(input.requester);
  const tier = oneLine(input.tierName);
  return compose(
    `${org}: ${who} asks for a ${tier} seat`,
    [
      input.refusedAtSignIn
        ? `${who} was refused at sign-in because no seat was free, and asks for a ${tier} seat.`
        : `${who} asks for a ${tier} seat.`,
      ...(input.note ? [`Their note: “${input.note.trim()}”`] : []),
      `Grant or decline the request in the console. Granting gives the seat at once if one is free; otherwise add seats first. You receive this as an owner of ${org}.`,
    ],
    { label: 'Open seat requests', href: input.requestsLink },
  );
}

/** To the person who asked: the request was granted. */
export function seatRequestGrantedMail(input: {
  readonly organisationName: string;
  readonly tierName: string;
  /** True when an invitation was sent (the person had no account): they accept it to get in. */
  readonly invited: boolean;
  readonly consoleLink: string;
}): MailContent {
  const org = oneLine(input.organisationName);
  const tier = oneLine(input.tierName);
  return compose(
    `${org}: your request for a ${tier} seat was granted`,
    [
      input.invited
        ? `Your request for a ${tier} seat in ${org} was granted. A separate invitation email holds the seat for you: accept it, or sign in through your company's single sign-on, within 21 days.`
        : `Your request for a ${tier} seat in ${org} was granted: the seat is yours now.`,
    ],
    input.invited ? undefined : { label: 'Open the console', href: input.consoleLink },
  );
}

/** To the person who asked: the request was declined. */
export function seatRequestDeclinedMail(input: {
  readonly organisationName: string;
  readonly tierName: string;
  readonly reason: string | null;
}): MailContent {
  const org = oneLine(input.organisationName);
  const tier = oneLine(input.tierName);
  return compose(`${org}: your request for a ${tier} seat was declined`, [
    `Your request for a ${tier} seat in ${org} was declined.`,
    ...(input.reason ? [`The reason given: “${input.reason.trim()}”`] : []),
    'If you have questions, ask an administrator of your organisation.',
  ]);
}
