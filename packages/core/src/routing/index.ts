export { compileRoutes } from './compile.js';
export { RouteMatcher } from './match.js';
export {
  type CompiledRoute,
  type CompiledSplit,
  type HeaderMatch,
  type MatchedRoute,
  ROUTE,
  type Route,
  type RouteMatch,
  type RouteSplit,
} from './route.js';
export type { HeaderMatchData, RouteMatchData, RouteSnapshot } from './route-data.js';
export { EVERY_ENDPOINT, parseSelector, type Selector, selectorOf, selects } from './selector.js';
