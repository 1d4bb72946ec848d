import type { Endpoint } from '../discovery/endpoint.js';
import type { RouteSnapshot } from '../routing/route-data.js';
import type { Placement } from './placement.js';
import type { EndpointPool } from './pool.js';
import type { SubsetEnv } from './subset.js';

export interface EndpointStatus {
  readonly endpoint: Endpoint;
  readonly outstanding: number;
  /** Peak-EWMA latency as last updated; undefined before the first response. */
  readonly latencyMs: number | undefined;
  readonly ejected: boolean;
  /** Clock time the ejection ends. */
  readonly ejectedUntil: number | undefined;
  readonly timesEjected: number;
}

export interface LoadBalancerSnapshot {
  readonly balancer: string;
  readonly endpoints: readonly EndpointStatus[];
  /** Subsets (`version=v2`, `*` for all) balancing over ejected endpoints too. */
  readonly panic: readonly string[];
  readonly routes: readonly string[];
  /** The routes in force as data (matches and splits), in match order. */
  readonly routeTable: readonly RouteSnapshot[];
}

/** A copy of the balancer's state for `inspect()`: debugging and the demo, not the hot path. */
export function inspect(
  pool: EndpointPool,
  placement: Placement,
  env: SubsetEnv,
): LoadBalancerSnapshot {
  return {
    balancer: env.balancer.name,
    endpoints: pool.backends.map((b) => ({
      endpoint: b.endpoint,
      outstanding: b.outstanding,
      latencyMs: b.rttUs >= 0 ? b.rttUs / 1_000 : undefined,
      ejected: b.ejectedUntil > 0,
      ejectedUntil: b.ejectedUntil > 0 ? b.ejectedUntil : undefined,
      timesEjected: b.timesEjected,
    })),
    panic: placement
      .subsets()
      .filter((s) => s.panic)
      .map((s) => s.selector.key || '*'),
    routes: placement.routes.map((r) => r.route.name),
    routeTable: placement.routes.map((r) => r.route.data),
  };
}
