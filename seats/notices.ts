// The owners' notices: seat-usage thresholds (mailed once per crossing, re-armed when usage falls
// back below) and "a sign-in was refused for want of a seat", each mailed to the seated owners in
// the transaction of the change that causes it, and each organisation's threshold setting.
import type { Clock } from '../domain/clock.js';
import { ValidationError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';
import type { Queries, Store } from '../db/port.js';
import type { HeldCount, Organisation } from '../domain/records.js';
import { enqueueMail, type MailKind } from '../mail/outbox.js';
import { noSeatsForSignInMail, seatThresholdMail, type MailContent, type Reader } from '../mail/messages.js';
import { readerOf } from '../mail/reader.js';
import { requireOrganisation } from './contract-state.js';
import { requireRole } from './roles.js';
import { recordAudit } from '../audit/record.js';

/** Product rule: owners hear at 80, 90 and 100 % of a tier unless they choose otherwise. */
export const DEFAULT_NOTICE_THRESHOLDS: readonly number[] = Object.freeze([80, 90, 100]);
export const MAX_NOTICE_THRESHOLDS = 5;

const NOTICES_JOB: Actor = { type: 'system', job: 'owner-notices' };

/**
 * Where an owner adds seats, for the links in notices. The console's billing page; one place to
 * change if its address changes.
 */
export function billingLink(publicBaseUrl: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/console/billing`;
}

/**
 * Checks an owner's thresholds: whole percents 1–100, no repeats, at most five; returned in
 * ascending order. An empty list turns threshold notices off.
 */
export function validateNoticeThresholds(input: unknown): number[] {
  const problem = (message: string): never => {
    throw new ValidationError(message, { thresholds: input }, 'invalid_notice_thresholds');
  };
  if (!Array.isArray(input)) return problem('Seat notice thresholds must be a list of percentages.');
  if (input.length > MAX_NOTICE_THRESHOLDS) {
    problem(`At most ${MAX_NOTICE_THRESHOLDS} seat notice thresholds can be set.`);
  }
  for (const t of input as unknown[]) {
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > 100) {
      problem(`Seat notice thresholds are whole percentages from 1 to 100; ${JSON.stringify(t)} is not.`);
    }
  }
  const sorted = [...(input as number[])].sort((a, b) => a - b);
  if (sorted.some((t, i) => i > 0 && t === sorted[i - 1])) {
    problem('Each seat notice threshold can be given once.');
  }
  return sorted;
}

/** Thresholds (percent) the claim that left the tier at `held` reached: usage went from below to at or above. */
export function reachedBy(thresholds: readonly number[], held: number, allocation: number): number[] {
  return thresholds.filter((t) => 100 * held >= t * allocation && 100 * (held - 1) < t * allocation);
}

/** True when the release that left the tier at `held` took usage below one of the thresholds. */
export function fellBelowAny(thresholds: readonly number[], held: number, allocation: number): boolean {
  return thresholds.some((t) => 100 * held < t * allocation && 100 * (held + 1) >= t * allocation);
}

export interface OwnerNoticesDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** For the links in mails. */
  readonly publicBaseUrl: string;
}

export type OwnerNotices = ReturnType<typeof createOwnerNotices>;

export function createOwnerNotices({ store, clock, publicBaseUrl }: OwnerNoticesDeps) {
  // The stored setting is a short JSON text shared by every claim of the organisation: parse each
  // distinct text once. Bounded, as texts are few (owners choose among at most 5 of 100 values).
  const parsed = new Map<string, readonly number[]>();
  function thresholdsOf(json: string): readonly number[] {
    let list = parsed.get(json);
    if (list === undefined) {
      try {
        list = validateNoticeThresholds(JSON.parse(json));
      } catch {
        list = DEFAULT_NOTICE_THRESHOLDS; // a hand-edited row must not break seat claims
      }
      if (parsed.size < 1000) parsed.set(json, list);
    }
    return list;
  }

  /** Enqueues one mail per seated owner and primary owner, each in their language; returns how many. */
  async function mailOwners(
    q: Queries,
    organisation: Organisation,
    kind: MailKind,
    content: (reader: Reader) => MailContent,
    at: string,
  ): Promise<number> {
    const owners = await q.notices.owners(organisation.id);
    for (const owner of owners) {
      const mail = content(await readerOf(q, organisation.id, owner.memberId));
      await enqueueMail(q, { organisationId: organisation.id, kind, to: owner.email, ...mail }, at);
    }
    return owners.length;
  }

  /** The slow path of a claim that reached thresholds: record each crossing once, mail the owners. */
  async function announce(
    q: Queries,
    organisationId: number,
    tierId: string,
    reached: readonly number[],
    count: HeldCount,
  ): Promise<void> {
    const at = clock.now().toISO()!;
    // One crossing after another: each is recorded once, and only the fresh ones are told.
    const fresh: number[] = [];
    for (const t of reached) if (await q.notices.recordCrossing(organisationId, tierId, t, at)) fresh.push(t);
    if (fresh.length === 0) return;
    // Several thresholds at once (a small tier): one mail, naming the highest.
    const threshold = Math.max(...fresh);
    const organisation = await requireOrganisation(q, organisationId);
    const tierName =
      (await q.seatPools.list(organisationId)).find((t) => t.tierId === tierId)?.tierName ?? tierId;
    const sent = await mailOwners(
      q,
      organisation,
      'seat_threshold',
      (reader) =>
        seatThresholdMail({
          organisationName: organisation.name,
          tierName,
          tierId,
          threshold,
          held: count.held,
          allocation: count.allocation,
          billingLink: billingLink(publicBaseUrl),
          ...reader,
        }),
      at,
    );
    await recordAudit(q, {
      organisationId,
      at,
      actor: NOTICES_JOB,
      action: 'owner_notice.seat_threshold',
      subjectType: 'seat_pool',
      subjectId: tierId,
      after: { tierId, thresholds: fresh, held: count.held, allocation: count.allocation, recipients: sent },
    });
  }

  return {
    /**
     * Inside the claiming transaction, with the count the claim's UPDATE returned. The common case
     * (no threshold reached) is arithmetic on that count, nothing more.
     */
    async seatTaken(q: Queries, organisationId: number, tierId: string, count: HeldCount): Promise<void> {
      const thresholds = thresholdsOf(count.thresholds);
      for (const t of thresholds) {
        if (100 * count.held >= t * count.allocation && 100 * (count.held - 1) < t * count.allocation) {
          await announce(
            q,
            organisationId,
            tierId,
            reachedBy(thresholds, count.held, count.allocation),
            count,
          );
          return;
        }
      }
    },

    /** Inside the releasing transaction: usage that falls below a threshold re-arms it. */
    async seatFreed(q: Queries, organisationId: number, tierId: string, count: HeldCount): Promise<void> {
      if (fellBelowAny(thresholdsOf(count.thresholds), count.held, count.allocation)) {
        await q.notices.rearmBelow(organisationId, tierId, count.held, count.allocation);
      }
    },

    /**
     * Inside a transaction that changed allocations (a purchase): every threshold the usage is now
     * below re-arms. Usage that rises because allocation shrank (an upgrade converting unclaimed
     * seats) sends nothing: the owner just made that change.
     */
    async allocationChanged(q: Queries, organisationId: number): Promise<void> {
      for (const tier of await q.seatPools.list(organisationId)) {
        await q.notices.rearmBelow(organisationId, tier.tierId, tier.held, tier.allocation);
      }
    },

    /** Inside the caller's transaction: mails every seated owner that a sign-in found no seat. */
    async noSeatsForSignIn(q: Queries, organisationId: number, at: string): Promise<number> {
      const organisation = await requireOrganisation(q, organisationId);
      return await mailOwners(
        q,
        organisation,
        'no_seats_for_sign_in',
        (reader) =>
          noSeatsForSignInMail({
            organisationName: organisation.name,
            billingLink: billingLink(publicBaseUrl),
            ...reader,
          }),
        at,
      );
    },

    /** The organisation's thresholds (percent of each tier's allocation), ascending. */
    async thresholds(organisationId: number): Promise<number[]> {
      return await store.read(async (q) => {
        await requireOrganisation(q, organisationId);
        return [...thresholdsOf((await q.notices.thresholdsJson(organisationId))!)];
      });
    },

    /**
     * Owners set the thresholds at which they are mailed; audited. A threshold the usage already
     * passes counts as crossed (setting it sends nothing); it mails after usage has fallen below
     * it and reached it again. Returns the stored list.
     */
    async setNoticeThresholds(
      organisationId: number,
      thresholds: readonly number[],
      actor: Actor,
    ): Promise<number[]> {
      const next = validateNoticeThresholds(thresholds);
      return await store.write(async (q) => {
        await requireOrganisation(q, organisationId);
        await requireRole(q, organisationId, actor, 'owner', 'change the seat usage notices');
        const before = thresholdsOf((await q.notices.thresholdsJson(organisationId))!);
        const at = clock.now().toISO()!;
        await q.notices.setThresholds(organisationId, JSON.stringify(next));
        for (const t of before) if (!next.includes(t)) await q.notices.forgetThreshold(organisationId, t);
        for (const tier of await q.seatPools.list(organisationId)) {
          for (const t of next) {
            if (tier.allocation > 0 && 100 * tier.held >= t * tier.allocation) {
              await q.notices.recordCrossing(organisationId, tier.tierId, t, at);
            }
          }
        }
        await recordAudit(q, {
          organisationId,
          at,
          actor,
          action: 'organisation.notice_thresholds_changed',
          subjectType: 'organisation',
          subjectId: organisationId,
          before: { noticeThresholds: before },
          after: { noticeThresholds: next },
        });
        return next;
      });
    },
  };
}
