// The HTML pages the sign-in routes answer with: one layout, and the ways on that every page ending
// a sign-in offers (sign in again, ask for a seat). Text comes from the i18n catalogue.
import type { Response } from 'express';
import { escapeHtml, t, type Language } from '../i18n/index.js';

/** Where the console's sign-in page is: the way on from every page here that ends a sign-in. */
const CONSOLE_SIGN_IN = '/console/sign-in';

/** Answers with a page: `title` as heading, `body` as HTML already escaped by the caller. */
export function page(
  res: Response,
  status: number,
  title: string,
  body: string,
  lang: Language = 'en',
): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
        '<meta name="viewport" content="width=device-width, initial-scale=1">' +
        '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d1d1f}' +
        'h1{font-size:1.4rem}code{background:#f2f2f2;padding:.1rem .3rem;border-radius:.2rem}</style></head>' +
        `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
    );
}

/** A link to sign in again, to the organisation's sign-in when it is known. */
export function signInAgain(lang: Language, organisationSlug?: string): string {
  const href = organisationSlug
    ? `${CONSOLE_SIGN_IN}?org=${encodeURIComponent(organisationSlug)}`
    : CONSOLE_SIGN_IN;
  return `<p><a href="${escapeHtml(href)}" data-testid="sign-in-again">${escapeHtml(t(lang, 'sso.page.signInAgain'))}</a></p>`;
}

/**
 * A refusal for want of a seat carries a single-use ticket for the identity the provider asserted
 * (provisioning/seat-requests.ts): the console page it opens asks the administrators for a seat.
 * The ticket rides in the fragment, which browsers never send to a server.
 */
export function askForSeat(lang: Language, ticket: unknown): string {
  if (typeof ticket !== 'string') return '';
  const href = `/console/ask-for-seat#token=${encodeURIComponent(ticket)}`;
  return `<p><a href="${escapeHtml(href)}" data-testid="ask-for-seat">${escapeHtml(t(lang, 'sso.page.askForSeat'))}</a></p>`;
}

/** The page for someone the request signs nobody in for. */
export function notSignedIn(res: Response, lang: Language): void {
  page(
    res,
    401,
    t(lang, 'sso.page.notSignedIn'),
    `<p>${escapeHtml(t(lang, 'sso.page.signInThroughOrganisation'))}</p>${signInAgain(lang)}`,
    lang,
  );
}
