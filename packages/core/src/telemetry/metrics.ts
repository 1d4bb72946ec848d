import { type Attributes, createNoopMeter, type Histogram, type Meter } from '@opentelemetry/api';
import type { AttemptCause } from '../context/attempt-cause.js';
import { ATTEMPT_CAUSE } from '../context/attempt-cause.js';
import type { CallContext } from '../context/call-context.js';
import { isOutriggerError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Outcome } from '../service/outcome.js';
import { countEvents } from './event-metrics.js';
import type { DurationMetric, ProtocolTelemetry } from './protocol.js';
import { type LiveState, observeState } from './state-gauges.js';
import { observeTls } from './tls-metrics.js';

export type { LiveState } from './state-gauges.js';

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

/** What the attempt position records per attempt. */
export interface AttemptMetrics {
  attempt(ctx: CallContext): void;
}

export type ClientMetrics = CallMetrics & AttemptMetrics;

export interface ClientMetricsOptions {
  readonly meter: Meter;
  readonly service: string;
  readonly protocol: ProtocolTelemetry<never, never> | undefined;
  readonly events: EventBus;
  readonly live: LiveState;
  /** Per-endpoint series too (the `endpointMetrics` setting). */
  readonly endpoints: boolean;
}

/**
 * The client's instruments: the protocol's call-duration histogram (recorded by the call
 * position), an attempts counter by why each attempt was made (the attempt position),
 * counters and histograms driven by policy and discovery events, and the live state as
 * observable gauges. Undefined when the meter is the API's no-op one: then no position reads
 * a clock or builds attributes, and no event has a listener, so policies emit nothing.
 */
export function clientMetrics(options: ClientMetricsOptions): ClientMetrics | undefined {
  const { meter, service, protocol } = options;
  const spec = (protocol?.duration ?? GENERIC_DURATION) as DurationMetric<unknown, unknown>;
  const histogram: Histogram = meter.createHistogram(spec.name, {
    description: spec.description,
    unit: spec.unit,
    advice: { explicitBucketBoundaries: [...spec.boundaries] },
  });
  if (histogram.constructor === NOOP_HISTOGRAM) return undefined;
  countEvents(meter, service, options.events, options.endpoints);
  observeTls(meter, service, options.events, options.live);
  observeState(meter, service, options.live, options.endpoints);
  const attempts = meter.createCounter('outrigger.client.attempts', {
    description: 'Attempts sent, by why each was made: first, retry, requeue or hedge.',
    unit: '{attempt}',
  });
  // One attribute set per kind, made once: counting an attempt allocates nothing of ours.
  const byKind = (kind: string): Attributes => ({
    'outrigger.service': service,
    'outrigger.attempt.kind': kind,
  });
  const kinds: Record<AttemptCause['kind'] | 'first', Attributes> = {
    first: byKind('first'),
    retry: byKind('retry'),
    requeue: byKind('requeue'),
    hedge: byKind('hedge'),
  };
  const perMs = spec.unit === 's' ? 1 / 1_000 : 1;
  return {
    record(req, outcome, elapsedMs) {
      const attributes = spec.attributes(req, outcome as never);
      attributes['outrigger.service'] = service;
      histogram.record(elapsedMs * perMs, attributes);
    },
    attempt(ctx) {
      const cause = ctx.attempt > 1 ? ctx.get(ATTEMPT_CAUSE) : undefined;
      attempts.add(1, kinds[cause === undefined ? 'first' : cause.kind]);
    },
  };
}
