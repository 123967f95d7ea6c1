// Languages: the caller's own choice (PATCH /profile) and the organisation's default, which owners
// set (GET and PATCH /organisation). Which language is spoken: docs/console.md, "Languages".
import { z } from 'zod';
import { LANGUAGES } from '../i18n/index.js';
import type { Store } from '../db/port.js';
import type { LanguageService } from '../provisioning/languages.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { ok, route, type Route } from './route.js';
import { RowId } from './schemas.js';

const Language = z.enum(LANGUAGES);

const LanguageChoice = z.object({
  language: Language.nullable().meta({ description: 'Your choice; null: automatic.' }),
  locale: Language.meta({ description: 'The language the console speaks to you now.' }),
});

const OrganisationLanguage = z
  .object({ id: RowId, slug: z.string(), name: z.string(), defaultLanguage: Language })
  .meta({ id: 'OrganisationSettings' });

export function languageRoutes({
  languages,
  store,
}: {
  readonly languages: LanguageService;
  /** Reads the organisation a setting belongs to. */
  readonly store: Pick<Store, 'read'>;
}): Route[] {
  return [
    route({
      method: 'patch',
      path: '/profile',
      tag: 'Session',
      summary: 'Choose your own language',
      operationId: 'setOwnLanguage',
      role: 'user',
      sessionOnly: true,
      body: z.strictObject({ language: Language.nullable() }),
      response: LanguageChoice,
      responses: {
        200: '`language` (the choice; null: automatic) and `locale`, the language the console speaks to you now.',
      },
      handle: async ({ caller, body, req }) => {
        await languages.setOwn(caller.organisationId, caller.actor, body.language);
        const now = await languages.of(caller.organisationId, caller.memberId, req.get('accept-language'));
        return ok({ language: now.language, locale: now.locale });
      },
    }),
    route({
      method: 'get',
      path: '/organisation',
      tag: 'Session',
      summary: 'Show your organisation',
      operationId: 'getOrganisation',
      role: 'user',
      response: OrganisationLanguage,
      responses: { 200: 'The organisation: `id`, `slug`, `name` and `defaultLanguage`.' },
      handle: async ({ caller }) => {
        const organisation = await store.read((q) => requireOrganisation(q, caller.organisationId));
        const { defaultLanguage } = await languages.of(caller.organisationId, null, undefined);
        return ok({ id: organisation.id, slug: organisation.slug, name: organisation.name, defaultLanguage });
      },
    }),
    route({
      method: 'patch',
      path: '/organisation',
      tag: 'Session',
      summary: "Set the organisation's default language",
      operationId: 'setDefaultLanguage',
      role: 'owner',
      body: z.strictObject({ defaultLanguage: Language }),
      response: OrganisationLanguage,
      responses: { 200: 'The organisation, with its new `defaultLanguage`.' },
      handle: async ({ caller, body }) => {
        const defaultLanguage = await languages.setDefault(
          caller.organisationId,
          caller.actor,
          body.defaultLanguage,
        );
        const organisation = await store.read((q) => requireOrganisation(q, caller.organisationId));
        return ok({ id: organisation.id, slug: organisation.slug, name: organisation.name, defaultLanguage });
      },
    }),
  ];
}
