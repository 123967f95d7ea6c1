// Whom a mail speaks to: a member's language (their own choice, else their organisation's default;
// a mail has no Accept-Language) and the contract's time zone, in which instants are shown.
import type { Queries } from '../db/port.js';
import type { Reader } from './messages.js';

export async function readerOf(
  q: Pick<Queries, 'languages' | 'contracts'>,
  organisationId: number,
  memberId: number | null,
): Promise<Required<Reader>> {
  const chosen = memberId === null ? undefined : await q.languages.ofMember(organisationId, memberId);
  return {
    language: chosen ? (chosen.own ?? chosen.fallback) : await q.languages.ofOrganisation(organisationId),
    timeZone: (await q.contracts.byOrganisation(organisationId))?.timeZone ?? 'UTC',
  };
}
