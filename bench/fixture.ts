// What every benchmark server starts from: an organisation whose term starts today (so the real
// clock is inside it), and a log sink that counts lines and surfaces warnings.
import { DateTime } from 'luxon';
import type { NewOrganisation } from '../provisioning/organisations.js';

const ZONE = 'Europe/Berlin';

export function benchOrganisation(
  slug: string,
  domain: string,
  seats: { readonly standard: number; readonly premium: number },
  name = 'Bench GmbH',
): NewOrganisation {
  return {
    slug,
    name,
    domains: [domain],
    contract: {
      termStart: DateTime.now().setZone(ZONE).toISODate()!,
      timeZone: ZONE,
      currency: 'EUR',
      autoRenew: true,
      prices: { standard: 5000, premium: 15000 },
      seats,
    },
    primaryOwner: { email: `owner@${domain}`, displayName: 'Olga Owner' },
  };
}

/**
 * A pino destination that counts log lines (so logging's CPU cost stays in the measurement without
 * file I/O) and passes warnings and errors through to stderr, where a benchmark run shows them.
 */
export function countingLogSink(label: string) {
  const log = { lines: 0, problems: 0 };
  return {
    log,
    sink: {
      write(line: string): void {
        log.lines++;
        const level = /"level":(\d+)/.exec(line);
        if (level && Number(level[1]) >= 40) {
          log.problems++;
          process.stderr.write(`[${label}] ${line}`);
        }
      },
    },
  };
}
