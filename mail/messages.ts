// The words of every mail the server sends: plain functions from facts to subject, text and HTML.
// The text part is complete on its own (many people read mail as text); the HTML part says the
// same, with every interpolated value escaped. Links are absolute URLs the caller builds.
import { DateTime } from 'luxon';

export interface MailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A value on one line: names come from people and directories, and a subject is one header line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').trim();
}

/** An instant as people read it, unambiguously: "22 January 2026 at 09:00 UTC". */
export function formatInstant(iso: string): string {
  const at = DateTime.fromISO(iso, { setZone: true }).toUTC();
  if (!at.isValid) throw new RangeError(`"${iso}" is not an ISO 8601 instant`);
  return at.setLocale('en-GB').toFormat("d MMMM yyyy 'at' HH:mm 'UTC'");
}

/** Only http(s) links are written into a mail: anything else is a caller's bug, not content. */
function requireLink(link: string): string {
  const url = new URL(link);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RangeError(`mail links must be http(s) URLs, not ${url.protocol}`);
  }
  return url.href;
}

type Block = { readonly p: string } | { readonly link: string; readonly label: string };

/** Builds both parts from one list of paragraphs and links, so they cannot say different things. */
function compose(subject: string, blocks: readonly Block[]): MailContent {
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

const IGNORE = 'If you did not expect this email, you can ignore it.';

export function invitationMail(input: {
  readonly organisationName: string;
  readonly inviterName: string | null;
  readonly link: string;
  /** ISO 8601 instant. */
  readonly expiresAt: string;
}): MailContent {
  const org = oneLine(input.organisationName);
  const inviter = input.inviterName === null ? null : oneLine(input.inviterName);
  return compose(`You are invited to join ${org}`, [
    {
      p: inviter ? `${inviter} invited you to join ${org}.` : `You have been invited to join ${org}.`,
    },
    { label: 'Accept the invitation', link: requireLink(input.link) },
    {
      p: `The link works once and expires on ${formatInstant(input.expiresAt)}. A seat is kept for you until then; after that, ask for a new invitation.`,
    },
    { p: IGNORE },
  ]);
}

export function signInLinkMail(input: {
  readonly organisationName: string;
  readonly link: string;
  readonly expiresInMinutes: number;
}): MailContent {
  const org = oneLine(input.organisationName);
  const minutes = input.expiresInMinutes === 1 ? '1 minute' : `${input.expiresInMinutes} minutes`;
  return compose(`Your sign-in link for ${org}`, [
    { p: `Use this link to sign in to ${org}.` },
    { label: 'Sign in', link: requireLink(input.link) },
    { p: `The link works once and expires in ${minutes}. Do not forward it: it signs in whoever opens it.` },
    { p: `${IGNORE} Nobody can sign in without the link.` },
  ]);
}

export function ownershipTransferMail(input: {
  readonly organisationName: string;
  readonly fromName: string;
  readonly link: string;
  /** ISO 8601 instant. */
  readonly expiresAt: string;
}): MailContent {
  const org = oneLine(input.organisationName);
  const from = oneLine(input.fromName);
  return compose(`${from} wants to make you the primary owner of ${org}`, [
    {
      p: `${from} asked to hand over the primary ownership of ${org} to you. As primary owner you are responsible for the organisation's contract and seats; ${from} stays an owner.`,
    },
    { label: 'Confirm the transfer', link: requireLink(input.link) },
    {
      p: `Nothing changes until you confirm. The link works once and expires on ${formatInstant(input.expiresAt)}.`,
    },
    { p: IGNORE },
  ]);
}

export function seatThresholdMail(input: {
  readonly organisationName: string;
  readonly tierName: string;
  /** Percent of the allocation. */
  readonly threshold: number;
  readonly held: number;
  readonly allocation: number;
  readonly billingLink: string;
}): MailContent {
  const org = oneLine(input.organisationName);
  const tier = oneLine(input.tierName);
  const left = input.allocation - input.held;
  const state =
    left <= 0
      ? `Every ${tier} seat is now in use: nobody else can be given one until seats are added or freed.`
      : `${left} ${tier} ${left === 1 ? 'seat is' : 'seats are'} left.`;
  return compose(`${org}: ${input.threshold}% of ${tier} seats in use`, [
    {
      p: `${org} now uses ${input.held} of its ${input.allocation} ${tier} seats (${input.threshold}% or more). ${state}`,
    },
    { p: 'Seats held by pending invitations count as in use.' },
    { label: 'Add seats', link: requireLink(input.billingLink) },
    {
      p: `You receive this as an owner of ${org}. It is sent once each time usage reaches ${input.threshold}%, and again only after usage has fallen below it.`,
    },
  ]);
}

export function noSeatsForSignInMail(input: {
  readonly organisationName: string;
  readonly billingLink: string;
}): MailContent {
  const org = oneLine(input.organisationName);
  return compose(`${org}: a sign-in was refused, no seats are left`, [
    {
      p: `Someone tried to sign in to ${org} for the first time through single sign-on, and was refused because no seat is available. They were told to ask an owner.`,
    },
    { label: 'Add seats', link: requireLink(input.billingLink) },
    {
      p: `Everyone refused is listed among the people waiting for a seat. You receive this as an owner of ${org}, at most once an hour however many sign-ins are refused.`,
    },
  ]);
}
