// Who waits for a seat: directory attempts refused for want of one (policy reject), recorded on the
// waiting list, and members awaiting one (policy hold); and "sync now", which seats them as far as
// seats allow.
import type { Clock } from '../../domain/clock.js';
import { SeatLimitError } from '../../domain/errors.js';
import { holdsSeat, type Actor } from '../../domain/model.js';
import type { Queries, Store } from '../../db/port.js';
import { requireOrganisation } from '../../seats/contract-state.js';
import { requireRole } from '../../seats/roles.js';
import type { SeatPool } from '../../seats/seat-pool.js';
import { Refused } from './command-forms.js';
import type { SeatSettlement } from './seat-settlement.js';
import { memberForUserName } from './users.js';

export interface WaitingListDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly seats: SeatPool;
  readonly settlement: Pick<SeatSettlement, 'mapped' | 'settleQuietly'>;
}

export function createWaitingList({ store, clock, seats, settlement }: WaitingListDeps) {
  const now = () => clock.now().toISO()!;

  /**
   * Runs a create or a reactivation (`step`) in a savepoint of the caller's write. Refused for
   * want of a seat, it leaves nothing behind, and the attempt itself is recorded for
   * administrators in the same write, so the record commits with it (and is not left for a
   * later write a shutdown could cut off); the command throws the refusal after the commit.
   */
  async function recordingRefusal<T>(
    q: Queries,
    organisationId: number,
    userName: string,
    step: () => Promise<T>,
  ): Promise<T | Refused> {
    try {
      return await q.savepoint(step);
    } catch (error) {
      if (!(error instanceof SeatLimitError)) throw error;
      await q.waitlist.record(organisationId, userName, 'scim', now());
      return new Refused(error);
    }
  }

  /** Who is waiting: refused attempts (policy reject) and members awaiting a seat (policy hold). */
  async function waiting(organisationId: number) {
    return await store.read(async (q) => ({
      refused: await q.waitlist.open(organisationId),
      awaiting: await q.directoryUsers.waiting(organisationId),
    }));
  }

  /**
   * "Sync now": seats what waits, as far as seats allow. Members awaiting a seat (policy hold)
   * first come, first served; then, with mappings on, members of a role-mapped group whom a
   * membership change could not seat (policy reject), in the order they were refused. The
   * provider will not send that membership again (its request succeeded, and Entra never re-reads
   * membership), so without this they would stay unseated after seats are bought.
   * Returns how many were seated.
   */
  async function syncNow(organisationId: number, actor: Actor): Promise<number> {
    return await store.write(async (q) => {
      await requireOrganisation(q, organisationId);
      await requireRole(q, organisationId, actor, 'admin', 'seat waiting members', { allowSystem: true });
      let seated = await seats.seatWaitingIn(q, organisationId);
      if (!(await q.groupMappings.enabled(organisationId))) return seated;
      for (const entry of await q.waitlist.open(organisationId)) {
        const member = await memberForUserName(q, organisationId, entry.userName);
        if (member?.seatState !== 'unmapped' || (await settlement.mapped(q, member)).role === null) continue;
        if (holdsSeat((await settlement.settleQuietly(q, member, actor)).seatState)) seated += 1;
      }
      return seated;
    });
  }

  return { recordingRefusal, waiting, syncNow };
}
