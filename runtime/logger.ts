// Structured JSON logs. Secrets never reach a log line: the fields below are redacted wherever
// they appear, as a second line of defence behind not logging them in the first place.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Header fields that carry credentials: wherever a request's or a response's headers are logged. */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-csrf-token'];

/**
 * Fields that hold a secret, at the top of a log object or one level down (pino's paths match
 * exactly that deep): credentials, bearer and session tokens, the SMTP URL (it may hold a password),
 * an OIDC client secret, codes and tokens of the OIDC exchange, and SAML messages, whose assertion
 * is a bearer credential until it expires.
 */
const SECRET_FIELDS = [
  'password',
  'pass',
  'secret',
  'token',
  'clientSecret',
  'client_secret',
  'smtpUrl',
  'sessionSecret',
  'csrfToken',
  'codeVerifier',
  'code_verifier',
  'access_token',
  'id_token',
  'refresh_token',
  'SAMLResponse',
  'samlResponse',
  'assertion',
];

const REDACT = [
  ...['req', 'res', 'request', 'response'].flatMap((where) =>
    SECRET_HEADERS.map((h) => `${where}.headers["${h}"]`),
  ),
  ...SECRET_HEADERS.map((h) => `headers["${h}"]`),
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]),
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      // The process id tells the processes of a cluster (WORKERS > 1) apart.
      base: { service: 'seatkeeper', pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
