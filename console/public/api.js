// @ts-check
// The admin API as the console uses it: one function per route of docs/api.md, typed with the shapes
// the server answers. Pages call these, never fetch.
import { call, query } from './http.js';

/** @typedef {'primary_owner' | 'owner' | 'admin' | 'user'} Role */

/**
 * @typedef {object} Session
 * @property {'session' | 'token'} via
 * @property {Role} role
 * @property {{ id: number, slug?: string, name?: string }} organisation
 * @property {{ id: number, email: string, displayName: string | null, role: Role, tier: string | null,
 *   seatState: string } | null} member
 * @property {string | null} csrfToken
 * @property {string} [locale] the language the console speaks to the caller (docs/console.md, "Languages")
 * @property {string | null} [language] the member's own choice of language, null for automatic
 * @property {string} [defaultLanguage] the organisation's default language
 */

/** @returns {Promise<Session>} */
export const session = () =>
  /** @type {Promise<Session>} */ (call('GET', '/session', undefined, { quietAuth: true }));
export const signOut = () => call('DELETE', '/session');

// Signing in without SSO, invitations and ownership (public: the token is the credential).

/** @param {{ organisation: string, email: string }} body */
export const requestSignInLink = (body) => call('POST', '/sign-in-links', body);
/** @param {string} token */
export const redeemSignInLink = (token) => call('POST', '/sign-in-links/redeem', { token });
/** @param {string} token */
export const acceptInvitation = (token) => call('POST', '/invitations/accept', { token });
/** @param {string} token */
export const confirmOwnershipTransfer = (token) => call('POST', '/ownership-transfers/confirm', { token });

// Members and invitations (admins; roles: owners).

/**
 * @typedef {object} Member
 * @property {number} id
 * @property {string} email
 * @property {string | null} displayName
 * @property {Role} role
 * @property {string} seatState
 * @property {string | null} tier
 * @property {'manual' | 'jit' | 'scim'} source
 * @property {string} createdAt
 * @property {string} updatedAt
 * @property {string | null} lastActiveAt last sign-in or directory (SCIM) write; null: never
 */
/**
 * @typedef {object} MemberDetail
 * @property {{ id: number, status: string, sentAt: string, expiresAt: string } | null} invitation
 * @property {{ connectionId: number, connectionName: string, protocol: string, subject: string,
 *   createdAt: string, lastSignInAt: string | null }[]} identities
 */
/**
 * @typedef {object} Invitation
 * @property {number} id
 * @property {number} memberId
 * @property {string} email
 * @property {string | null} displayName
 * @property {Role} role
 * @property {string | null} tier
 * @property {'pending' | 'accepted' | 'revoked' | 'expired'} status
 * @property {string} sentAt
 * @property {string} expiresAt
 * @property {string | null} endedAt
 */
/**
 * @typedef {object} MemberFilters
 * @property {string} [role]
 * @property {string} [tier]
 * @property {string} [seatState]
 * @property {string} [source]
 * @property {string} [q]
 * @property {number | string} [inactiveDays] only members not active for this many days
 * @property {'email' | 'lastActive' | '-lastActive'} [sort]
 * @property {number} [page]
 * @property {number} [perPage]
 */
/** @typedef {{ id: number, slug: string, name: string }} Organisation */
/**
 * @typedef {object} Transfer
 * @property {number} id
 * @property {{ id: number, email: string, displayName: string | null }} from
 * @property {{ id: number, email: string, displayName: string | null }} to
 * @property {string} status
 * @property {string} createdAt
 * @property {string} expiresAt
 */

/** @returns {Promise<{ member: Member, organisation: Organisation }>} */
export const profile = () =>
  /** @type {Promise<{ member: Member, organisation: Organisation }>} */ (call('GET', '/profile'));
/** Your own language; null: automatic (the browser's, else the organisation's default). */
export const setLanguage = (/** @type {string | null} */ language) =>
  /** @type {Promise<{ language: string | null, locale: string }>} */ (
    call('PATCH', '/profile', { language })
  );
/** Owners: the organisation's default language. */
export const setOrganisationLanguage = (/** @type {string} */ defaultLanguage) =>
  /** @type {Promise<Organisation & { defaultLanguage: string }>} */ (
    call('PATCH', '/organisation', { defaultLanguage })
  );
/** @returns {Promise<{ members: Member[], total: number, page: number, perPage: number }>} */
export const members = (/** @type {MemberFilters} */ filters) =>
  /** @type {Promise<{ members: Member[], total: number, page: number, perPage: number }>} */ (
    call('GET', `/members${query(/** @type {Record<string, string | number | undefined>} */ (filters))}`)
  );
/** @returns {Promise<Member & MemberDetail>} */
export const member = (/** @type {number} */ id) =>
  /** @type {Promise<Member & MemberDetail>} */ (call('GET', `/members/${id}`));
/** @returns {Promise<Member>} */
export const changeRole = (/** @type {number} */ id, /** @type {string} */ role) =>
  /** @type {Promise<Member>} */ (call('PATCH', `/members/${id}/role`, { role }));
/** @returns {Promise<Member>} */
export const changeTier = (/** @type {number} */ id, /** @type {string} */ tier) =>
  /** @type {Promise<Member>} */ (call('PATCH', `/members/${id}/tier`, { tier }));
/** @returns {Promise<Member>} */
export const unassign = (/** @type {number} */ id) =>
  /** @type {Promise<Member>} */ (call('POST', `/members/${id}/unassign`));
export const removeMember = (/** @type {number} */ id) => call('DELETE', `/members/${id}`);
/** @returns {Promise<Transfer>} */
export const startTransfer = (/** @type {number} */ id) =>
  /** @type {Promise<Transfer>} */ (call('POST', `/members/${id}/ownership-transfer`));
/** @returns {Promise<{ transfer: Transfer | null }>} */
export const pendingTransfer = () =>
  /** @type {Promise<{ transfer: Transfer | null }>} */ (call('GET', '/ownership-transfer'));
export const cancelTransfer = () => call('DELETE', '/ownership-transfer');

/** @returns {Promise<{ invitations: Invitation[], total: number, page: number, perPage: number }>} */
export const invitations = (
  /** @type {{ status?: string, page?: number, perPage?: number }} */ filters = {},
) =>
  /** @type {Promise<{ invitations: Invitation[], total: number, page: number, perPage: number }>} */ (
    call('GET', `/invitations${query(filters)}`)
  );
/**
 * @param {{ email: string, displayName?: string | null, role: string, tier?: string }} body
 * @returns {Promise<Invitation>}
 */
export const invite = (body) => /** @type {Promise<Invitation>} */ (call('POST', '/invitations', body));
/** @returns {Promise<Invitation>} */
export const resendInvitation = (/** @type {number} */ id) =>
  /** @type {Promise<Invitation>} */ (call('POST', `/invitations/${id}/resend`));
export const revokeInvitation = (/** @type {number} */ id) => call('DELETE', `/invitations/${id}`);

// API tokens (owners).

/**
 * @typedef {object} ApiToken
 * @property {number} id
 * @property {string} name
 * @property {'owner' | 'admin' | 'user'} role
 * @property {string} prefix
 * @property {string} createdAt
 * @property {string | null} lastUsedAt
 * @property {string | null} revokedAt
 */

/** @returns {Promise<{ tokens: ApiToken[] }>} */
export const apiTokens = () => /** @type {Promise<{ tokens: ApiToken[] }>} */ (call('GET', '/api-tokens'));
/**
 * @param {{ name: string, role: string }} body
 * @returns {Promise<ApiToken & { token: string }>}
 */
export const createApiToken = (body) =>
  /** @type {Promise<ApiToken & { token: string }>} */ (call('POST', '/api-tokens', body));
export const revokeApiToken = (/** @type {number} */ id) => call('DELETE', `/api-tokens/${id}`);

// Billing (owners).

/**
 * @typedef {object} Contract
 * @property {string} currency ISO 4217
 * @property {number} currencyDigits
 * @property {string} timeZone
 * @property {number} termNumber
 * @property {string} termStart
 * @property {string} termEnd
 * @property {boolean} autoRenew
 * @property {string} status
 */
/**
 * @typedef {object} BillingTier
 * @property {string} id
 * @property {string} name
 * @property {number} rank
 * @property {number} unitPriceMinor monthly price per seat
 * @property {number} allocation
 * @property {number} held
 * @property {number} available
 */
/** @typedef {{ contract: Contract, tiers: BillingTier[] }} Billing */
/**
 * @typedef {object} InvoiceLine
 * @property {string} tier
 * @property {string} action
 * @property {string} description
 * @property {number} quantity
 * @property {number} unitPriceMinor
 * @property {{ numerator: number, denominator: number, text: string }} months
 * @property {string} periodStart
 * @property {string} periodEnd
 * @property {number} amountMinor
 */
/**
 * @typedef {object} Quote
 * @property {string} id
 * @property {string} createdAt
 * @property {string} expiresAt
 * @property {string} currency
 * @property {InvoiceLine[]} lines
 * @property {number} totalMinor
 */
/**
 * @typedef {object} InvoiceSummary
 * @property {number} id
 * @property {string} number
 * @property {string} kind
 * @property {number} termNumber
 * @property {string} issuedAt
 * @property {string} currency
 * @property {number} totalMinor
 * @property {string | null} quoteId
 */
/** @typedef {InvoiceSummary & { lines: InvoiceLine[] }} Invoice */
/**
 * @typedef {object} RenewalPreview
 * @property {boolean} renews
 * @property {{ number: number, start: string, end: string }} nextTerm
 * @property {string} currency
 * @property {InvoiceLine[]} lines
 * @property {number} totalMinor
 */
/**
 * @typedef {object} QuoteRequest
 * @property {Record<string, number>} [add]
 * @property {{ from: string, to: string, quantity: number, moveMemberIds?: number[] }[]} [upgrades]
 * @property {string} [idempotencyKey]
 */

/** @returns {Promise<Billing>} */
export const billing = () => /** @type {Promise<Billing>} */ (call('GET', '/billing'));
/** @returns {Promise<Quote>} */
export const quote = (/** @type {QuoteRequest} */ body) =>
  /** @type {Promise<Quote>} */ (call('POST', '/billing/quotes', body));
/** @returns {Promise<Invoice>} */
export const confirmQuote = (/** @type {string} */ id) =>
  /** @type {Promise<Invoice>} */ (call('POST', `/billing/quotes/${encodeURIComponent(id)}/confirm`));
/** @returns {Promise<RenewalPreview>} */
export const renewalPreview = () =>
  /** @type {Promise<RenewalPreview>} */ (call('GET', '/billing/renewal-preview'));
/** @returns {Promise<{ invoices: InvoiceSummary[] }>} */
export const invoices = () =>
  /** @type {Promise<{ invoices: InvoiceSummary[] }>} */ (call('GET', '/invoices'));
/** @returns {Promise<Invoice>} */
export const invoice = (/** @type {string} */ number) =>
  /** @type {Promise<Invoice>} */ (call('GET', `/invoices/${encodeURIComponent(number)}`));
/** Where the browser downloads an invoice as PDF (the session cookie goes with it). */
export const invoicePdfUrl = (/** @type {string} */ number) =>
  `/api/v1/invoices/${encodeURIComponent(number)}/pdf`;
/**
 * @typedef {object} BillingContact
 * @property {string} name
 * @property {string} email
 * @property {string[]} addressLines
 * @property {string} country ISO 3166-1 alpha-2
 * @property {string | null} vatId
 * @property {string} [updatedAt]
 */
/** @returns {Promise<{ contact: BillingContact | null }>} */
export const billingContact = () =>
  /** @type {Promise<{ contact: BillingContact | null }>} */ (call('GET', '/billing/contact'));
/** @returns {Promise<{ contact: BillingContact }>} */
export const setBillingContact = (/** @type {Omit<BillingContact, 'updatedAt'>} */ body) =>
  /** @type {Promise<{ contact: BillingContact }>} */ (call('PUT', '/billing/contact', body));

// Seat usage (admins; thresholds: owners).

/**
 * @typedef {object} UsageTier
 * @property {string} id
 * @property {string} name
 * @property {number} rank
 * @property {number} allocation
 * @property {number} held
 * @property {number} seated
 * @property {number} invited
 * @property {number} available
 */
/**
 * @typedef {object} Usage
 * @property {UsageTier[]} tiers highest first
 * @property {{ total: number,
 *   awaitingSeat: { memberId: number, email: string, displayName: string | null, source: string, since: string | null }[],
 *   refused: { userName: string, source: string, firstAttemptAt: string, lastAttemptAt: string, attempts: number }[] }} waiting
 * @property {number[]} noticeThresholds
 */

/** @returns {Promise<Usage>} */
export const usage = () => /** @type {Promise<Usage>} */ (call('GET', '/usage'));
/** @returns {Promise<{ noticeThresholds: number[] }>} */
export const setThresholds = (/** @type {number[]} */ thresholds) =>
  /** @type {Promise<{ noticeThresholds: number[] }>} */ (call('PUT', '/usage/thresholds', { thresholds }));
/** @returns {Promise<{ seated: number }>} */
export const syncNow = () => /** @type {Promise<{ seated: number }>} */ (call('POST', '/usage/sync-now'));

/**
 * @typedef {object} UsageDay
 * @property {string} date
 * @property {number} bought
 * @property {number} held
 * @property {number} seated
 * @property {number} invited
 * @property {number} available
 */
/**
 * @typedef {object} UsageHistory
 * @property {{ number: number, start: string, end: string }} term
 * @property {string} timeZone
 * @property {string | null} through the last day listed (today)
 * @property {{ id: string, name: string, rank: number, days: UsageDay[] }[]} tiers highest first
 */
/** @returns {Promise<UsageHistory>} */
export const usageHistory = () => /** @type {Promise<UsageHistory>} */ (call('GET', '/usage/history'));
/** The CSV of the same history (one row per day per tier), for a download link. */
export const usageHistoryCsvUrl = () => '/api/v1/usage/history.csv';

/**
 * @typedef {object} BulkResult
 * @property {number} memberId
 * @property {boolean} ok
 * @property {Member} [member] as it is now, when changed
 * @property {import('./http.js').Problem} [problem] why this member was not changed
 */
/**
 * Changes the tier of, unassigns or removes several members, each on its own.
 * @param {{ action: 'change_tier' | 'unassign' | 'remove', memberIds: number[], tier?: string }} body
 * @returns {Promise<{ action: string, tier: string | null, changed: number, refused: number, results: BulkResult[] }>}
 */
export const bulkMembers = (body) =>
  /** @type {Promise<{ action: string, tier: string | null, changed: number, refused: number, results: BulkResult[] }>} */ (
    call('POST', '/members/bulk', body)
  );

// Identity and access (owners).

/**
 * @typedef {object} IdentitySettings
 * @property {'invite_only' | 'jit' | 'scim'} provisioningMode
 * @property {'reject' | 'hold'} seatExhaustion
 * @property {boolean} requireSso
 * @property {boolean} groupMappingsEnabled
 * @property {{ domain: string, verified: boolean, verifiedAt: string | null }[]} domains
 */
/**
 * @typedef {object} SsoConnection
 * @property {number} id
 * @property {string} publicId
 * @property {'saml' | 'oidc'} protocol
 * @property {string} name
 * @property {boolean} enabled
 * @property {Record<string, unknown>} settings
 * @property {boolean} clientSecretSet
 * @property {number} linkedIdentities
 * @property {{ entityId?: string, metadataUrl?: string, acsUrl?: string, redirectUri?: string }} serviceProvider
 * @property {string} createdAt
 */
/**
 * @typedef {object} ScimToken
 * @property {number} id
 * @property {string} name
 * @property {string} prefix
 * @property {string} createdAt
 * @property {string | null} lastUsedAt
 * @property {string | null} revokedAt
 */
/** @typedef {{ groupName: string, role: 'owner' | 'admin' | 'user' | null, tier: string | null }} GroupMapping */
/**
 * @typedef {object} MemberChange
 * @property {number} memberId
 * @property {string} email
 * @property {boolean} you
 * @property {boolean} primaryOwner
 * @property {{ from: string, to: string } | null} role
 * @property {{ from: string, to: string } | null} seatState
 * @property {{ from: string | null, to: string | null } | null} tier
 */
/** @typedef {{ changes: MemberChange[], reasons: string[] }} MappingConsequences */

/** @returns {Promise<IdentitySettings>} */
export const identity = () => /** @type {Promise<IdentitySettings>} */ (call('GET', '/identity'));
/** @returns {Promise<IdentitySettings>} */
export const changeIdentity = (
  /** @type {{ provisioningMode?: string, seatExhaustion?: string, requireSso?: boolean }} */ body,
) => /** @type {Promise<IdentitySettings>} */ (call('PATCH', '/identity', body));
/** @returns {Promise<{ connections: SsoConnection[] }>} */
export const ssoConnections = () =>
  /** @type {Promise<{ connections: SsoConnection[] }>} */ (call('GET', '/sso-connections'));
/** @returns {Promise<SsoConnection>} */
export const createSsoConnection = (/** @type {Record<string, unknown>} */ body) =>
  /** @type {Promise<SsoConnection>} */ (call('POST', '/sso-connections', body));
/** @returns {Promise<SsoConnection>} */
export const changeSsoConnection = (/** @type {number} */ id, /** @type {Record<string, unknown>} */ body) =>
  /** @type {Promise<SsoConnection>} */ (call('PATCH', `/sso-connections/${id}`, body));
export const deleteSsoConnection = (/** @type {number} */ id) => call('DELETE', `/sso-connections/${id}`);
/** @returns {Promise<{ scimBaseUrl: string, tokens: ScimToken[] }>} */
export const scimTokens = () =>
  /** @type {Promise<{ scimBaseUrl: string, tokens: ScimToken[] }>} */ (call('GET', '/scim-tokens'));
/** @returns {Promise<ScimToken & { token: string, scimBaseUrl: string }>} */
export const createScimToken = (/** @type {string} */ name) =>
  /** @type {Promise<ScimToken & { token: string, scimBaseUrl: string }>} */ (
    call('POST', '/scim-tokens', { name })
  );
export const revokeScimToken = (/** @type {number} */ id) => call('DELETE', `/scim-tokens/${id}`);
/** @returns {Promise<{ enabled: boolean, mappings: GroupMapping[] }>} */
export const groupMappings = () =>
  /** @type {Promise<{ enabled: boolean, mappings: GroupMapping[] }>} */ (call('GET', '/group-mappings'));
/**
 * @param {{ enabled: boolean, mappings: GroupMapping[], confirm?: boolean }} body
 * @returns {Promise<{ enabled: boolean, mappings: GroupMapping[], consequences: MappingConsequences }>}
 */
export const putGroupMappings = (body) =>
  /** @type {Promise<{ enabled: boolean, mappings: GroupMapping[], consequences: MappingConsequences }>} */ (
    call('PUT', '/group-mappings', body)
  );

// Webhooks (owners).

/**
 * @typedef {object} WebhookEndpoint
 * @property {number} id
 * @property {string} url
 * @property {string} description
 * @property {string[]} events event types, or ['*'] for every type (including later ones)
 * @property {boolean} enabled
 * @property {string} createdAt
 * @property {string} updatedAt
 */
/**
 * @typedef {object} WebhookAttempt
 * @property {string} startedAt
 * @property {number} durationMs
 * @property {number | null} status what the receiver answered; null when it did not
 * @property {string | null} error
 */
/**
 * @typedef {object} WebhookDelivery
 * @property {number} id
 * @property {string} eventPublicId the event's id, the same in every delivery of it
 * @property {string} eventType
 * @property {'pending' | 'delivered' | 'failed'} state failed: given up
 * @property {number} attempts
 * @property {string} nextAttemptAt
 * @property {number | null} lastStatus
 * @property {string | null} lastError
 * @property {string} createdAt
 * @property {string | null} deliveredAt
 * @property {string | null} failedAt
 * @property {WebhookAttempt[]} attemptLog oldest first
 */
/** @typedef {{ url: string, events: string[], description?: string }} NewWebhookEndpoint */
/** @typedef {{ url?: string, events?: string[], description?: string, enabled?: boolean }} WebhookEndpointPatch */

/** @returns {Promise<{ endpoints: WebhookEndpoint[], eventTypes: string[] }>} */
export const webhooks = () =>
  /** @type {Promise<{ endpoints: WebhookEndpoint[], eventTypes: string[] }>} */ (call('GET', '/webhooks'));
/** @returns {Promise<WebhookEndpoint & { secret: string }>} */
export const createWebhook = (/** @type {NewWebhookEndpoint} */ body) =>
  /** @type {Promise<WebhookEndpoint & { secret: string }>} */ (call('POST', '/webhooks', body));
/** @returns {Promise<WebhookEndpoint>} */
export const changeWebhook = (/** @type {number} */ id, /** @type {WebhookEndpointPatch} */ body) =>
  /** @type {Promise<WebhookEndpoint>} */ (call('PATCH', `/webhooks/${id}`, body));
export const deleteWebhook = (/** @type {number} */ id) => call('DELETE', `/webhooks/${id}`);
/** @returns {Promise<WebhookEndpoint & { secret: string }>} */
export const rotateWebhookSecret = (/** @type {number} */ id) =>
  /** @type {Promise<WebhookEndpoint & { secret: string }>} */ (
    call('POST', `/webhooks/${id}/rotate-secret`)
  );
/** @returns {Promise<{ deliveries: WebhookDelivery[], nextCursor: string | null }>} */
export const webhookDeliveries = (
  /** @type {number} */ id,
  /** @type {{ cursor?: string | undefined, limit?: number }} */ page = {},
) =>
  /** @type {Promise<{ deliveries: WebhookDelivery[], nextCursor: string | null }>} */ (
    call('GET', `/webhooks/${id}/deliveries${query(page)}`)
  );
/** @returns {Promise<WebhookDelivery>} */
export const redeliverWebhook = (/** @type {number} */ endpointId, /** @type {number} */ deliveryId) =>
  /** @type {Promise<WebhookDelivery>} */ (
    call('POST', `/webhooks/${endpointId}/deliveries/${deliveryId}/redeliver`)
  );

// The audit log (admins).

/**
 * @typedef {object} AuditEntry
 * @property {number} id
 * @property {string} at
 * @property {{ type: string, id: string | null, label: string | null, name: string | null }} actor
 * @property {string} action
 * @property {string} event the action in words ("Seat claimed")
 * @property {{ type: string, id: string, label: string | null, name: string | null }} subject
 * @property {unknown} before
 * @property {unknown} after
 * @property {number | null} invoiceId
 * @property {string | null} invoiceNumber
 */
/**
 * @typedef {object} AuditFilters
 * @property {string} [actorType]
 * @property {string} [actorId]
 * @property {string} [action]
 * @property {string} [member]
 * @property {string} [person] text in a member's name or email: entries by or about them
 * @property {string} [from]
 * @property {string} [to]
 */

/** @returns {Promise<{ entries: AuditEntry[], nextCursor: string | null }>} */
export const audit = (/** @type {AuditFilters & { cursor?: string, limit?: number }} */ filters) =>
  /** @type {Promise<{ entries: AuditEntry[], nextCursor: string | null }>} */ (
    call('GET', `/audit${query(filters)}`)
  );
/** @returns {Promise<{ eventTypes: { action: string, text: string }[] }>} */
export const auditEventTypes = () =>
  /** @type {Promise<{ eventTypes: { action: string, text: string }[] }>} */ (
    call('GET', '/audit/event-types')
  );
/** Where the browser downloads the same selection as CSV (the session cookie goes with it). */
export const auditCsvUrl = (/** @type {AuditFilters} */ filters) => `/api/v1/audit.csv${query(filters)}`;

export { query };
