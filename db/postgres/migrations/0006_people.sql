-- PostgreSQL form of the SQLite migration 0006_people.sql; the same statements.
--
-- The admin API's people pages: an organisation's invitations listed newest first, and the
-- sign-in links issued to a member counted (at most a few per quarter hour) and pruned.

CREATE INDEX invitations_by_org ON invitations (organisation_id, sent_at);
CREATE INDEX sign_in_links_by_member ON sign_in_links (member_id, created_at);
