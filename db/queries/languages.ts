// Queries on languages: a member's own choice and their organisation's default (migration 0011).
import type { Sql } from '../sql.js';
import type { Language } from '../../i18n/index.js';
import type { LanguageQueries } from '../port.js';

export function createLanguageQueries(db: Sql): LanguageQueries {
  const memberLanguage = db.prepare<[number, number], { language: Language | null; fallback: Language }>(
    `SELECT m.language, o.default_language AS fallback
       FROM members m JOIN organisations o ON o.id = m.organisation_id
      WHERE m.organisation_id = ? AND m.id = ?`,
  );
  const setMember = db.prepare<[Language | null, number, number]>(
    'UPDATE members SET language = ? WHERE organisation_id = ? AND id = ?',
  );
  const organisation = db.prepare<[number], { default_language: Language }>(
    'SELECT default_language FROM organisations WHERE id = ?',
  );
  const setOrganisation = db.prepare<[Language, number]>(
    'UPDATE organisations SET default_language = ? WHERE id = ?',
  );
  return {
    /**
     * The member's own language (null: they chose none) and their organisation's default;
     * undefined for no such member of that organisation.
     */
    async ofMember(
      organisationId: number,
      memberId: number,
    ): Promise<{ own: Language | null; fallback: Language } | undefined> {
      const row = await memberLanguage.get(organisationId, memberId);
      return row ? { own: row.language, fallback: row.fallback } : undefined;
    },
    /** Sets (or, with null, clears) a member's own language; false when there is no such member. */
    async setMember(organisationId: number, memberId: number, language: Language | null): Promise<boolean> {
      return (await setMember.run(language, organisationId, memberId)).changes === 1;
    },
    /** The organisation's default language ('en' until an owner sets another). */
    async ofOrganisation(organisationId: number): Promise<Language> {
      return (await organisation.get(organisationId))?.default_language ?? 'en';
    },
    async setOrganisation(organisationId: number, language: Language): Promise<boolean> {
      return (await setOrganisation.run(language, organisationId)).changes === 1;
    },
  };
}
