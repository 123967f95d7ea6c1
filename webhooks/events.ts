// Events for downstream apps. Every change that matters to them already writes an audit row in
// its own transaction (the audit log is the record of every seat, member and billing change), so
// events are derived from those rows by the call that appends them (recordAudit, audit/record.ts):
// one place, no call site to forget, and the event commits or rolls back with the change. Each event is written once with the exact body
// all endpoints receive, and one delivery row per enabled endpoint that subscribes to its type.
import { randomUUID } from 'node:crypto';
import { parseInstant } from '../domain/clock.js';
import type { MemberSnapshot } from '../domain/model.js';
import type { AuditEntry, PoolTier } from '../domain/records.js';
import type { Queries } from '../db/port.js';

/** Every event type an endpoint can subscribe to, in the order the docs list them. */
export const EVENT_TYPES = [
  'member.created',
  'member.updated',
  'member.deactivated',
  'member.removed',
  'seat.claimed',
  'seat.released',
  'seat.tier_changed',
  'invitation.created',
  'invitation.resent',
  'invitation.accepted',
  'invitation.expired',
  'invitation.revoked',
  'invoice.issued',
  'seats.exhausted',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Subscribes an endpoint to every type, including types added in later releases. */
export const ALL_EVENTS = '*';

/** The audit actions each event type is derived from (member state changes are read from the snapshots). */
const BY_ACTION: Readonly<Record<string, readonly EventType[]>> = {
  'member.created': ['member.created'],
  'member.readded': ['member.created'],
  'member.updated': ['member.updated'],
  'member.role_changed': ['member.updated'],
  // The directory took over a member who signed in or was invited first: its userName and
  // externalId are the provider's from now on (docs/scim.md, "Every member is a SCIM User").
  'member.linked': ['member.updated'],
  'seat.claimed': ['seat.claimed'],
  'seat.released': ['seat.released'],
  'seat.unassigned': ['seat.released'],
  'seat.tier_changed': ['seat.tier_changed'],
  'invitation.seat_held': ['invitation.created'],
  'invitation.resent': ['invitation.resent'],
  // The invited seat becomes the member's own: for a downstream app, access begins here.
  'invitation.accepted': ['invitation.accepted', 'seat.claimed'],
  'invitation.expired': ['invitation.expired'],
  'invitation.revoked': ['invitation.revoked'],
  'invoice.issued': ['invoice.issued'],
};

/** Actions after which a tier may have just run out of seats. */
const TAKES_A_SEAT = new Set(['seat.claimed', 'invitation.seat_held', 'seat.tier_changed']);

/** A member's snapshot as stored: rows written by earlier releases may lack some fields. */
const snapshotOf = (value: unknown): Partial<MemberSnapshot> | null =>
  value !== null && typeof value === 'object' ? value : null;

/** The event types one audit entry stands for, in the order they happened. */
export function eventTypesOf(entry: AuditEntry): EventType[] {
  const types = [...(BY_ACTION[entry.action] ?? [])];
  if (entry.subjectType === 'member') {
    const before = snapshotOf(entry.before)?.seatState;
    const after = snapshotOf(entry.after)?.seatState;
    if (after !== before && after === 'deactivated') types.push('member.deactivated');
    if (after !== before && after === 'removed') types.push('member.removed');
  }
  return types;
}

function actorOf(entry: AuditEntry): { type: string; id: string | number | null } {
  const a = entry.actor;
  switch (a.type) {
    case 'member':
      return { type: a.type, id: a.memberId };
    case 'api_token':
    case 'scim_token':
      return { type: a.type, id: a.tokenId };
    case 'jit':
      return { type: a.type, id: a.connectionId };
    case 'operator':
      return { type: a.type, id: null };
    case 'system':
      return { type: a.type, id: a.job };
  }
}

/** What an event says, by kind of subject: the member as it is now and was, or the invoice. */
function dataOf(entry: AuditEntry, type: EventType, full: PoolTier | undefined): Record<string, unknown> {
  if (entry.subjectType === 'member') {
    const before = snapshotOf(entry.before);
    const member = { id: Number(entry.subjectId), ...snapshotOf(entry.after) };
    if (type === 'seats.exhausted' && full) {
      return { tier: full.tierId, allocation: full.allocation, held: full.held, member };
    }
    return before === null ? { member } : { member, previous: before };
  }
  if (entry.subjectType === 'invoice') {
    return { invoice: { id: Number(entry.subjectId), ...(entry.after as object) } };
  }
  return { subject: { type: entry.subjectType, id: entry.subjectId }, after: entry.after ?? null };
}

/** The tier the entry's member just took, when that left it with no seat. */
async function exhaustedTier(entry: AuditEntry, q: EventQueries): Promise<PoolTier | undefined> {
  if (!TAKES_A_SEAT.has(entry.action) || entry.subjectType !== 'member') return undefined;
  const tierId = snapshotOf(entry.after)?.tierId;
  const tier = (await q.seatPools.list(entry.organisationId)).find((t) => t.tierId === tierId);
  return tier !== undefined && tier.held >= tier.allocation ? tier : undefined;
}

const wants = (s: { readonly events: readonly string[] }, type: EventType) =>
  s.events.includes(ALL_EVENTS) || s.events.includes(type);

/** The tables writing an entry's events reads and writes. */
export type EventQueries = Pick<Queries, 'webhooks' | 'seatPools' | 'organisations'>;

/**
 * Writes the events of `entry` and their deliveries, inside the entry's transaction (called by
 * recordAudit with the row). With no enabled endpoint in the organisation it costs one indexed read.
 */
export async function recordEvents(q: EventQueries, entry: AuditEntry): Promise<void> {
  const subscriptions = await q.webhooks.subscriptions(entry.organisationId);
  if (subscriptions.length === 0) return;
  const types = eventTypesOf(entry);
  // A claim that takes a tier's last seat: once per exhaustion, since the next claim of that
  // tier is refused until a seat is freed or bought. The pool is read only if someone listens.
  const full = subscriptions.some((s) => wants(s, 'seats.exhausted'))
    ? await exhaustedTier(entry, q)
    : undefined;
  if (full) types.push('seats.exhausted');
  if (types.length === 0) return;
  const organisation = await q.organisations.byId(entry.organisationId);
  const memberId = entry.subjectType === 'member' ? Number(entry.subjectId) : null;
  // In UTC, so the worker's text comparisons of instants are time comparisons.
  const at = parseInstant(entry.at).toISO()!;
  for (const type of types) {
    const receivers = subscriptions.filter((s) => wants(s, type));
    if (receivers.length === 0) continue;
    const publicId = `evt_${randomUUID()}`;
    const body = JSON.stringify({
      id: publicId,
      type,
      createdAt: at,
      organisation: { id: entry.organisationId, slug: organisation?.slug ?? null },
      actor: actorOf(entry),
      data: dataOf(entry, type, full),
    });
    const eventId = await q.webhooks.insertEvent({
      publicId,
      organisationId: entry.organisationId,
      type,
      memberId,
      body,
      at,
    });
    for (const receiver of receivers) await q.webhooks.insertDelivery(receiver.id, eventId, memberId, at);
  }
}
