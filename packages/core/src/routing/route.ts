import { contextKey } from '../context/context-key.js';
import type { RequestInfo } from '../context/request-info.js';
import type { FaultSpec, ResolvedFault } from '../fault/options.js';
import type { RouteSnapshot } from './route-data.js';
import type { Selector } from './selector.js';

/** A header condition: a string is an exact match. Names are matched lower-cased. */
export type HeaderMatch =
  | string
  | { readonly exact: string }
  | { readonly prefix: string }
  | { readonly regex: RegExp }
  | { readonly present: boolean };

/** Every given condition must hold; an empty match matches every request. */
export interface RouteMatch {
  /** One method or several (`GET`, `['PUT', 'DELETE']`); gRPC calls are `POST`. */
  method?: string | readonly string[] | undefined;
  /**
   * `exact`, or `prefix` by whole path segments (Gateway API's PathPrefix): `/api` matches `/api`
   * and `/api/x`, not `/apiary`. gRPC paths are `/package.Service/Method`.
   */
  path?: { readonly exact: string } | { readonly prefix: string } | undefined;
  headers?: Readonly<Record<string, HeaderMatch>> | undefined;
}

/** Share of a route's traffic for the endpoints whose metadata has every given label. */
export interface RouteSplit {
  subset: Readonly<Record<string, string>>;
  /** Relative, ≥ 0 (`95` and `5`, or `0.95` and `0.05`). */
  weight: number;
}

/**
 * Where matching requests go. The first route that matches wins; a request no route matches
 * goes to every endpoint. A split entry whose subset has no endpoints is skipped and its share
 * spread over the others, so a canary that is not deployed yet fails nobody.
 */
export interface Route {
  /** For events and traces; `routes[i]` by default. */
  name?: string | undefined;
  match?: RouteMatch | undefined;
  /** Default: one entry, every endpoint. */
  split?: readonly RouteSplit[] | undefined;
  /** Fault injection for this route: replaces the client-wide `fault`, or `false` to exempt it. */
  fault?: FaultSpec | false | undefined;
}

/** The route an attempt matched, as the balancer hands it inward (for `fault()`, telemetry). */
export interface MatchedRoute {
  readonly name: string;
  /** undefined: the client-wide fault settings apply; false: none on this route. */
  readonly fault: ResolvedFault | false | undefined;
}

export interface CompiledSplit {
  readonly selector: Selector;
  readonly weight: number;
}

export interface CompiledRoute extends MatchedRoute {
  readonly split: readonly CompiledSplit[];
  /** The route as plain data, made at compile time for `client.snapshot()`. */
  readonly data: RouteSnapshot;
  matches(info: RequestInfo): boolean;
}

/** Set by the load-balancing policy on each attempt's context when a route matched. */
export const ROUTE = contextKey<MatchedRoute>('outrigger.route');

/** The subset an attempt was placed in (its selector, `version=v2`), when not every endpoint. */
export const SUBSET = contextKey<string>('outrigger.subset');
