// Languages: the caller's own choice (PATCH /profile) and the organisation's default, which owners
// set (GET and PATCH /organisation). Which language is spoken: docs/console.md, "Languages".
import { z } from 'zod';
import { LANGUAGES } from '../i18n/index.js';
import type { Store } from '../db/store.js';
import type { Clock } from '../domain/clock.js';
import { createLanguageService } from '../provisioning/languages.js';
import { requireOrganisation } from '../seats/contract-state.js';
import { ok, route, type Route } from './route.js';

const Language = z.enum(LANGUAGES);

export function languageRoutes({ store, clock }: { readonly store: Store; readonly clock: Clock }): Route[] {
  const languages = createLanguageService({ store, clock });
  return [
    route({
      method: 'patch',
      path: '/profile',
      tag: 'Session',
      summary: 'Choose your own language',
      role: 'user',
      sessionOnly: true,
      body: z.strictObject({ language: Language.nullable() }),
      responses: {
        200: '`language` (the choice; null: automatic) and `locale`, the language the console speaks to you now.',
      },
      handle: ({ caller, body, req }) => {
        languages.setOwn(caller.organisationId, caller.actor, body.language);
        const now = languages.of(caller.organisationId, caller.memberId, req.get('accept-language'));
        return ok({ language: now.language, locale: now.locale });
      },
    }),
    route({
      method: 'get',
      path: '/organisation',
      tag: 'Session',
      summary: 'Show your organisation',
      role: 'user',
      responses: { 200: 'The organisation: `id`, `slug`, `name` and `defaultLanguage`.' },
      handle: ({ caller }) => {
        const organisation = store.read((q) => requireOrganisation(q, caller.organisationId));
        const { defaultLanguage } = languages.of(caller.organisationId, null, undefined);
        return ok({ id: organisation.id, slug: organisation.slug, name: organisation.name, defaultLanguage });
      },
    }),
    route({
      method: 'patch',
      path: '/organisation',
      tag: 'Session',
      summary: "Set the organisation's default language",
      role: 'owner',
      body: z.strictObject({ defaultLanguage: Language }),
      responses: { 200: 'The organisation, with its new `defaultLanguage`.' },
      handle: ({ caller, body }) => {
        const defaultLanguage = languages.setDefault(
          caller.organisationId,
          caller.actor,
          body.defaultLanguage,
        );
        const organisation = store.read((q) => requireOrganisation(q, caller.organisationId));
        return ok({ id: organisation.id, slug: organisation.slug, name: organisation.name, defaultLanguage });
      },
    }),
  ];
}
