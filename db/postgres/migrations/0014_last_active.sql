-- PostgreSQL form of the SQLite migration 0014_last_active.sql. Where the form differs, and why:
-- - Each trigger runs a PL/pgSQL function (PostgreSQL triggers run a function); its WHEN
--   condition and its UPDATE are SQLite's.
-- - CAST(subject_id AS INTEGER) is spelled out in the function: SQLite's cast takes the leading
--   integer and never fails, PostgreSQL's fails on anything else, which would refuse the audit row.
-- - Instants are compared and maximised with COLLATE "C", the byte order SQLite compares text in,
--   whatever the database's locale.
--
-- When each member was last active: their last sign-in (SSO, a mailed link, accepting an
-- invitation) or the last time the directory (SCIM) wrote them. The members page shows and
-- sorts by it, and filters members inactive for N days, to reclaim idle seats.

-- UTC instant (ISO 8601, as audit_log.at) of the member's last activity; null: never active.
ALTER TABLE members ADD COLUMN last_active_at text;

-- Kept by the audit log itself: every sign-in and every directory change is audited in its own
-- transaction, so the row and this column commit together, whichever path (SSO, a mailed link,
-- an invitation accepted, SCIM) wrote it. Not a change of the member: updated_at and version (the
-- SCIM ETag) stay as they are. Never moves back (a rehearsal at an earlier instant).
CREATE FUNCTION members_last_active() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- SQLite's CAST(subject_id AS INTEGER): the leading integer after any spaces (clamped to the
  -- 64-bit range), 0 when there is none; never an error.
  digits text := substring(NEW.subject_id from '^\s*([+-]?[0-9]+)');
  subject_member_id bigint := coalesce(
    least(greatest(digits::numeric, -9223372036854775808), 9223372036854775807)::bigint, 0);
BEGIN
  UPDATE members SET last_active_at = NEW.at
  WHERE organisation_id = NEW.organisation_id
    AND id = subject_member_id
    AND (last_active_at IS NULL OR last_active_at < NEW.at COLLATE "C");
  RETURN NULL;
END;
$$;

CREATE TRIGGER members_last_active AFTER INSERT ON audit_log
  FOR EACH ROW
  WHEN (NEW.subject_type = 'member'
    AND (NEW.action IN ('member.signed_in', 'invitation.accepted') OR NEW.actor_type = 'scim_token'))
  EXECUTE FUNCTION members_last_active();

-- Every write of the directory's attributes (a SCIM create, replace, patch or link) is activity too,
-- also one that changes nothing the audit log records (a new display name, a repeated PUT): it
-- stamps the member's updated_at in the same statement.
CREATE FUNCTION members_scim_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE members SET last_active_at = NEW.updated_at
  WHERE id = NEW.id AND (last_active_at IS NULL OR last_active_at < NEW.updated_at COLLATE "C");
  RETURN NULL;
END;
$$;

CREATE TRIGGER members_scim_activity AFTER UPDATE OF scim_resource ON members
  FOR EACH ROW
  WHEN (NEW.scim_resource IS NOT NULL)
  EXECUTE FUNCTION members_scim_activity();

-- What the log already knows.
UPDATE members SET last_active_at = (
  SELECT max(a.at COLLATE "C") FROM audit_log a
  WHERE a.organisation_id = members.organisation_id
    AND a.subject_type = 'member'
    AND a.subject_id = CAST(members.id AS text)
    AND (a.action IN ('member.signed_in', 'invitation.accepted') OR a.actor_type = 'scim_token')
);

-- The members page sorted by last activity, and the "inactive for N days" filter.
CREATE INDEX members_last_active ON members (organisation_id, last_active_at);
