// The SCIM attributes of a member the identity provider never pushed (signed in just in time, or
// invited and accepted): one definition, used by the listing (db/queries/directory-users.ts) and,
// registered as the SQL function scim_shown_user() (db/connection.ts), by the filter compiler
// (db/scim-filter-sql.ts), so a filter matches exactly what a listing shows.

/**
 * The address as the primary work email (RFC 7643 §4.1.2), the member's name as displayName and,
 * split at the last space, as name.givenName and name.familyName (Okta's import reads both; a
 * one-word name is givenName only). Nothing else is invented: no externalId, no other attributes.
 */
export function scimShownUser(email: string, displayName: string | null): Record<string, unknown> {
  const formatted = displayName?.trim() ?? '';
  const words = formatted.split(/\s+/).filter((w) => w !== '');
  const name =
    words.length === 0
      ? undefined
      : words.length === 1
        ? { formatted, givenName: words[0] }
        : { formatted, givenName: words.slice(0, -1).join(' '), familyName: words.at(-1) };
  return {
    ...(formatted !== '' ? { displayName: formatted } : {}),
    ...(name ? { name } : {}),
    emails: [{ value: email, type: 'work', primary: true }],
  };
}
