// Whether an organisation's contract lets seats be claimed or bought at a given instant.
import type { DateTime } from 'luxon';
import { ContractExpiredError, NotFoundError } from '../domain/errors.js';
import { termEnd } from '../domain/term.js';
import type { Queries } from '../db/port.js';
import type { Contract, Organisation } from '../domain/records.js';

export interface OpenContract {
  readonly organisation: Organisation;
  readonly contract: Contract;
}

export async function requireOrganisation(q: Queries, organisationId: number): Promise<Organisation> {
  const organisation = await q.organisations.byId(organisationId);
  if (!organisation) throw new NotFoundError(`No organisation with id ${organisationId}.`);
  return organisation;
}

/**
 * The organisation and its contract, if seats may be claimed now. A contract that does not renew
 * stops at its term end even before the renewal job has marked it expired; an auto-renewing one
 * keeps serving until the job rolls it into the next term.
 */
export async function requireOpenContract(
  q: Queries,
  organisationId: number,
  now: DateTime,
): Promise<OpenContract> {
  const found = await q.contracts.withOrganisation(organisationId);
  if (!found) throw new NotFoundError(`No organisation with id ${organisationId}.`);
  const { organisation, contract } = found;
  if (!contract) throw new NotFoundError(`Organisation "${organisation.slug}" has no contract.`);
  // Every claim passes here, and calendar arithmetic in a time zone is dear: only a contract that
  // can have ended (expired, or not renewing) needs its term end.
  if (contract.status === 'expired' || !contract.autoRenew) {
    const end = termEnd(contract.termStart, contract.timeZone);
    if (contract.status === 'expired' || now >= end) {
      throw new ContractExpiredError(organisation.slug, end.minus({ days: 1 }).toISODate()!);
    }
  }
  return { organisation, contract };
}
