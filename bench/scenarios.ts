// Every benchmark scenario, in the order `npm run bench` runs them. Add new ones here.
import { admissions, seatClaims } from './claims.js';
import type { Scenario } from './scenario.js';

export const scenarios: readonly Scenario[] = [seatClaims, admissions];
