// Every admin API route, grouped by the console page or resource it serves.
import { accessRoutes } from './access.js';
import { apiTokenRoutes } from './api-tokens.js';
import { auditRoutes } from './audit.js';
import { billingRoutes } from './billing.js';
import { identityRoutes } from './identity.js';
import { invitationRoutes } from './invitations.js';
import { languageRoutes } from './languages.js';
import { memberCsvRoutes } from './member-csv.js';
import { memberBulkRoutes } from './members-bulk.js';
import { memberRoutes } from './members.js';
import type { Route } from './route.js';
import { seatUsageRoutes } from './seat-usage.js';
import { seatRequestRoutes } from './seat-requests.js';
import { sessionRoutes } from './session.js';
import { usageRoutes } from './usage.js';
import { webhookRoutes } from './webhooks.js';

/**
 * What the routes need, together: each group of routes names only the services it uses, and this
 * is their union (the composition root, server/container.ts, builds each of them once).
 */
export type RouteDeps = Parameters<typeof sessionRoutes>[0] &
  Parameters<typeof apiTokenRoutes>[0] &
  Parameters<typeof accessRoutes>[0] &
  Parameters<typeof languageRoutes>[0] &
  Parameters<typeof memberCsvRoutes>[0] &
  Parameters<typeof memberRoutes>[0] &
  Parameters<typeof memberBulkRoutes>[0] &
  Parameters<typeof invitationRoutes>[0] &
  Parameters<typeof seatRequestRoutes>[0] &
  Parameters<typeof billingRoutes>[0] &
  Parameters<typeof usageRoutes>[0] &
  Parameters<typeof seatUsageRoutes>[0] &
  Parameters<typeof identityRoutes>[0] &
  Parameters<typeof auditRoutes>[0] &
  Parameters<typeof webhookRoutes>[0];

export function allRoutes(deps: RouteDeps): Route[] {
  return [
    ...sessionRoutes(deps),
    ...apiTokenRoutes(deps),
    ...accessRoutes(deps),
    ...languageRoutes(deps),
    ...memberCsvRoutes(deps),
    ...memberRoutes(deps),
    ...memberBulkRoutes(deps),
    ...invitationRoutes(deps),
    ...seatRequestRoutes(deps),
    ...billingRoutes(deps),
    ...usageRoutes(deps),
    ...seatUsageRoutes(deps),
    ...identityRoutes(deps),
    ...auditRoutes(deps),
    ...webhookRoutes(deps),
  ];
}
