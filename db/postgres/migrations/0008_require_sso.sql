-- PostgreSQL form of the SQLite migration 0008_require_sso.sql; the same statements, with
-- PostgreSQL's types (bigint for INTEGER).
--
-- An owner can require single sign-on: mailed sign-in links and invitation acceptance for addresses
-- on the organisation's verified domains then go through the identity provider, so someone disabled
-- there cannot come back by mail (docs/sso.md, "Require single sign-on"). The primary owner keeps a
-- mailed link as the way back in when the identity provider itself is broken.

-- 1: sign-in for verified-domain addresses only through an enabled SSO connection.
ALTER TABLE organisations ADD COLUMN require_sso bigint NOT NULL DEFAULT 0 CHECK (require_sso IN (0, 1));
