// The caller's own session: who they are, their organisation, and the anti-forgery token the
// console sends with every state-changing request; and signing out.
import type { SsoService } from '../provisioning/sso.js';
import { cookieValue, csrfToken, SESSION_COOKIE } from './auth.js';
import { noContent, ok, route, type Route } from './route.js';

export function sessionRoutes({ sso }: { readonly sso: SsoService }): Route[] {
  return [
    route({
      method: 'get',
      path: '/session',
      tag: 'Session',
      summary: 'Show who is signed in',
      role: 'user',
      responses: { 200: 'The caller, its organisation and role; for a console session, the CSRF token.' },
      handle: ({ caller, req }) => {
        const secret = caller.via === 'session' ? cookieValue(req, SESSION_COOKIE) : undefined;
        const who = secret ? sso.whoIs(secret) : undefined;
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
          csrfToken: secret ? csrfToken(secret) : null,
        });
      },
    }),
    route({
      method: 'delete',
      path: '/session',
      tag: 'Session',
      summary: 'Sign out',
      role: 'user',
      sessionOnly: true,
      responses: { 204: 'Signed out; the cookie is cleared.' },
      handle: ({ req, res }) => {
        const secret = cookieValue(req, SESSION_COOKIE);
        if (secret) sso.endSession(secret);
        res.clearCookie(SESSION_COOKIE, { path: '/' });
        return noContent;
      },
    }),
  ];
}
