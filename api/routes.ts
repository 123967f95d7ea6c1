// Every admin API route, grouped by the console page or resource it serves.
import type { Container } from '../server/container.js';
import { apiTokenRoutes } from './api-tokens.js';
import type { Route } from './route.js';
import { sessionRoutes } from './session.js';

/** What the routes need: the services of the composition root, and where links point. */
export type RouteDeps = Container & { readonly publicBaseUrl: string };

export function allRoutes(deps: RouteDeps): Route[] {
  return [...sessionRoutes(deps), ...apiTokenRoutes(deps)];
}
