-- PostgreSQL form of the SQLite migration 0011_languages.sql; the same statements.
--
-- Languages: the language a member reads the console, their pages and their mail in, and the
-- organisation's default for members who chose none (docs/console.md, "Languages").

-- The member's own language (en, de, it, es, pt); NULL: automatic (the browser's, else the default).
ALTER TABLE members ADD COLUMN language text CHECK (language IN ('en', 'de', 'it', 'es', 'pt'));
-- The language of members who chose none, and of mail to them; owners set it.
ALTER TABLE organisations ADD COLUMN default_language text NOT NULL DEFAULT 'en'
  CHECK (default_language IN ('en', 'de', 'it', 'es', 'pt'));
