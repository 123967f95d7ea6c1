// Languages: the language a member chooses for themselves and the organisation's default, and which
// one a reader is spoken to in (docs/console.md, "Languages"). Any member sets only their own;
// owners set the organisation's default.
import type { Clock } from '../domain/clock.js';
import { ForbiddenError, NotFoundError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';
import type { Store } from '../db/port.js';
import { chooseLanguage, type Language } from '../i18n/index.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { requireRole } from '../seats/roles.js';
import { recordAudit } from '../audit/record.js';

export interface Languages {
  /** The member's own choice; null: automatic. Null for an API token, which has no member. */
  readonly language: Language | null;
  /** The organisation's default. */
  readonly defaultLanguage: Language;
  /** The language spoken to the caller: their choice, else Accept-Language, else the default. */
  readonly locale: Language;
}

export function createLanguageService({ store, clock }: { readonly store: Store; readonly clock: Clock }) {
  return {
    /** The caller's languages; `acceptLanguage` is their browser's header, if any. */
    async of(
      organisationId: number,
      memberId: number | null,
      acceptLanguage: string | undefined,
    ): Promise<Languages> {
      return await store.read(async (q) => {
        const member = memberId === null ? undefined : await q.languages.ofMember(organisationId, memberId);
        const defaultLanguage = await q.languages.ofOrganisation(organisationId);
        const language = member?.own ?? null;
        return {
          language,
          defaultLanguage,
          locale: chooseLanguage({ own: language, acceptLanguage, fallback: defaultLanguage }),
        };
      });
    },

    /**
     * The language of a page for someone perhaps not signed in (the SSO pages): the member's choice
     * when known, else Accept-Language, else the organisation's default when the organisation is
     * known (by id or slug); with the organisation's name, for the page's words.
     */
    async forPage(input: {
      readonly organisationId?: number | undefined;
      readonly organisationSlug?: string | undefined;
      readonly memberId?: number | null | undefined;
      readonly acceptLanguage: string | undefined;
    }): Promise<{ readonly language: Language; readonly organisationName: string | null }> {
      return await store.read(async (q) => {
        const organisation =
          input.organisationId !== undefined
            ? await q.organisations.byId(input.organisationId)
            : input.organisationSlug !== undefined
              ? await q.organisations.bySlug(input.organisationSlug)
              : undefined;
        if (!organisation) {
          return {
            language: chooseLanguage({ acceptLanguage: input.acceptLanguage }),
            organisationName: null,
          };
        }
        const member =
          input.memberId === undefined || input.memberId === null
            ? undefined
            : await q.languages.ofMember(organisation.id, input.memberId);
        return {
          language: chooseLanguage({
            own: member?.own,
            acceptLanguage: input.acceptLanguage,
            fallback: await q.languages.ofOrganisation(organisation.id),
          }),
          organisationName: organisation.name,
        };
      });
    },

    /** A member chooses their own language (null: automatic). Nobody sets another member's. */
    async setOwn(organisationId: number, actor: Actor, language: Language | null): Promise<void> {
      await store.write(async (q) => {
        if (actor.type !== 'member') {
          throw new ForbiddenError(
            'A language is chosen by a signed-in member for themselves; an API token has none.',
            {
              requiredRole: 'user',
            },
          );
        }
        await requireRole(q, organisationId, actor, 'user', 'choose their language');
        const before = await q.languages.ofMember(organisationId, actor.memberId);
        if (!before) throw new NotFoundError('No such member.');
        if (before.own === language) return;
        await q.languages.setMember(organisationId, actor.memberId, language);
        await recordAudit(q, {
          organisationId,
          at: clock.now().toISO()!,
          actor,
          action: 'member.language_changed',
          subjectType: 'member',
          subjectId: actor.memberId,
          before: { language: before.own },
          after: { language },
        });
      });
    },

    /** Owners set the language of members who chose none, and of mail to them. */
    async setDefault(organisationId: number, actor: Actor, language: Language): Promise<Language> {
      return await store.write(async (q) => {
        await requireRole(q, organisationId, actor, 'owner', "set the organisation's default language");
        await requireOrganisation(q, organisationId);
        const before = await q.languages.ofOrganisation(organisationId);
        if (before === language) return language;
        await q.languages.setOrganisation(organisationId, language);
        await recordAudit(q, {
          organisationId,
          at: clock.now().toISO()!,
          actor,
          action: 'organisation.default_language_changed',
          subjectType: 'organisation',
          subjectId: organisationId,
          before: { defaultLanguage: before },
          after: { defaultLanguage: language },
        });
        return language;
      });
    },
  };
}

export type LanguageService = ReturnType<typeof createLanguageService>;
