// Signing in to the console by an emailed one-time link, for members without single sign-on (or
// when it is down). Asking for a link reveals nothing: the answer is the same whether or not the
// address belongs to anyone, and a link is mailed only to a seated member of that organisation.
// A link works once, for 15 minutes, and starts a session like an SSO sign-in. Where the
// organisation requires single sign-on, addresses on its verified domains get no link (and a link
// mailed before cannot be used): they sign in through the identity provider, except the primary
// owner (docs/sso.md, "Require single sign-on").
import type { Clock } from '../domain/clock.js';
import { DomainError, ForbiddenError, GoneError, ValidationError } from '../domain/errors.js';
import { hashSecret, newSecret } from '../domain/secrets.js';
import type { Member, Organisation } from '../domain/records.js';
import type { Store } from '../db/port.js';
import { signInLinkMail } from '../mail/messages.js';
import { enqueueMail, isMailAddress } from '../mail/outbox.js';
import { readerOf } from '../mail/reader.js';
import { consoleLink } from './console-links.js';
import { endSession, startSession, type StartedSession } from './sessions.js';
import { ssoRequiredError, ssoRequiredFor } from './sso.js';
import { recordAudit } from '../audit/record.js';

/** Product rule (docs/rules.md, "Console sign-in links"): a link works once, for 15 minutes. */
export const SIGN_IN_LINK_TTL_MINUTES = 15;
/**
 * Links mailed to one member per 15 minutes, at most. Further requests are answered like every
 * other (202) and send nothing, so nobody can fill a member's mailbox through the form.
 */
export const SIGN_IN_LINKS_PER_WINDOW = 3;

const SECRET_PREFIX = 'sklink_';

export interface LinkSignedIn {
  readonly member: Member;
  readonly organisation: Organisation;
  readonly session: StartedSession;
}

export type ConsoleSignIn = ReturnType<typeof createConsoleSignIn>;

export function createConsoleSignIn({
  store,
  clock,
  publicBaseUrl,
}: {
  readonly store: Store;
  readonly clock: Clock;
  readonly publicBaseUrl: string;
}) {
  return {
    /**
     * Mails a sign-in link to `email` if it is a seated member of the organisation with this slug;
     * otherwise does nothing. Never says which: the caller answers the same either way.
     */
    async request(organisationSlug: string, email: string): Promise<void> {
      await store.write(async (q) => {
        const organisation = await q.organisations.bySlug(organisationSlug);
        if (!organisation) return;
        let member: Member | undefined;
        try {
          member = await q.members.byEmail(organisation.id, email.trim());
        } catch (error) {
          // Two current members share the address (a directory quirk): mail neither.
          if (error instanceof DomainError) return;
          throw error;
        }
        if (!member || member.seatState !== 'seated' || !isMailAddress(member.email)) return;
        if (await ssoRequiredFor(q, organisation, member)) return;
        const now = clock.now();
        const at = now.toISO()!;
        const windowStart = now.minus({ minutes: SIGN_IN_LINK_TTL_MINUTES }).toISO()!;
        // Counted under the organisation's lock, so a burst of requests cannot all pass the window.
        await q.organisations.lockForChange(organisation.id);
        if ((await q.signInLinks.issuedSince(member.id, windowStart)) >= SIGN_IN_LINKS_PER_WINDOW) return;
        await q.signInLinks.prune(member.id, at);
        const secret = newSecret(SECRET_PREFIX);
        await q.signInLinks.insert({
          tokenHash: hashSecret(secret),
          organisationId: organisation.id,
          memberId: member.id,
          createdAt: at,
          expiresAt: now.plus({ minutes: SIGN_IN_LINK_TTL_MINUTES }).toISO()!,
        });
        const content = signInLinkMail({
          organisationName: organisation.name,
          link: consoleLink(publicBaseUrl, 'sign-in', secret),
          expiresInMinutes: SIGN_IN_LINK_TTL_MINUTES,
          ...(await readerOf(q, organisation.id, member.id)),
        });
        await enqueueMail(
          q,
          { organisationId: organisation.id, kind: 'sign_in_link', to: member.email, ...content },
          at,
        );
      });
    },

    /**
     * Uses a link: one conditional UPDATE marks it used, so two clicks never both sign in. The
     * member must still be seated (login is allowed only while seated). A session the browser
     * already had is ended, as at every sign-in.
     */
    async redeem(token: string, options: { readonly currentSession?: string } = {}): Promise<LinkSignedIn> {
      const tokenHash = hashSecret(token);
      return await store.write(async (q) => {
        const link = await q.signInLinks.byHash(tokenHash);
        if (!link) {
          throw new ValidationError(
            'This sign-in link is not valid. Ask for a new one on the sign-in page.',
            {},
            'sign_in_link_invalid',
          );
        }
        const now = clock.now().toISO()!;
        if (link.usedAt !== null) {
          throw new GoneError(
            'This sign-in link was used already; each link works once. Ask for a new one.',
            {},
            'sign_in_link_used',
          );
        }
        if (now >= link.expiresAt) {
          throw new GoneError(
            `This sign-in link has expired (links work for ${SIGN_IN_LINK_TTL_MINUTES} minutes). Ask for a new one.`,
            {},
            'sign_in_link_expired',
          );
        }
        const organisation = (await q.organisations.byId(link.organisationId))!;
        const member = await q.members.byId(link.organisationId, link.memberId);
        if (member?.seatState !== 'seated') {
          throw new ForbiddenError(
            `You no longer have a seat in ${organisation.name}, so you cannot sign in. Ask an administrator.`,
            {},
            'not_seated',
          );
        }
        // Mailed before single sign-on was required: the provider decides now, not the mailbox.
        if (await ssoRequiredFor(q, organisation, member)) throw ssoRequiredError(organisation, 'sign in');
        if (!(await q.signInLinks.use(tokenHash, now))) {
          throw new GoneError(
            'This sign-in link was used already; each link works once.',
            {},
            'sign_in_link_used',
          );
        }
        await recordAudit(q, {
          organisationId: organisation.id,
          at: now,
          actor: { type: 'member', memberId: member.id },
          action: 'member.signed_in',
          subjectType: 'member',
          subjectId: member.id,
          after: { outcome: 'signed_in', method: 'email_link' },
        });
        const at = clock.now();
        if (options.currentSession) await endSession(q, at, options.currentSession);
        return { member, organisation, session: await startSession(q, at, organisation.id, member.id) };
      });
    },
  };
}
