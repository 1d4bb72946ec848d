import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { EventBus } from '../events/events.js';

/**
 * Counters and histograms driven by the policies' and discovery's events: retries by reason,
 * requeues, hedges fired and won, budget exhaustion, breaker transitions and refusals,
 * ejections, bulkhead rejections and queue time, rate-limit rejections and waits, discovery
 * updates and failures. Attributes stay low-cardinality (service, reason, state); the
 * ejected endpoint is named only with per-endpoint series on.
 */
export function countEvents(
  meter: Meter,
  service: string,
  events: EventBus,
  perEndpoint: boolean,
): void {
  const counter = (name: string, description: string, unit = '{event}'): Counter =>
    meter.createCounter(name, { description, unit });
  const seconds = (name: string, description: string): Histogram =>
    meter.createHistogram(name, {
      description,
      unit: 's',
      advice: {
        explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      },
    });
  const tagged = serviceTagger(service);

  const retries = counter('outrigger.client.retries', 'Retries scheduled, by the verdict retried.');
  const requeues = counter(
    'outrigger.client.requeues',
    'Attempts that never reached a server, sent again at once (not counted as attempts).',
  );
  events.on('retry.scheduled', (e) => {
    if (e.requeue) requeues.add(1, tagged());
    else retries.add(1, tagged({ 'outrigger.retry.reason': e.verdict }));
  });
  const hedges = counter(
    'outrigger.client.hedges',
    'Hedged attempts fired, and calls a hedge won.',
  );
  events.on('hedge.started', () => hedges.add(1, tagged({ 'outrigger.hedge.outcome': 'fired' })));
  events.on('hedge.won', (e) => {
    if (e.winner > 1) hedges.add(1, tagged({ 'outrigger.hedge.outcome': 'won' }));
  });
  const exhausted = counter(
    'outrigger.client.budget.exhausted',
    'Retries, requeues and hedges refused because the retry budget was spent.',
  );
  events.on('budget.exhausted', (e) =>
    exhausted.add(1, tagged({ 'outrigger.budget.purpose': e.purpose })),
  );
  const transitions = counter('outrigger.client.breaker.transitions', 'Circuit state changes.');
  for (const name of ['breaker.opened', 'breaker.half_opened', 'breaker.closed'] as const) {
    events.on(name, (e) => transitions.add(1, tagged({ 'outrigger.breaker.state': e.to })));
  }
  const refused = counter('outrigger.client.breaker.rejections', 'Calls an open circuit refused.');
  events.on('breaker.rejected', () => refused.add(1, tagged()));
  const ejections = counter(
    'outrigger.client.ejections',
    'Endpoints ejected by outlier detection.',
  );
  events.on('outlier.ejected', (e) => {
    const attributes = tagged({ 'outrigger.ejection.reason': e.reason });
    if (perEndpoint) attributes['outrigger.endpoint'] = e.endpoint.id;
    ejections.add(1, attributes);
  });
  const bulkheadRefused = counter(
    'outrigger.client.bulkhead.rejections',
    'Calls the bulkhead refused.',
  );
  events.on('bulkhead.rejected', (e) =>
    bulkheadRefused.add(1, tagged({ 'outrigger.bulkhead.reason': e.reason })),
  );
  const queueTime = seconds(
    'outrigger.client.bulkhead.queue_time',
    'Time queued calls waited for a bulkhead slot.',
  );
  events.on('bulkhead.dequeued', (e) => queueTime.record(e.waitedMs / 1_000, tagged()));
  const limited = counter(
    'outrigger.client.rate_limit.rejections',
    'Calls the rate limit refused.',
  );
  events.on('rate_limit.rejected', () => limited.add(1, tagged()));
  const limitWait = seconds(
    'outrigger.client.rate_limit.wait',
    'Time calls waited for a rate-limit token.',
  );
  events.on('rate_limit.delayed', (e) => limitWait.record(e.waitMs / 1_000, tagged()));
  const updates = counter(
    'outrigger.client.discovery.updates',
    'Endpoint sets discovery delivered that changed the set.',
  );
  events.on('discovery.updated', () => updates.add(1, tagged()));
  const failures = counter(
    'outrigger.client.discovery.errors',
    'Discovery failures (the last good set stays in force).',
  );
  events.on('discovery.failed', () => failures.add(1, tagged()));
}

/** Adds the client's service to a metric's attributes (a fresh set when none is given). */
export function serviceTagger(service: string): (attributes?: Attributes) => Attributes {
  return (attributes = {}) => {
    attributes['outrigger.service'] = service;
    return attributes;
  };
}
