import type { LoadBalancerPolicy } from '../balancer/policy.js';
import type { EndpointStatus } from '../balancer/snapshot.js';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { RetryBudget } from '../budget/retry-budget.js';
import type { Bulkhead } from '../bulkhead/bulkhead.js';
import type { TokenBucket } from '../rate-limit/token-bucket.js';
import type { Clock } from '../time/clock.js';
import type {
  BalancerSnapshot,
  BreakerSnapshot,
  ClientSnapshot,
  EndpointSnapshot,
} from './client-snapshot.js';

/**
 * The state objects `buildChain` made, each undefined when its position is off. The chain
 * keeps references to them as it builds; nothing on a call's path reads or writes anything for
 * the snapshot's sake.
 */
export interface SnapshotSources {
  readonly service: string;
  /** The chain's clock: the scale of the breaker's times (and, in a client, the balancer's). */
  readonly clock: Clock;
  readonly loadBalancer: LoadBalancerPolicy | undefined;
  readonly breaker: CircuitBreaker | undefined;
  readonly budget: RetryBudget | undefined;
  readonly bulkhead: Bulkhead | undefined;
  readonly rateLimit: TokenBucket | undefined;
}

/**
 * Reads every source once, now, and turns clock times (monotonic ms) into wall-clock ones with
 * a single pair of readings, so that all times in one snapshot agree with each other.
 *
 * The balancer stamps ejections with each call's `ctx.clock`; a client's calls and its chain
 * both run on the system clock, so one conversion serves both.
 */
export function takeSnapshot(sources: SnapshotSources): ClientSnapshot {
  const now = sources.clock.now();
  const takenAt = Date.now();
  const wall = (t: number): number => Math.round(takenAt + (t - now));
  const { loadBalancer, breaker, budget, bulkhead, rateLimit } = sources;
  return {
    service: sources.service,
    takenAt,
    balancer: loadBalancer ? balancerSnapshot(loadBalancer, now, wall) : false,
    breaker: breaker ? breakerSnapshot(breaker, wall) : false,
    budget: budget
      ? {
          balance: budget.balance,
          ratio: budget.ratio,
          minPerSecond: budget.minPerSecond,
          ttlMs: budget.ttlMs,
        }
      : false,
    bulkhead: bulkhead
      ? {
          inFlight: bulkhead.active,
          queued: bulkhead.queued,
          maxConcurrent: bulkhead.maxConcurrent,
          maxQueue: bulkhead.maxQueue,
          queueTimeoutMs: bulkhead.queueTimeoutMs ?? null,
        }
      : false,
    rateLimit: rateLimit
      ? { tokens: rateLimit.tokens, perSecond: rateLimit.perSecond, burst: rateLimit.burst }
      : false,
  };
}

function balancerSnapshot(
  lb: LoadBalancerPolicy,
  now: number,
  wall: (t: number) => number,
): BalancerSnapshot {
  const state = lb.inspect();
  return {
    name: state.balancer,
    endpoints: state.endpoints.map((status) => endpointSnapshot(status, now, wall)),
    panic: [...state.panic],
    routes: state.routeTable,
  };
}

function endpointSnapshot(
  status: EndpointStatus,
  now: number,
  wall: (t: number) => number,
): EndpointSnapshot {
  const { endpoint: e, ejectedUntil } = status;
  // An ejection past its end is over: the next pick restores it before choosing.
  const ejected = ejectedUntil !== undefined && ejectedUntil > now;
  return {
    id: e.id,
    address: e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`,
    zone: e.zone ?? null,
    weight: e.weight,
    metadata: { ...e.metadata },
    inFlight: status.outstanding,
    latencyMs: status.latencyMs ?? null,
    ejected,
    ejectedUntil: ejected ? wall(ejectedUntil) : null,
    timesEjected: status.timesEjected,
  };
}

function breakerSnapshot(circuit: CircuitBreaker, wall: (t: number) => number): BreakerSnapshot {
  const c = circuit.inspect();
  const last = c.lastOpened;
  return {
    state: c.state,
    window: {
      calls: c.calls,
      failures: c.failures,
      errorPercent: percent(c.failures, c.calls),
      lengthMs: circuit.rollingWindowMs,
    },
    halfOpenAt: c.halfOpenAt === undefined ? null : wall(c.halfOpenAt),
    trialInFlight: c.trialInFlight,
    lastOpened: last
      ? {
          at: wall(last.at),
          calls: last.calls,
          failures: last.failures,
          errorPercent: percent(last.failures, last.calls),
        }
      : null,
    errorThresholdPercent: circuit.errorThresholdPercent,
    volumeThreshold: circuit.volumeThreshold,
    resetTimeoutMs: circuit.resetTimeoutMs,
  };
}

function percent(part: number, whole: number): number {
  return whole > 0 ? (part * 100) / whole : 0;
}
