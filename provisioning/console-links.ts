// Where emailed links point: pages of the web console, with the link's secret in the URL fragment.
// A fragment is never sent to a server (RFC 3986 §3.5: it is resolved by the user agent), so the
// secret never reaches an access log or a proxy; the console page reads it and posts it to the API.

/** The console pages a mailed secret opens. */
export type ConsolePage = 'accept-invitation' | 'sign-in' | 'confirm-transfer';

/** `https://seats.example.com/console/accept-invitation#token=…`, under any base path. */
export function consoleLink(publicBaseUrl: string, page: ConsolePage, secret: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/console/${page}#token=${encodeURIComponent(secret)}`;
}
