// The SCIM attributes of a member the identity provider never pushed (signed in just in time, or
// invited and accepted), in the two forms that must agree: the object the listing shows
// (scimShownUser in domain/shown-user.ts) and the SQL expression filters read (db/scim-filter-sql.ts),
// so a filter matches exactly what a listing shows. test/unit/db/scim-shown-user.test.ts runs both
// over the same rows. The SQL builds the document with SQLite's JSON functions: an application
// function called per row made a scan of 20,000 such members four times slower.

/**
 * scimShownUser() (domain/shown-user.ts) as an SQLite expression over the members row `alias`: a
 * JSON document, with JSON null where the object leaves a key out (filters read both as unassigned,
 * RFC 7643 §2.5).
 */
export function scimShownUserSql(alias: string): string {
  const formatted = `nullif(trim(${alias}.display_name), '')`;
  // Everything up to and including the last space ('' when there is none): rtrim() strips the
  // trailing characters that are not spaces.
  const head = `rtrim(${formatted}, replace(${formatted}, ' ', ''))`;
  const name = `json_object('formatted', ${formatted},
      'givenName', CASE WHEN ${head} = '' THEN ${formatted} ELSE rtrim(${head}) END,
      'familyName', CASE WHEN ${head} = '' THEN NULL ELSE substr(${formatted}, length(${head}) + 1) END)`;
  return `json_object('displayName', ${formatted},
    'name', CASE WHEN ${formatted} IS NULL THEN NULL ELSE ${name} END,
    'emails', json_array(json_object('value', ${alias}.email, 'type', 'work', 'primary', json('true'))))`;
}
