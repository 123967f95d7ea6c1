// Structured JSON logs. Secrets never reach a log line: the fields below are redacted wherever
// they appear, as a second line of defence behind not logging them in the first place.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  '*.secret',
  '*.token',
  '*.clientSecret',
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
