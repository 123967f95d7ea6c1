// The one definition of case-insensitive text keys (emails, userNames, group names).
//
// Keys are folded here, in the application, not by the database's lower(): SQLite's lower() folds
// ASCII only while PostgreSQL's follows the locale, so a database-side fold would make the same
// name match differently per backend. NFC first, so composed and decomposed accents agree.
export function foldKey(text: string): string {
  return text.normalize('NFC').toLowerCase();
}
