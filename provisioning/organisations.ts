// The operator's provisioning of a new organisation: the organisation, its verified domains, its
// first annual term with prices and seats per tier, the initial term invoice, and the invitation of
// its primary owner (which holds a seat like any invitation). All of it, or none of it.
import { DateTime, IANAZone } from 'luxon';
import type { Clock } from '../domain/clock.js';
import { ConflictError, ValidationError } from '../domain/errors.js';
import { isCurrency } from '../domain/money.js';
import { LOWEST, type Actor } from '../domain/model.js';
import type { Invoice, Member, Organisation } from '../domain/records.js';
import type { Store } from '../db/port.js';
import { issueInvoice, termLines } from '../billing/invoicing.js';
import { hashSecret, newSecret } from '../domain/secrets.js';
import { INVITATION_SECRET_PREFIX, mailInvitation } from './invitations.js';
import { emailDomain, type MemberService } from './members.js';
import { recordAudit } from '../audit/record.js';

export interface NewOrganisation {
  readonly slug: string;
  readonly name: string;
  /** Email domains the operator has verified for the organisation. */
  readonly domains: readonly string[];
  readonly contract: {
    /** First day of the first term, an ISO date in `timeZone`. */
    readonly termStart: string;
    readonly timeZone: string;
    readonly currency: string;
    readonly autoRenew: boolean;
    /** Monthly price per seat of every tier, in minor units. */
    readonly prices: Readonly<Record<string, number>>;
    /** Seats bought per tier for the first term. */
    readonly seats: Readonly<Record<string, number>>;
  };
  readonly primaryOwner: { readonly email: string; readonly displayName?: string | null };
}

export interface CreatedOrganisation {
  readonly organisation: Organisation;
  readonly primaryOwner: Member;
  readonly invoice: Invoice;
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function createOrganisations(deps: {
  readonly store: Store;
  readonly clock: Clock;
  readonly members: MemberService;
  /** Where the link in the primary owner's invitation points. */
  readonly publicBaseUrl: string;
}) {
  const { store, clock, members, publicBaseUrl } = deps;

  return {
    async create(input: NewOrganisation, actor: Actor): Promise<CreatedOrganisation> {
      return await store.write(async (q) => {
        const tiers = await q.tiers.all();
        const problems = validate(input, tiers);
        if (problems.length > 0) {
          throw new ValidationError(`Cannot create the organisation:\n- ${problems.join('\n- ')}`, {
            problems,
          });
        }
        if (await q.organisations.bySlug(input.slug)) {
          throw new ConflictError(
            `An organisation with slug "${input.slug}" already exists.`,
            {},
            'slug_taken',
          );
        }
        const now = clock.now();
        const at = now.toISO()!;
        const id = await q.organisations.insert(input.slug, input.name, at);
        for (const domain of new Set(input.domains.map((d) => d.toLowerCase()))) {
          await q.organisations.addDomain(id, domain, at);
        }
        const c = input.contract;
        await q.contracts.insert({
          organisationId: id,
          currency: c.currency,
          timeZone: c.timeZone,
          autoRenew: c.autoRenew,
          termStart: c.termStart,
          createdAt: at,
        });
        for (const tier of tiers)
          await q.seatPools.insert(id, tier.id, c.prices[tier.id]!, c.seats[tier.id] ?? 0);

        const organisation = (await q.organisations.byId(id))!;
        const contract = (await q.contracts.byOrganisation(id))!;
        await recordAudit(q, {
          organisationId: id,
          at,
          actor,
          action: 'organisation.created',
          subjectType: 'organisation',
          subjectId: id,
          after: { slug: input.slug, name: input.name, domains: input.domains, contract: c },
        });
        const invoice = await issueInvoice(q, {
          organisation,
          contract,
          kind: 'initial',
          lines: termLines(contract, await q.seatPools.list(id), 'Term:'),
          quoteId: null,
          actor,
          at: now,
        });
        await recordAudit(q, {
          organisationId: id,
          at,
          actor,
          action: 'allocation.changed',
          subjectType: 'seat_pool',
          subjectId: id,
          before: { allocation: Object.fromEntries(tiers.map((t) => [t.id, 0])) },
          after: { allocation: Object.fromEntries(tiers.map((t) => [t.id, c.seats[t.id] ?? 0])) },
          invoiceId: invoice.id,
        });
        // The primary owner's way in: an invitation with a mailed single-use link, like any other.
        const secret = newSecret(INVITATION_SECRET_PREFIX);
        const { member, invitationId } = await members.inviteIn(
          q,
          id,
          {
            email: input.primaryOwner.email,
            displayName: input.primaryOwner.displayName ?? null,
            role: 'primary_owner',
          },
          LOWEST,
          actor,
          { allowPrimaryOwner: true, tokenHash: hashSecret(secret) },
        );
        await mailInvitation(
          publicBaseUrl,
          q,
          organisation,
          (await q.invitations.byId(id, invitationId))!,
          secret,
          actor,
        );
        return { organisation, primaryOwner: member, invoice };
      });
    },
  };
}

/** Every problem with the input, so the operator fixes them in one go. */
function validate(input: NewOrganisation, tiers: readonly { id: string; rank: number }[]): string[] {
  const problems: string[] = [];
  if (!SLUG.test(input.slug))
    problems.push(`slug "${input.slug}" must be lower-case letters, digits and inner hyphens (1-63)`);
  if (input.name.trim() === '') problems.push('name must not be empty');
  if (input.domains.length === 0) problems.push('at least one verified email domain is needed');
  for (const d of input.domains)
    if (!DOMAIN.test(d.toLowerCase())) problems.push(`"${d}" is not a domain name`);
  const c = input.contract;
  if (!DateTime.fromISO(c.termStart, { zone: 'utc' }).isValid || !/^\d{4}-\d{2}-\d{2}$/.test(c.termStart)) {
    problems.push(`term start "${c.termStart}" must be a date, YYYY-MM-DD`);
  }
  if (!IANAZone.isValidZone(c.timeZone)) problems.push(`time zone "${c.timeZone}" is not an IANA time zone`);
  if (!isCurrency(c.currency)) problems.push(`currency "${c.currency}" is not an ISO 4217 code`);
  for (const tier of tiers) {
    const price = c.prices[tier.id];
    if (price === undefined || !Number.isSafeInteger(price) || price < 0) {
      problems.push(`a monthly price (whole minor units, 0 or more) is needed for the ${tier.id} tier`);
    }
  }
  const known = new Set(tiers.map((t) => t.id));
  for (const [tier, n] of Object.entries(c.seats)) {
    if (!known.has(tier)) problems.push(`there is no seat tier "${tier}"`);
    if (!Number.isSafeInteger(n) || n < 0)
      problems.push(`seats for ${tier} must be a whole number, 0 or more`);
  }
  for (const tier of Object.keys(c.prices))
    if (!known.has(tier)) problems.push(`there is no seat tier "${tier}"`);
  // An upgrade is billed at the price difference, so a higher tier may not cost less.
  const byRank = [...tiers].sort((a, b) => a.rank - b.rank);
  for (let i = 1; i < byRank.length; i++) {
    const lower = c.prices[byRank[i - 1]!.id];
    const higher = c.prices[byRank[i]!.id];
    if (lower !== undefined && higher !== undefined && higher < lower) {
      problems.push(`the ${byRank[i]!.id} price must not be below the ${byRank[i - 1]!.id} price`);
    }
  }
  const total = Object.values(c.seats).reduce((a, b) => a + (Number.isSafeInteger(b) ? b : 0), 0);
  if (total < 1) problems.push('the contract needs at least one seat (the primary owner takes one)');
  try {
    const domain = emailDomain(input.primaryOwner.email);
    if (!input.domains.some((d) => d.toLowerCase() === domain)) {
      problems.push(
        `the primary owner's email must be on one of the organisation's domains (${domain} is not)`,
      );
    }
  } catch {
    problems.push(`"${input.primaryOwner.email}" is not an email address`);
  }
  return problems;
}
