-- PostgreSQL form of the SQLite migration 0012_webhook_secret_overlap.sql; the same statements.
--
-- Rotating a webhook endpoint's signing secret with an overlap: until `previous_secret_until`
-- deliveries are signed with the new secret and the one it replaced, so a receiver can switch at
-- its own pace without refusing an event (docs/webhooks.md, "Rotating the secret").

-- The secret the current one replaced, sealed as `secret` is (same row context); NULL: none.
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret text;

-- Until when (UTC ISO instant, exclusive) deliveries also carry the previous secret's signature.
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_until text;
