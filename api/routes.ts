// Every admin API route, grouped by the console page or resource it serves.
import type { Container } from '../server/container.js';
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

/** What the routes need: the services of the composition root, and where links point. */
export type RouteDeps = Container & { readonly publicBaseUrl: string };

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
