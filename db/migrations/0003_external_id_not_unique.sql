-- externalId is the identity provider's identifier, and RFC 7643 §3.1 says the service provider
-- does not enforce its uniqueness ("it is assumed that the value's uniqueness is controlled by the
-- client setting the value"). Entra's own test collection creates several users, and several
-- groups, with one externalId; a deleted user's externalId must not block a new user either.
-- The indexes stay, without UNIQUE, for Entra's `externalId eq "…"` matching filter.
DROP INDEX members_external_id;
CREATE INDEX members_external_id ON members (organisation_id, external_id) WHERE external_id IS NOT NULL;
DROP INDEX scim_groups_external_id;
CREATE INDEX scim_groups_external_id ON scim_groups (organisation_id, external_id) WHERE external_id IS NOT NULL;
