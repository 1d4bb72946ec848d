import type { RequestInfo } from '../context/request-info.js';
import { NoEndpointsError } from '../errors/errors.js';
import type { CompiledRoute } from '../routing/route.js';
import { EVERY_ENDPOINT, parseSelector, type Selector } from '../routing/selector.js';
import type { EndpointPool } from './pool.js';
import type { Random } from './random.js';
import { Subset } from './subset.js';

/** Distinct override values remembered; past this, odd values are parsed per call and not kept. */
const OVERRIDE_CACHE = 64;

/** A route with its split resolved to subsets, and the draw between the non-empty ones. */
export class RouteEntry {
  readonly route: CompiledRoute;
  readonly #subsets: readonly Subset[];
  readonly #weights: readonly number[];
  #at = -1;
  #live: Subset[] = [];
  #cumulative: number[] = [];

  constructor(route: CompiledRoute, subsets: readonly Subset[]) {
    this.route = route;
    this.#subsets = subsets;
    this.#weights = route.split.map((s) => s.weight);
  }

  /** A subset by weight among those with endpoints (their shares spread over the rest); undefined if none has any. */
  choose(pool: EndpointPool, random: Random): Subset | undefined {
    if (this.#at !== pool.setVersion) this.#recount(pool);
    const live = this.#live;
    if (live.length <= 1) return live[0];
    const cumulative = this.#cumulative;
    const r = random() * cumulative[cumulative.length - 1]!;
    for (let i = 0; i < live.length - 1; i++) if (r < cumulative[i]!) return live[i];
    return live[live.length - 1];
  }

  #recount(pool: EndpointPool): void {
    this.#at = pool.setVersion;
    this.#live = [];
    this.#cumulative = [];
    let total = 0;
    this.#subsets.forEach((subset, i) => {
      if (this.#weights[i]! <= 0 || subset.refresh(pool).length === 0) return;
      total += this.#weights[i]!;
      this.#live.push(subset);
      this.#cumulative.push(total);
    });
  }
}

/**
 * Which subset an attempt draws from: the override header's, else the first matching route's
 * split, else every endpoint. Subsets are shared by selector, so two routes sending to
 * `version=v2` share one picker and one panic state.
 */
export class Placement {
  readonly all = new Subset(EVERY_ENDPOINT);
  routes: readonly RouteEntry[] = [];
  #subsets = new Map<string, Subset>();
  readonly #overrides = new Map<string, Selector | null>();

  setRoutes(routes: readonly CompiledRoute[]): void {
    const subsets = new Map<string, Subset>();
    const entries = routes.map((route) => {
      const chosen = route.split.map(({ selector }) => {
        let subset = subsets.get(selector.key) ?? this.#subsets.get(selector.key);
        if (!subset) subset = selector.key === '' ? this.all : new Subset(selector);
        subsets.set(selector.key, subset);
        return subset;
      });
      return new RouteEntry(route, chosen);
    });
    this.#subsets = subsets;
    this.#overrides.clear();
    this.routes = entries;
  }

  match(info: RequestInfo): RouteEntry | undefined {
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) if (routes[i]!.route.matches(info)) return routes[i];
    return undefined;
  }

  /**
   * The subset an attempt draws from: the override header's if the request carries one, else
   * the matched route's split, else every endpoint. Throws `NO_ENDPOINTS` naming the header or
   * the route when that leaves nothing to pick from.
   */
  subsetFor(
    info: RequestInfo,
    route: RouteEntry | undefined,
    pool: EndpointPool,
    random: Random,
    overrideHeader: string | undefined,
    service: string,
  ): Subset {
    const pinned = overrideHeader === undefined ? undefined : info.header(overrideHeader)?.trim();
    if (pinned) {
      const subset = this.override(pinned);
      if (subset === undefined || subset.refresh(pool).length === 0) {
        const why = subset ? 'matches no endpoint' : 'is not label=value[,label=value]';
        throw new NoEndpointsError({
          service,
          reason: `override header ${overrideHeader}: "${pinned}" ${why}`,
        });
      }
      return subset;
    }
    if (route === undefined) return this.all;
    const subset = route.choose(pool, random);
    if (subset === undefined) {
      const subsets = route.route.split.map((s) => s.selector.key || '*').join(' | ');
      throw new NoEndpointsError({
        service,
        reason: `route "${route.route.name}": no endpoint matches ${subsets}`,
      });
    }
    return subset;
  }

  /** The subset an override header value pins to; undefined when the value is malformed. */
  override(value: string): Subset | undefined {
    let selector = this.#overrides.get(value);
    if (selector === undefined) {
      selector = parseSelector(value) ?? null;
      if (this.#overrides.size < OVERRIDE_CACHE) this.#overrides.set(value, selector);
    }
    if (selector === null) return undefined;
    if (selector.key === '') return this.all;
    let subset = this.#subsets.get(selector.key);
    if (!subset) {
      subset = new Subset(selector);
      if (this.#subsets.size < OVERRIDE_CACHE + this.routes.length)
        this.#subsets.set(selector.key, subset);
    }
    return subset;
  }

  /** Every subset in use, for `inspect()`. */
  subsets(): Subset[] {
    return [this.all, ...[...this.#subsets.values()].filter((s) => s !== this.all)];
  }
}
