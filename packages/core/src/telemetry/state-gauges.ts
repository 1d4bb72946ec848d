import type { Attributes, BatchObservableResult, Meter, ObservableGauge } from '@opentelemetry/api';
import type { ClientSnapshot } from '../chain/client-snapshot.js';

/** The client's live state, and where to register what undoes the gauges on `close()`. */
export interface LiveState {
  snapshot(): ClientSnapshot;
  onClose(close: () => void): void;
}

const BREAKER_STATES = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * The live state as observable gauges, read from one `snapshot()` per collection (so calls pay
 * nothing for them): breaker state (0 closed, 1 half-open, 2 open), budget balance, bulkhead
 * occupancy, rate-limit tokens, endpoints by state and, with per-endpoint series on, each
 * endpoint's in-flight attempts, EWMA latency and ejection. Removed when the client closes, so
 * a closed client is neither observed nor kept alive.
 */
export function observeState(
  meter: Meter,
  service: string,
  live: LiveState,
  perEndpoint: boolean,
): void {
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
  const tokens = gauge(
    'outrigger.client.rate_limit.tokens',
    'Rate-limit tokens in the bucket (negative while waiting calls borrow ahead).',
    '{token}',
  );
  const endpoints = gauge(
    'outrigger.client.endpoints',
    'Endpoints discovery delivered, by state (healthy or ejected).',
    '{endpoint}',
  );
  const all = [breaker, budget, inFlight, queued, tokens, endpoints];
  const perEndpointGauges = perEndpoint
    ? {
        inFlight: gauge(
          'outrigger.client.endpoint.in_flight',
          'Attempts in flight to the endpoint.',
          '{attempt}',
        ),
        latency: gauge(
          'outrigger.client.endpoint.latency',
          "The balancer's peak-EWMA latency of the endpoint.",
          'ms',
        ),
        ejected: gauge(
          'outrigger.client.endpoint.ejected',
          '1 while the endpoint is ejected.',
          '1',
        ),
      }
    : undefined;
  if (perEndpointGauges) all.push(...Object.values(perEndpointGauges));
  const base: Attributes = { 'outrigger.service': service };
  const healthy: Attributes = { ...base, 'outrigger.endpoint.state': 'healthy' };
  const ejectedState: Attributes = { ...base, 'outrigger.endpoint.state': 'ejected' };
  const observe = (result: BatchObservableResult): void => {
    let s: ClientSnapshot;
    try {
      s = live.snapshot();
    } catch {
      return; // A collection must never throw into the SDK's reader.
    }
    if (s.breaker) result.observe(breaker, BREAKER_STATES[s.breaker.state], base);
    if (s.budget) result.observe(budget, s.budget.balance, base);
    if (s.bulkhead) {
      result.observe(inFlight, s.bulkhead.inFlight, base);
      result.observe(queued, s.bulkhead.queued, base);
    }
    if (s.rateLimit) result.observe(tokens, s.rateLimit.tokens, base);
    if (!s.balancer) return;
    let ejected = 0;
    for (const e of s.balancer.endpoints) {
      if (e.ejected) ejected++;
      if (perEndpointGauges === undefined) continue;
      const attributes = { ...base, 'outrigger.endpoint': e.id };
      result.observe(perEndpointGauges.inFlight, e.inFlight, attributes);
      if (e.latencyMs !== null) result.observe(perEndpointGauges.latency, e.latencyMs, attributes);
      result.observe(perEndpointGauges.ejected, e.ejected ? 1 : 0, attributes);
    }
    result.observe(endpoints, s.balancer.endpoints.length - ejected, healthy);
    result.observe(endpoints, ejected, ejectedState);
  };
  meter.addBatchObservableCallback(observe, all);
  live.onClose(() => meter.removeBatchObservableCallback(observe, all));
}
