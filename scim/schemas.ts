// The SCIM schemas and service provider configuration (RFC 7643 §4, §5, §7), declared once.
// The discovery documents are generated from these declarations, so they describe exactly what
// the server does: PATCH, filter (up to MAX_RESULTS), sort and ETags yes; bulk and password
// change no.
import SCIMMY from 'scimmy';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** Our extension: the member's seat tier (writable, subject to availability), seat state and role. */
export const SEAT_SCHEMA = 'urn:ietf:params:scim:schemas:extension:seatkeeper:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** Largest page a list returns (ServiceProviderConfig filter.maxResults). */
export const MAX_RESULTS = 1000;
/** Largest request body accepted (bytes). */
export const MAX_PAYLOAD = 1_048_576;

const SeatExtension = new SCIMMY.Types.SchemaDefinition(
  'SeatkeeperUser',
  SEAT_SCHEMA,
  'Seat held by the member',
  [
    new SCIMMY.Types.Attribute('string', 'tier', {
      caseExact: true,
      description:
        'Seat tier (standard, premium). Writable: a change claims a seat of that tier, if one is available.',
    }),
    new SCIMMY.Types.Attribute('string', 'seatState', {
      caseExact: true,
      mutable: false,
      description: 'seated, invited, unassigned, deactivated, awaiting_seat or unmapped.',
    }),
    new SCIMMY.Types.Attribute('string', 'role', {
      caseExact: true,
      mutable: false,
      description: 'primary_owner, owner, admin or user.',
    }),
  ],
);

let declared = false;

/**
 * Declares the resources and the service provider configuration, once per process: they are the
 * same for every app. Where an app is served (meta.location) is not declared here, since scimmy
 * keeps one base path per process; each app's discovery documents carry their own (discoveryAt).
 */
export function declareScim(): void {
  if (declared) return;
  declared = true;
  // scimmy's published typings accept only attribute lists here, but extend() takes a schema
  // (its own documentation and runtime); the cast says so in one place.
  const extend = SCIMMY.Schemas.User.extend.bind(SCIMMY.Schemas.User) as (
    schema: unknown,
    required: boolean,
  ) => void;
  extend(SCIMMY.Schemas.EnterpriseUser, false);
  extend(SeatExtension, false);
  SCIMMY.Resources.declare(SCIMMY.Resources.User);
  SCIMMY.Resources.declare(SCIMMY.Resources.Group);
  SCIMMY.Config.set({
    patch: true,
    filter: MAX_RESULTS,
    sort: true,
    etag: true,
    bulk: false,
    changePassword: false,
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A long-lived SCIM token created by an owner, sent as "Authorization: Bearer <token>".',
        primary: true,
      },
    ],
  });
}

export { SCIMMY };
