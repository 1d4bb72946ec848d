import {
  type Attributes,
  type BatchObservableResult,
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type ObservableGauge,
} from '@opentelemetry/api';
import type { ClientSnapshot } from '../chain/client-snapshot.js';
import { isOutriggerError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Outcome } from '../service/outcome.js';
import type { DurationMetric, ProtocolTelemetry } from './protocol.js';

/** The API's no-op histogram class: a meter that makes these has no SDK behind it. */
const NOOP_HISTOGRAM = createNoopMeter().createHistogram('outrigger.probe').constructor;

/** Outrigger's duration histogram when the protocol has no convention of its own. */
const GENERIC_DURATION: DurationMetric<unknown, unknown> = {
  name: 'outrigger.client.call.duration',
  description: 'Duration of logical calls through an Outrigger client.',
  unit: 's',
  boundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  attributes: (_req, outcome) =>
    outcome.ok
      ? {}
      : { 'error.type': isOutriggerError(outcome.error) ? outcome.error.code : '_OTHER' },
};

/** What the call position records per call, when a meter with an SDK behind it is in use. */
export interface CallMetrics {
  record(req: unknown, outcome: Outcome<unknown>, elapsedMs: number): void;
}

/**
 * The client's instruments (issue 14, first part): the protocol's call-duration histogram,
 * recorded by the call position, and counters driven by the policies' events (retries,
 * hedges, budget exhaustion, breaker transitions, ejections, bulkhead and rate-limit
 * rejections). Undefined when the meter is the API's no-op one: then the call position reads
 * no clock and builds no attributes, and no event has a listener, so policies emit nothing.
 */
export function clientMetrics(
  meter: Meter,
  service: string,
  protocol: ProtocolTelemetry<never, never> | undefined,
  events: EventBus,
  live: LiveState,
): CallMetrics | undefined {
  const spec = (protocol?.duration ?? GENERIC_DURATION) as DurationMetric<unknown, unknown>;
  const histogram: Histogram = meter.createHistogram(spec.name, {
    description: spec.description,
    unit: spec.unit,
    advice: { explicitBucketBoundaries: [...spec.boundaries] },
  });
  if (histogram.constructor === NOOP_HISTOGRAM) return undefined;
  countEvents(meter, service, events);
  observeState(meter, service, live);
  const perMs = spec.unit === 's' ? 1 / 1_000 : 1;
  return {
    record(req, outcome, elapsedMs) {
      const attributes = spec.attributes(req, outcome as never);
      attributes['outrigger.service'] = service;
      histogram.record(elapsedMs * perMs, attributes);
    },
  };
}

/** The client's live state, and where to register what undoes the gauges on `close()`. */
export interface LiveState {
  snapshot(): ClientSnapshot;
  onClose(close: () => void): void;
}

const BREAKER_STATES = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * The live state as observable gauges, read from one `snapshot()` per collection: breaker state
 * (0 closed, 1 half-open, 2 open), budget balance, bulkhead occupancy, endpoints by state.
 * Removed when the client closes, so a closed client is neither observed nor kept alive.
 */
function observeState(meter: Meter, service: string, live: LiveState): void {
  const gauge = (name: string, description: string, unit: string): ObservableGauge =>
    meter.createObservableGauge(name, { description, unit });
  const breaker = gauge(
    'outrigger.client.breaker.state',
    'Circuit state: 0 closed, 1 half-open, 2 open.',
    '1',
  );
  const budget = gauge(
    'outrigger.client.budget.balance',
    'Retry budget tokens available.',
    '{token}',
  );
  const inFlight = gauge(
    'outrigger.client.bulkhead.in_flight',
    'Calls holding a bulkhead slot.',
    '{call}',
  );
  const queued = gauge(
    'outrigger.client.bulkhead.queued',
    'Calls waiting for a bulkhead slot.',
    '{call}',
  );
  const endpoints = gauge('outrigger.client.endpoints', 'Endpoints known, by state.', '{endpoint}');
  const all = [breaker, budget, inFlight, queued, endpoints];
  const base = { 'outrigger.service': service };
  const observe = (result: BatchObservableResult): void => {
    const s = live.snapshot();
    if (s.breaker) result.observe(breaker, BREAKER_STATES[s.breaker.state], base);
    if (s.budget) result.observe(budget, s.budget.balance, base);
    if (s.bulkhead) {
      result.observe(inFlight, s.bulkhead.inFlight, base);
      result.observe(queued, s.bulkhead.queued, base);
    }
    if (s.balancer) {
      let ejected = 0;
      for (const e of s.balancer.endpoints) if (e.ejected) ejected++;
      result.observe(endpoints, s.balancer.endpoints.length - ejected, {
        ...base,
        'outrigger.endpoint.state': 'healthy',
      });
      result.observe(endpoints, ejected, { ...base, 'outrigger.endpoint.state': 'ejected' });
    }
  };
  meter.addBatchObservableCallback(observe, all);
  live.onClose(() => meter.removeBatchObservableCallback(observe, all));
}

function countEvents(meter: Meter, service: string, events: EventBus): void {
  const counter = (name: string, description: string): Counter =>
    meter.createCounter(name, { description, unit: '{event}' });
  const add = (c: Counter, attributes: Attributes = {}) => {
    attributes['outrigger.service'] = service;
    c.add(1, attributes);
  };
  const retries = counter('outrigger.client.retries', 'Retries and requeues scheduled.');
  events.on('retry.scheduled', (e) =>
    add(retries, { 'outrigger.retry.verdict': e.verdict, 'outrigger.retry.requeue': e.requeue }),
  );
  const hedges = counter(
    'outrigger.client.hedges',
    'Hedged attempts started, and calls a hedge won.',
  );
  events.on('hedge.started', () => add(hedges, { 'outrigger.hedge.outcome': 'started' }));
  events.on('hedge.won', (e) => {
    if (e.winner > 1) add(hedges, { 'outrigger.hedge.outcome': 'won' });
  });
  const exhausted = counter(
    'outrigger.client.budget.exhausted',
    'Retries, requeues and hedges refused because the retry budget was spent.',
  );
  events.on('budget.exhausted', (e) => add(exhausted, { 'outrigger.budget.purpose': e.purpose }));
  const transitions = counter(
    'outrigger.client.breaker.transitions',
    'Circuit breaker state changes.',
  );
  for (const name of ['breaker.opened', 'breaker.half_opened', 'breaker.closed'] as const) {
    events.on(name, (e) => add(transitions, { 'outrigger.breaker.state': e.to }));
  }
  const refusedByBreaker = counter(
    'outrigger.client.breaker.rejections',
    'Calls an open circuit refused.',
  );
  events.on('breaker.rejected', () => add(refusedByBreaker));
  const ejections = counter(
    'outrigger.client.ejections',
    'Endpoints ejected by outlier detection.',
  );
  events.on('outlier.ejected', (e) => add(ejections, { 'outrigger.ejection.reason': e.reason }));
  const bulkhead = counter('outrigger.client.bulkhead.rejections', 'Calls the bulkhead refused.');
  events.on('bulkhead.rejected', (e) => add(bulkhead, { 'outrigger.bulkhead.reason': e.reason }));
  const limited = counter(
    'outrigger.client.rate_limit.rejections',
    'Calls the rate limit refused.',
  );
  events.on('rate_limit.rejected', () => add(limited));
}
