import type { BreakerState } from '../breaker/circuit-breaker.js';
import type { RouteSnapshot } from '../routing/route-data.js';

/**
 * A client's live state, as plain data: what `client.snapshot()` returns on both clients.
 *
 * The rules, so a consumer never has to guess:
 * - **Off is `false`.** A position that is off (`breaker: false`, no rate limit configured, no
 *   balancer in an interceptor's chain) is `false`, as in the options; every key is always
 *   present.
 * - **Unknown is `null`.** A value that does not exist yet (no latency before an endpoint's
 *   first response, no ejection) is `null`. Nothing is ever `undefined`, so
 *   `JSON.parse(JSON.stringify(snapshot))` equals the snapshot.
 * - **Times are wall-clock numbers**: ms since the Unix epoch, comparable with `Date.now()` and
 *   `takenAt`, so a gauge can publish one without parsing and a reader can format it with
 *   `new Date(t)`. Durations end in `Ms`.
 * - **Every number is ready to publish**: counts, tokens, percents and times as they are, with
 *   nothing left to compute, so an observable gauge can read one snapshot per collection.
 *
 * Taking one reads the policies' state without changing it and costs nothing per call: it is
 * computed on demand, in O(endpoints + routes).
 */
export interface ClientSnapshot {
  readonly service: string;
  /** When this was taken (ms since the epoch). */
  readonly takenAt: number;
  /** The "route + balancer" position: endpoints, subsets in panic, routes. */
  readonly balancer: BalancerSnapshot | false;
  readonly breaker: BreakerSnapshot | false;
  /** The one extra-load budget of retries, requeues and hedges; false with both off. */
  readonly budget: BudgetSnapshot | false;
  readonly bulkhead: BulkheadSnapshot | false;
  readonly rateLimit: RateLimitSnapshot | false;
}

export interface BalancerSnapshot {
  /** The algorithm: `p2c-ewma`, `round-robin`, ... or a custom balancer's `name`. */
  readonly name: string;
  /** The current set from discovery; `[]` before the first set arrives. */
  readonly endpoints: readonly EndpointSnapshot[];
  /** Subsets balancing over ejected endpoints too (`version=v2`, `*` for all of them). */
  readonly panic: readonly string[];
  /** The route table in force, in match order (first match wins); `[]` without routes. */
  readonly routes: readonly RouteSnapshot[];
}

export interface EndpointSnapshot {
  readonly id: string;
  /** `host:port`, `[v6]:port` for an IPv6 host. */
  readonly address: string;
  readonly zone: string | null;
  readonly weight: number;
  readonly metadata: Readonly<Record<string, string>>;
  /** Attempts sent to it and not settled yet. */
  readonly inFlight: number;
  /**
   * Peak-EWMA latency as of its last response (failures counted as penalised latencies); null
   * before the first, and always with a balancer that keeps none (round robin, least request).
   */
  readonly latencyMs: number | null;
  /** Ejected by outlier detection and not yet due back. */
  readonly ejected: boolean;
  /** When the ejection ends (ms since the epoch); null when not ejected. */
  readonly ejectedUntil: number | null;
  /**
   * The count the last ejection was timed by (n × the base ejection time); 0 if never ejected.
   * Time in good standing lowers it when the next ejection comes, not before.
   */
  readonly timesEjected: number;
}

export interface BreakerSnapshot {
  /** As the next call would find it: an open circuit past its reset time reads `half-open`. */
  readonly state: BreakerState;
  /**
   * The rolling window now. Only a closed circuit counts; opening empties it (each closed
   * period starts afresh, as in Hystrix), so what tripped it is in `lastOpened`.
   */
  readonly window: {
    readonly calls: number;
    readonly failures: number;
    /** `failures / calls × 100`; 0 with no calls. */
    readonly errorPercent: number;
    readonly lengthMs: number;
  };
  /** When an open circuit lets its trial call through (ms since the epoch); null unless open. */
  readonly halfOpenAt: number | null;
  /** Whether the one half-open trial call is out. */
  readonly trialInFlight: boolean;
  /** The last opening and the counts that caused it (a failed trial is 1 of 1); null if never. */
  readonly lastOpened: {
    readonly at: number;
    readonly calls: number;
    readonly failures: number;
    readonly errorPercent: number;
  } | null;
  readonly errorThresholdPercent: number;
  readonly volumeThreshold: number;
  readonly resetTimeoutMs: number;
}

export interface BudgetSnapshot {
  /** Tokens a retry, requeue or hedge could withdraw now (one each). */
  readonly balance: number;
  readonly ratio: number;
  readonly minPerSecond: number;
  readonly ttlMs: number;
}

export interface BulkheadSnapshot {
  /** Calls holding a slot. */
  readonly inFlight: number;
  /** Calls waiting for one. */
  readonly queued: number;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** null: a queued call waits as long as its deadline allows. */
  readonly queueTimeoutMs: number | null;
}

export interface RateLimitSnapshot {
  /** Tokens in the bucket now, fractional; negative when waiting calls have borrowed ahead. */
  readonly tokens: number;
  readonly perSecond: number;
  readonly burst: number;
}
