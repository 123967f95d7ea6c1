// The words of every mail the server sends: plain functions from facts to subject, text and HTML,
// in the reader's language (i18n/locales/*.json; English when none is given) with instants in the
// contract's time zone. The text part is complete on its own (many people read mail as text); the
// HTML part says the same, with every interpolated value escaped. Links are absolute URLs the
// caller builds.
import { escapeHtml, formatInstant, intlLocale, t, tOr, type Language } from '../i18n/index.js';

export { formatInstant };

/** Whom a mail speaks to: their language and the contract's time zone (instants are shown in it). */
export interface Reader {
  readonly language?: Language;
  /** An IANA zone; UTC when absent. */
  readonly timeZone?: string;
}

export interface MailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** A value on one line: names come from people and directories, and a subject is one header line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').trim();
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
function compose(subject: string, blocks: readonly Block[], language: Language = 'en'): MailContent {
  const text = blocks.map((b) => ('p' in b ? b.p : `${b.label}:\n${b.link}`)).join('\n\n') + '\n';
  const body = blocks
    .map((b) =>
      'p' in b
        ? `<p>${escapeHtml(b.p)}</p>`
        : `<p><a href="${escapeHtml(b.link)}">${escapeHtml(b.label)}</a></p>\n<p style="font-size:small;color:#555">${escapeHtml(b.link)}</p>`,
    )
    .join('\n');
  const html =
    `<!DOCTYPE html>\n<html lang="${language}">\n<head><meta charset="utf-8"><title>` +
    escapeHtml(subject) +
    '</title></head>\n<body style="font-family:sans-serif;line-height:1.5">\n' +
    body +
    '\n</body>\n</html>\n';
  return { subject, text, html };
}

/** A percentage as the language writes it: 80 → "80%", "80 %". */
function percent(value: number, language: Language): string {
  return new Intl.NumberFormat(intlLocale(language), { style: 'percent', maximumFractionDigits: 0 }).format(
    value / 100,
  );
}

export function invitationMail(
  input: {
    readonly organisationName: string;
    readonly inviterName: string | null;
    readonly link: string;
    /** ISO 8601 instant. */
    readonly expiresAt: string;
  } & Reader,
): MailContent {
  const lang = input.language ?? 'en';
  const organisation = oneLine(input.organisationName);
  const inviter = input.inviterName === null ? null : oneLine(input.inviterName);
  return compose(
    t(lang, 'mail.invitation.subject', { organisation }),
    [
      {
        p: inviter
          ? t(lang, 'mail.invitation.byInviter', { inviter, organisation })
          : t(lang, 'mail.invitation.anonymous', { organisation }),
      },
      { label: t(lang, 'mail.invitation.accept'), link: requireLink(input.link) },
      {
        p: t(lang, 'mail.invitation.expiry', {
          expires: formatInstant(input.expiresAt, lang, input.timeZone),
        }),
      },
      { p: t(lang, 'mail.ignore') },
    ],
    lang,
  );
}

export function signInLinkMail(
  input: {
    readonly organisationName: string;
    readonly link: string;
    readonly expiresInMinutes: number;
  } & Reader,
): MailContent {
  const lang = input.language ?? 'en';
  const organisation = oneLine(input.organisationName);
  return compose(
    t(lang, 'mail.signInLink.subject', { organisation }),
    [
      { p: t(lang, 'mail.signInLink.intro', { organisation }) },
      { label: t(lang, 'mail.signInLink.action'), link: requireLink(input.link) },
      { p: t(lang, 'mail.signInLink.expiry', { minutes: input.expiresInMinutes }) },
      { p: t(lang, 'mail.signInLink.ignore') },
    ],
    lang,
  );
}

export function ownershipTransferMail(
  input: {
    readonly organisationName: string;
    readonly fromName: string;
    readonly link: string;
    /** ISO 8601 instant. */
    readonly expiresAt: string;
  } & Reader,
): MailContent {
  const lang = input.language ?? 'en';
  const organisation = oneLine(input.organisationName);
  const from = oneLine(input.fromName);
  return compose(
    t(lang, 'mail.ownership.subject', { from, organisation }),
    [
      { p: t(lang, 'mail.ownership.body', { from, organisation }) },
      { label: t(lang, 'mail.ownership.action'), link: requireLink(input.link) },
      {
        p: t(lang, 'mail.ownership.expiry', {
          expires: formatInstant(input.expiresAt, lang, input.timeZone),
        }),
      },
      { p: t(lang, 'mail.ignore') },
    ],
    lang,
  );
}

export function seatThresholdMail(
  input: {
    readonly organisationName: string;
    readonly tierName: string;
    /** The tier's id: its name is then said in the reader's language (`tier.<id>`). */
    readonly tierId?: string;
    /** Percent of the allocation. */
    readonly threshold: number;
    readonly held: number;
    readonly allocation: number;
    readonly billingLink: string;
  } & Reader,
): MailContent {
  const lang = input.language ?? 'en';
  const organisation = oneLine(input.organisationName);
  const tier = oneLine(
    input.tierId === undefined ? input.tierName : tOr(lang, `tier.${input.tierId}`, input.tierName),
  );
  const left = input.allocation - input.held;
  const share = percent(input.threshold, lang);
  const state =
    left <= 0 ? t(lang, 'mail.threshold.full', { tier }) : t(lang, 'mail.threshold.left', { left, tier });
  return compose(
    t(lang, 'mail.threshold.subject', { organisation, percent: share, tier }),
    [
      {
        p: `${t(lang, 'mail.threshold.usage', {
          organisation,
          held: input.held,
          allocation: input.allocation,
          tier,
          percent: share,
        })} ${state}`,
      },
      { p: t(lang, 'mail.threshold.held') },
      { label: t(lang, 'mail.addSeats'), link: requireLink(input.billingLink) },
      { p: t(lang, 'mail.threshold.footer', { organisation, percent: share }) },
    ],
    lang,
  );
}

export function noSeatsForSignInMail(
  input: {
    readonly organisationName: string;
    readonly billingLink: string;
  } & Reader,
): MailContent {
  const lang = input.language ?? 'en';
  const organisation = oneLine(input.organisationName);
  return compose(
    t(lang, 'mail.noSeats.subject', { organisation }),
    [
      { p: t(lang, 'mail.noSeats.body', { organisation }) },
      { label: t(lang, 'mail.addSeats'), link: requireLink(input.billingLink) },
      { p: t(lang, 'mail.noSeats.footer', { organisation }) },
    ],
    lang,
  );
}
