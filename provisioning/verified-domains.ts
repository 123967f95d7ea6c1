// The verified-domain rule, in one place: an address belongs to an organisation's identity provider
// only when its domain is one the operator verified for that organisation. It decides where a
// sign-in by address starts, whether a person must sign in through the provider (Require single
// sign-on), and whether a first sign-in may link an account or create one (docs/sso.md, "Who gets in").
import type { Queries } from '../db/port.js';
import { emailDomain } from './members.js';

/** The lower-cased domain of an address, or null when it is not an address (and so on no domain). */
function domainOf(email: string | null): string | null {
  if (email === null) return null;
  try {
    return emailDomain(email);
  } catch {
    return null;
  }
}

/** True when `email` is on a domain verified for the organisation; false for anything not an address. */
export async function onVerifiedDomain(
  q: Pick<Queries, 'organisations'>,
  organisationId: number,
  email: string | null,
): Promise<boolean> {
  const domain = domainOf(email);
  return domain !== null && (await isVerifiedDomainOf(q, organisationId, domain));
}

/**
 * The organisation that verified the address's domain, if any. An address that is not one is a
 * ValidationError (the person typed it to start a sign-in, and is told so).
 */
export async function organisationOfVerifiedDomain(
  q: Pick<Queries, 'organisations'>,
  email: string,
): Promise<number | undefined> {
  const domain = emailDomain(email);
  for (const o of await q.organisations.all()) {
    if (await isVerifiedDomainOf(q, o.id, domain)) return o.id;
  }
  return undefined;
}

async function isVerifiedDomainOf(q: Pick<Queries, 'organisations'>, organisationId: number, domain: string) {
  return (await q.organisations.domains(organisationId)).some(
    (d) => d.domain === domain && d.verifiedAt !== null,
  );
}
