-- PostgreSQL form of the SQLite migration 0009_token_expiry.sql; the same statements.
--
-- SCIM and admin API tokens can be given an end: past `expires_at` a token answers 401 as if it
-- were revoked. Both tables already record `last_used_at`, so an owner can see and revoke a stale
-- token (docs/api.md, "Tokens").

-- When the SCIM token stops working (UTC ISO instant); NULL: it works until revoked.
ALTER TABLE scim_tokens ADD COLUMN expires_at text;

-- When the API token stops working (UTC ISO instant); NULL: it works until revoked.
ALTER TABLE api_tokens ADD COLUMN expires_at text;
