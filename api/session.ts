// The caller's own session: who they are, their organisation, and the anti-forgery token the
// console sends with every state-changing request; and signing out.
import { z } from 'zod';
import { SEAT_STATES } from '../domain/model.js';
import { LANGUAGES } from '../i18n/index.js';
import type { LanguageService } from '../provisioning/languages.js';
import type { Sessions } from '../provisioning/sessions.js';
import { clearSessionCookie, createSessionCookieReader, sessionSecret } from '../http/cookies.js';
import { csrfToken } from './auth.js';
import { noContent, ok, route, type Route } from './route.js';
import { RoleName, RowId } from './schemas.js';

const SessionSchema = z
  .object({
    via: z.enum(['session', 'token']),
    role: RoleName,
    organisation: z.object({
      id: RowId,
      /** Absent for an API token, which names only its organisation's id. */
      slug: z.string().optional(),
      name: z.string().optional(),
    }),
    member: z
      .object({
        id: RowId,
        email: z.string(),
        displayName: z.string().nullable(),
        role: RoleName,
        tier: z.string().nullable(),
        seatState: z.enum(SEAT_STATES),
      })
      .nullable(),
    csrfToken: z.string().nullable(),
    /** The member's own language; null: automatic (docs/console.md, "Languages"). */
    language: z.enum(LANGUAGES).nullable(),
    /** The organisation's default language. */
    defaultLanguage: z.enum(LANGUAGES),
    /** The language the console speaks to the caller: their choice, Accept-Language, the default. */
    locale: z.enum(LANGUAGES),
  })
  .meta({ id: 'Session' });

export function sessionRoutes({
  sessions,
  languages,
}: {
  readonly sessions: Sessions;
  /** The language the console speaks to the caller. */
  readonly languages: LanguageService;
}): Route[] {
  const sessionCookies = createSessionCookieReader(sessions);
  return [
    route({
      method: 'get',
      path: '/session',
      tag: 'Session',
      summary: 'Show who is signed in',
      operationId: 'getSession',
      role: 'user',
      response: SessionSchema,
      responses: { 200: 'The caller, its organisation and role; for a console session, the CSRF token.' },
      handle: async ({ caller, req }) => {
        const who = caller.via === 'session' ? await sessionCookies.read(req) : undefined;
        // The console speaks `locale` (docs/console.md, "Languages").
        const spoken = await languages.of(caller.organisationId, caller.memberId, req.get('accept-language'));
        return ok({
          via: caller.via,
          role: caller.role,
          organisation: who
            ? { id: who.organisation.id, slug: who.organisation.slug, name: who.organisation.name }
            : { id: caller.organisationId },
          member: who
            ? {
                id: who.member.id,
                email: who.member.email,
                displayName: who.member.displayName,
                role: who.member.role,
                tier: who.member.tierId,
                seatState: who.member.seatState,
              }
            : null,
          csrfToken: who ? csrfToken(who.secret) : null,
          language: spoken.language,
          defaultLanguage: spoken.defaultLanguage,
          locale: spoken.locale,
        });
      },
    }),
    route({
      method: 'delete',
      path: '/session',
      tag: 'Session',
      summary: 'Sign out',
      operationId: 'signOut',
      role: 'user',
      sessionOnly: true,
      responses: { 204: 'Signed out; the cookie is cleared.' },
      handle: async ({ req, res }) => {
        const secret = sessionSecret(req);
        if (secret) await sessions.end(secret);
        clearSessionCookie(res, false);
        return noContent;
      },
    }),
  ];
}
