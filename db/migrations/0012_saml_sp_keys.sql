-- Reserved for the SAML service provider's own key pairs per connection (encrypted assertions,
-- signed AuthnRequests); the tables follow.
SELECT 1;
