// What SCIM shows for a member: the userName and attributes the identity provider sent, else (a
// member it never pushed: signed in just in time, or invited and accepted) what follows from the
// address and the name. db/scim-shown-user.ts holds the same rule as an SQL expression, so that a
// filter matches exactly what a listing shows; test/unit/db/scim-shown-user.test.ts runs both over
// the same rows.
import type { Member } from './records.js';

/** The userName SCIM shows for a member: the one the provider sent, else (never pushed) the address. */
export function shownUserName(member: Member): string {
  return member.userName ?? member.email;
}

/**
 * The member's SCIM attributes: those the provider sent, else (never pushed) what scimShownUser()
 * derives from the address and the name, which filters read the same way in SQL.
 */
export function shownResource(member: Member): Readonly<Record<string, unknown>> {
  return member.scimResource ?? scimShownUser(member.email, member.displayName);
}

/**
 * The address as the primary work email (RFC 7643 §4.1.2); the member's name, trimmed of spaces,
 * as displayName and, split at its last space, as name.givenName and name.familyName (Okta's
 * import reads both; a name without a space is givenName only). Nothing else is invented: no
 * externalId, no other attributes.
 */
export function scimShownUser(email: string, displayName: string | null): Record<string, unknown> {
  // Spaces only, as SQLite's trim() and the split below.
  const formatted = (displayName ?? '').replace(/^ +| +$/g, '');
  const cut = formatted.lastIndexOf(' ');
  const name =
    cut < 0
      ? { formatted, givenName: formatted }
      : {
          formatted,
          givenName: formatted.slice(0, cut).replace(/ +$/, ''),
          familyName: formatted.slice(cut + 1),
        };
  return {
    ...(formatted !== '' ? { displayName: formatted, name } : {}),
    emails: [{ value: email, type: 'work', primary: true }],
  };
}
