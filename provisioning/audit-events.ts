// The audit log's event types in words ("seat.claimed" → "Seat claimed"): what the console shows
// and offers as a filter (GET /audit/event-types). An action not in the table is still shown, its
// words made from its name, so a new event never shows up blank.

/** Every action the server records, in the order the console lists them, with its words. */
export const AUDIT_EVENTS: Readonly<Record<string, string>> = {
  'member.created': 'Member created',
  'member.readded': 'Member added again',
  'member.updated': 'Member details updated',
  'member.linked': 'Member linked to the directory',
  'member.role_changed': 'Role changed',
  'member.state_changed': 'Member state changed',
  'member.deactivated': 'Member deactivated',
  'member.removed': 'Member removed',
  'member.signed_in': 'Signed in',
  'sign_in.refused': 'Sign-in refused',
  'sign_in.rejected': 'Sign-in rejected',
  'seat.claimed': 'Seat claimed',
  'seat.released': 'Seat released',
  'seat.unassigned': 'Seat unassigned',
  'seat.tier_changed': 'Tier changed',
  'seat.awaiting': 'Waiting for a seat',
  'seat_request.created': 'Seat requested',
  'seat_request.granted': 'Seat request granted',
  'seat_request.declined': 'Seat request declined',
  'invitation.created': 'Invitation sent',
  'invitation.seat_held': 'Invitation holds a seat',
  'invitation.resent': 'Invitation sent again',
  'invitation.accepted': 'Invitation accepted',
  'invitation.revoked': 'Invitation revoked',
  'invitation.expired': 'Invitation expired',
  'allocation.changed': 'Seats bought',
  'invoice.issued': 'Invoice issued',
  'billing_contact.changed': 'Billing contact changed',
  'contract.renewed': 'Contract renewed',
  'contract.expired': 'Contract expired',
  'owner_notice.seat_threshold': 'Seat usage notice sent',
  'owner_notice.no_seats': 'No-seat notice sent',
  'ownership_transfer.requested': 'Ownership transfer requested',
  'ownership_transfer.confirmed': 'Ownership transferred',
  'ownership_transfer.cancelled': 'Ownership transfer cancelled',
  'ownership_transfer.expired': 'Ownership transfer expired',
  'organisation.created': 'Organisation created',
  'organisation.provisioning_mode_changed': 'Provisioning mode changed',
  'organisation.seat_exhaustion_changed': 'Seat exhaustion policy changed',
  'organisation.require_sso_changed': 'Single sign-on requirement changed',
  'organisation.group_mappings_changed': 'Group mappings changed',
  'organisation.notice_thresholds_changed': 'Notice thresholds changed',
  'sso_connection.created': 'SSO connection added',
  'sso_connection.updated': 'SSO connection changed',
  'sso_connection.enabled': 'SSO connection enabled',
  'sso_connection.disabled': 'SSO connection disabled',
  'sso_connection.deleted': 'SSO connection deleted',
  'sso_connection.sp_key_created': 'SAML service provider key created',
  'sso_connection.sp_key_added': 'SAML service provider key added',
  'sso_connection.sp_key_promoted': 'SAML service provider key put in use',
  'group.created': 'Directory group created',
  'group.changed': 'Directory group changed',
  'group.deleted': 'Directory group deleted',
  'scim_token.created': 'SCIM token created',
  'scim_token.revoked': 'SCIM token revoked',
  'api_token.created': 'API token created',
  'api_token.revoked': 'API token revoked',
  'webhook_endpoint.created': 'Webhook endpoint added',
  'webhook_endpoint.changed': 'Webhook endpoint changed',
  'webhook_endpoint.secret_rotated': 'Webhook secret rotated',
  'webhook_endpoint.deleted': 'Webhook endpoint deleted',
  'webhook_delivery.redelivered': 'Webhook delivery sent again',
};

/** An action in words: from the table, else from its name ("member_import.applied" → "Member import applied"). */
export function eventText(action: string): string {
  const known = AUDIT_EVENTS[action];
  if (known !== undefined) return known;
  const text = action.replace(/[._]+/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
