-- When each member was last active: their last sign-in (SSO, a mailed link, accepting an
-- invitation) or the last change the directory (SCIM) made to them. The members page shows and
-- sorts by it, and filters members inactive for N days, to reclaim idle seats.

ALTER TABLE members ADD COLUMN last_active_at TEXT;
