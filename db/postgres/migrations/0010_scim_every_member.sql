-- PostgreSQL form of the SQLite migration 0010_scim_every_member.sql; the same statements.
--
-- SCIM lists every member of the organisation, not only the users the identity provider pushed:
-- members who signed in just in time or were invited appear too, so an identity provider's import
-- or matching step finds them and links them instead of creating a duplicate (docs/scim.md,
-- "Every member is a SCIM User").

-- Every current member in id order but pending invitations the directory has not linked: exactly
-- the rows a SCIM listing shows, so an unfiltered page and its total read this index alone.
-- (members_directory stays: it is the rows the directory manages, which group mappings re-evaluate.)
CREATE INDEX members_listed ON members (organisation_id, id)
  WHERE seat_state <> 'removed' AND (user_name_key IS NOT NULL OR seat_state <> 'invited');
-- The userName SCIM shows, folded: the one the provider sent, else, for a member it never pushed,
-- the address. `userName eq` (Okta's lookup before a create, Entra's matching attribute) reads this
-- index; members_user_name still keeps the pushed userNames unique.
CREATE INDEX members_scim_user_name ON members (organisation_id, coalesce(user_name_key, email_key));
