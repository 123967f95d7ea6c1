// The SCIM attributes of a member the identity provider never pushed (signed in just in time, or
// invited and accepted), in the two forms that must agree: the object the listing shows
// (scimShownUser in domain/shown-user.ts) and the SQL expression filters read (db/scim-filter-sql.ts),
// so a filter matches exactly what a listing shows. test/unit/db/scim-shown-user.test.ts runs both
// over the same rows, on each dialect. The SQL builds the document with the database's own JSON
// functions: an application function called per row made a scan of 20,000 such members four times
// slower.
import type { Dialect } from './sql.js';

/** The JSON-building functions of each dialect: SQLite's return JSON text, PostgreSQL's jsonb. */
const JSON_BUILD: Readonly<Record<Dialect, { object: string; array: string; true: string }>> = {
  sqlite: { object: 'json_object', array: 'json_array', true: "json('true')" },
  postgres: { object: 'jsonb_build_object', array: 'jsonb_build_array', true: 'true' },
};

/**
 * scimShownUser() (domain/shown-user.ts) as an SQL expression over the members row `alias`: a
 * JSON document (text on SQLite, jsonb on PostgreSQL), with JSON null where the object leaves a key
 * out (filters read both as unassigned, RFC 7643 §2.5).
 */
export function scimShownUserSql(alias: string, dialect: Dialect): string {
  const json = JSON_BUILD[dialect];
  // trim(), rtrim(x, characters), substr() and length() (in characters) mean the same in both.
  const formatted = `nullif(trim(${alias}.display_name), '')`;
  // Everything up to and including the last space ('' when there is none): rtrim() strips the
  // trailing characters that are not spaces.
  const head = `rtrim(${formatted}, replace(${formatted}, ' ', ''))`;
  const name = `${json.object}('formatted', ${formatted},
      'givenName', CASE WHEN ${head} = '' THEN ${formatted} ELSE rtrim(${head}) END,
      'familyName', CASE WHEN ${head} = '' THEN NULL ELSE substr(${formatted}, length(${head}) + 1) END)`;
  return `${json.object}('displayName', ${formatted},
    'name', CASE WHEN ${formatted} IS NULL THEN NULL ELSE ${name} END,
    'emails', ${json.array}(${json.object}('value', ${alias}.email, 'type', 'work', 'primary', ${json.true})))`;
}
