// The SSO endpoint URLs: built in one place from the public base URL, so the metadata, the ACS a
// response must be addressed to and the redirect URI registered at a provider always agree.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { OIDC_CALLBACK_PATH, SSO_PATH, ssoEndpoints } from '../../../sso/endpoints.js';

describe('the SSO endpoint URLs', () => {
  test('When a SAML connection is named, then its entity id, metadata and ACS are below the public base URL', () => {
    const at = ssoEndpoints('https://seats.example.com');
    assert.equal(at.samlEntityId('abc123'), 'https://seats.example.com/sso/saml/abc123');
    assert.equal(at.samlAcsUrl('abc123'), 'https://seats.example.com/sso/saml/abc123/acs');
    assert.deepEqual(at.serviceProvider({ protocol: 'saml', publicId: 'abc123' }), {
      entityId: 'https://seats.example.com/sso/saml/abc123',
      metadataUrl: 'https://seats.example.com/sso/saml/abc123',
      acsUrl: 'https://seats.example.com/sso/saml/abc123/acs',
    });
  });

  test('When an OIDC connection is named, then it gets the one redirect URI every connection shares', () => {
    const at = ssoEndpoints('https://seats.example.com');
    assert.equal(at.oidcRedirectUri, 'https://seats.example.com/sso/oidc/callback');
    assert.deepEqual(at.serviceProvider({ protocol: 'oidc', publicId: 'x' }), {
      redirectUri: 'https://seats.example.com/sso/oidc/callback',
    });
    assert.equal(OIDC_CALLBACK_PATH, `${SSO_PATH}/oidc/callback`);
  });

  test('When the base URL has a path or trailing slashes, then the path is kept and no slash is doubled', () => {
    const at = ssoEndpoints('https://example.com/seats//');
    assert.equal(at.samlAcsUrl('p'), 'https://example.com/seats/sso/saml/p/acs');
    assert.equal(at.oidcRedirectUri, 'https://example.com/seats/sso/oidc/callback');
  });
});
