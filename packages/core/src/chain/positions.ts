import type { Meter, Tracer } from '@opentelemetry/api';
import { type LoadBalancerPolicy, loadBalancer } from '../balancer/policy.js';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { breaker } from '../breaker/policy.js';
import type { RetryBudget } from '../budget/retry-budget.js';
import type { Bulkhead } from '../bulkhead/bulkhead.js';
import { bulkhead } from '../bulkhead/policy.js';
import type { Classifier } from '../classify/classifier.js';
import type { EffectiveConfig } from '../config/options.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { Discovery } from '../discovery/discovery.js';
import type { EventBus } from '../events/events.js';
import { fault } from '../fault/policy.js';
import { hedge } from '../hedge/policy.js';
import { rateLimit } from '../rate-limit/policy.js';
import type { TokenBucket } from '../rate-limit/token-bucket.js';
import { retry } from '../retry/policy.js';
import type { Route } from '../routing/route.js';
import type { Policy } from '../service/service.js';
import { type ClientMetrics, clientMetrics } from '../telemetry/metrics.js';
import type { ProtocolTelemetry } from '../telemetry/protocol.js';
import { SpanEvents } from '../telemetry/span-events.js';
import { attemptSpans, callSpans } from '../telemetry/spans.js';
import type { Clock } from '../time/clock.js';
import { timeout } from '../timeout/policy.js';
import { takeSnapshot } from './snapshot.js';

/** What every position's builder may use: resolved settings and the client's shared parts. */
export interface BuildContext {
  readonly config: EffectiveConfig;
  readonly service: string;
  readonly classifier: Classifier<never>;
  readonly events: EventBus;
  readonly clock: Clock;
  readonly random: () => number;
  readonly budget: RetryBudget | undefined;
  /** Cleanups run by the chain's `close()`. */
  readonly closers: (() => Promise<void> | void)[];
  readonly resolved: ResolvedConfig;
  /** The routes given in code (validated by the balancer). */
  readonly routes: readonly Route[] | undefined;
  /** The discovery the client uses (built from a host:port list, or the user's). */
  readonly discovery: Discovery;
  /** OpenTelemetry: the tracer (the options' provider or the global one) and the protocol's conventions. */
  readonly tracer: Tracer;
  /** False while the tracer's spans cannot record (`tracingProbe`). */
  readonly tracing: () => boolean;
  readonly protocolTelemetry: ProtocolTelemetry<never, never> | undefined;
  /** The meter (the options' provider or the global one). */
  readonly meter: Meter;
  /** Set by the telemetry position: the client's instruments, when a metrics SDK is behind the meter. */
  metrics: ClientMetrics | undefined;
  /** Set by the balancer position. */
  loadBalancer: LoadBalancerPolicy | undefined;
  // Set by their positions when on, so that `chain.snapshot()` can read their state: kept
  // once at build time, so no call does anything for the snapshot's sake.
  breaker: CircuitBreaker | undefined;
  bulkhead: Bulkhead | undefined;
  rateLimit: TokenBucket | undefined;
}

/**
 * A position's builder returns its policy, `'included'` when an outer position's policy does
 * its job (outlier detection lives in the load balancer), or undefined when it is off.
 */
type Builder = (b: BuildContext) => Policy | 'included' | undefined;

/** How each position of `DEFAULT_CHAIN` is built from settings. */
export const POSITION_BUILDERS: Readonly<Record<string, Builder>> = {
  telemetry: (b) => {
    const { config, tracer, tracing, meter, protocolTelemetry, service, events } = b;
    if (!config.telemetry) return undefined;
    const live = {
      // Read at collection time, when every position has been built.
      snapshot: () => takeSnapshot(b),
      onClose: (close: () => void) => {
        b.closers.push(async () => close());
      },
    };
    const metrics = clientMetrics({
      meter,
      service,
      protocol: protocolTelemetry,
      events,
      live,
      endpoints: config.telemetry.endpointMetrics,
    });
    b.metrics = metrics;
    const spanEvents = new SpanEvents(events);
    b.closers.push(() => spanEvents.close());
    return callSpans({ tracer, tracing, protocol: protocolTelemetry, metrics, spanEvents });
  },
  'attempt-span': ({ config, tracer, protocolTelemetry, metrics }) => {
    if (!config.telemetry) return undefined;
    const spans = config.telemetry.attemptSpans;
    if (!spans && metrics === undefined) return undefined;
    return attemptSpans({ tracer, protocol: protocolTelemetry, spans, metrics });
  },
  'total-deadline': ({ config, events, service }) =>
    config.timeout ? timeout({ totalMs: config.timeout.totalMs, events, service }) : undefined,
  retry: (b) => {
    const { config, events, budget, classifier, random } = b;
    if (!config.retry) return undefined;
    return retry({
      maxAttempts: config.retry.maxAttempts,
      ...(config.retry.maxRequeues !== undefined ? { maxRequeues: config.retry.maxRequeues } : {}),
      // The balancer sits inside and is built after: asked per call, it knows the live set.
      endpointCount: () => b.loadBalancer?.endpointCount() ?? 0,
      backoff: config.retry.backoff,
      retryAfterMaxMs: config.retry.retryAfterMaxMs,
      budget,
      classifier,
      events,
      random,
    });
  },
  hedge: ({ config, events, budget, classifier }) =>
    config.hedge
      ? hedge({
          ...(config.hedge.delayMs !== undefined ? { delayMs: config.hedge.delayMs } : {}),
          percentile: config.hedge.percentile,
          maxAttempts: config.hedge.maxAttempts,
          budget,
          deposit: !config.retry,
          classifier,
          events,
        })
      : undefined,
  'per-try-timeout': ({ config, events, service }) =>
    config.timeout && config.timeout.perTryMs !== undefined
      ? timeout({ perTryMs: config.timeout.perTryMs, events, service })
      : undefined,
  breaker: (b) => {
    const { config, service, classifier, events, clock } = b;
    if (!config.breaker) return undefined;
    const policy = breaker({ ...config.breaker, service, classifier, events, clock });
    b.breaker = policy.circuit;
    return policy;
  },
  bulkhead: (b) => {
    const { config, service, classifier, events, clock } = b;
    if (!config.bulkhead) return undefined;
    const policy = bulkhead({
      maxConcurrent: config.bulkhead.maxConcurrent,
      maxQueue: config.bulkhead.maxQueue,
      ...(config.bulkhead.queueTimeoutMs !== undefined
        ? { queueTimeoutMs: config.bulkhead.queueTimeoutMs }
        : {}),
      service,
      classifier,
      events,
      clock,
    });
    b.bulkhead = policy.bulkhead;
    return policy;
  },
  'rate-limit': (b) => {
    const { config, service, classifier, events, clock } = b;
    if (!config.rateLimit) return undefined;
    const policy = rateLimit({ ...config.rateLimit, service, classifier, events, clock });
    b.rateLimit = policy.bucket;
    return policy;
  },
  'route + balancer': (b) => {
    const { config } = b;
    const policy = loadBalancer({
      service: b.service,
      discovery: b.discovery,
      discoveryInitialWaitMs: config.discoveryInitialWaitMs,
      balancer: config.balancer,
      routes: b.routes,
      outlierDetection: config.outlierDetection,
      zone: config.zone,
      classifier: b.classifier,
      events: b.events,
      random: b.random,
    });
    b.loadBalancer = policy;
    b.closers.push(() => policy.close());
    return policy;
  },
  // Ejection must shape the very next pick, so detection lives inside the load balancer.
  'outlier-detection': ({ config }) => (config.outlierDetection ? 'included' : undefined),
  fault: ({ config, resolved, routes, service, events, random }) => {
    const routeFaults = routes?.some((r) => r.fault !== undefined && r.fault !== false) ?? false;
    const switchedOff = config.fault === false && resolved.sourceOf('FAULT').kind !== 'default';
    if (switchedOff || (config.fault === false && !routeFaults)) return undefined;
    // Off globally but on for a route: fault() with no spec injects nothing (its defaults).
    return fault({ ...(config.fault || {}), service, events, random });
  },
};
