// Every benchmark scenario, in the order `npm run bench` runs them. Add new ones here.
import { admissions, seatClaims } from './claims.js';
import { hostileTenant } from './hostile-tenant.js';
import { postgresScenarios } from './postgres.js';
import type { Scenario } from './scenario.js';
import { ssoScenarios } from './sso.js';
import { scimScenarios } from './scim.js';

export const scenarios: readonly Scenario[] = [
  seatClaims,
  admissions,
  ...scimScenarios,
  hostileTenant,
  ...ssoScenarios,
  ...postgresScenarios,
];
