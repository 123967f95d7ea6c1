// What the operator's commands print with --json: the admin API's shapes (docs/api.md), so a
// script reads one vocabulary whichever it calls. Tiers are `tier` (or `id` in a list of tiers),
// never `tierId`; months are `{ numerator, denominator, text }`; URLs are absolute, below
// PUBLIC_BASE_URL resolved as the server resolves it.
import { invoiceSummary, invoiceView, quoteView } from '../api/billing.js';
import { memberJson } from '../api/members.js';
import type { GroupMapping, Member, Organisation, OrganisationDomain } from '../domain/records.js';
import type { ApiTokenView } from '../provisioning/api-tokens.js';
import type { SsoConnection, SsoConnectionView } from '../provisioning/sso.js';
import { API_PATH } from '../api/router.js';
import { SCIM_PATH } from '../scim/router.js';
import { ssoEndpoints } from '../sso/endpoints.js';
import type { TierUsage } from '../seats/usage.js';

export { invoiceSummary, invoiceView, memberJson, quoteView };

/** The absolute URLs a command prints, below PUBLIC_BASE_URL (no trailing slash). */
export function urls(publicBaseUrl: string) {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const sso = ssoEndpoints(base);
  return {
    scimBaseUrl: `${base}${SCIM_PATH}`,
    apiBaseUrl: `${base}${API_PATH}`,
    /** What to give the identity provider: as `serviceProvider` in GET /api/v1/sso-connections. */
    serviceProvider: (c: Pick<SsoConnection, 'protocol' | 'publicId'>) => sso.serviceProvider(c),
  };
}

export type Urls = ReturnType<typeof urls>;

/** A connection as GET /api/v1/sso-connections lists it, with what to give the identity provider. */
export function connectionView(c: SsoConnectionView, at: Urls) {
  return {
    id: c.id,
    publicId: c.publicId,
    protocol: c.protocol,
    name: c.name,
    enabled: c.enabled,
    settings: c.config,
    clientSecretSet: c.clientSecretSet,
    linkedIdentities: c.linkedIdentities,
    serviceProvider: at.serviceProvider(c),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** A group mapping as GET /api/v1/group-mappings lists it. */
export function mappingView(m: Pick<GroupMapping, 'groupName' | 'role' | 'tierId'>) {
  return { groupName: m.groupName, role: m.role, tier: m.tierId };
}

/** A tier's seats: GET /api/v1/billing's price with GET /api/v1/usage's counts. */
export function tierView(t: TierUsage) {
  return {
    id: t.tierId,
    name: t.tierName,
    rank: t.rank,
    unitPriceMinor: t.unitPriceMinor,
    allocation: t.allocation,
    held: t.held,
    seated: t.seated,
    invited: t.invited,
    available: t.available,
  };
}

/** The organisation with its domains as GET /api/v1/identity shows them. */
export function organisationView(o: Organisation, domains: readonly OrganisationDomain[]) {
  return {
    id: o.id,
    slug: o.slug,
    name: o.name,
    provisioningMode: o.provisioningMode,
    seatExhaustion: o.seatExhaustion,
    createdAt: o.createdAt,
    domains: domains.map((d) => ({
      domain: d.domain,
      verified: d.verifiedAt !== null,
      verifiedAt: d.verifiedAt,
    })),
  };
}

/** Who waits for a seat, as `waiting` in GET /api/v1/usage. */
export function waitingView<R>(awaiting: readonly Member[], refused: readonly R[]) {
  return {
    total: awaiting.length + refused.length,
    awaitingSeat: awaiting.map((m) => ({
      memberId: m.id,
      email: m.email,
      displayName: m.displayName,
      source: m.source,
      since: m.waitingSince,
    })),
    refused,
  };
}

/** A new API token as POST /api/v1/api-tokens answers, and where to use it. */
export function issuedApiTokenView(token: string, record: ApiTokenView, at: Urls) {
  return { token, ...record, apiBaseUrl: at.apiBaseUrl };
}
