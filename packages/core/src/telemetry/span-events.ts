import { type Attributes, type Span, trace } from '@opentelemetry/api';
import type { CallContext } from '../context/call-context.js';
import type { Disposer, EventBus } from '../events/events.js';
import { TRACE_CONTEXT } from './trace-context.js';

/**
 * Policy decisions as span events (and a few `outrigger.*` attributes) on the span of the call
 * or attempt they happened to: retry scheduled with its delay, hedge fired and won, breaker
 * refusal, bulkhead queueing and how long it lasted, rate-limit waits, injected faults, budget
 * exhaustion, fallbacks and ejections.
 *
 * Subscribed on the first call whose span records, never before: listening makes the policies
 * build event payloads, which a client without an SDK (or never sampled) must not pay for.
 * Each event names its call's context, whose `TRACE_CONTEXT` is that call's innermost span.
 */
export class SpanEvents {
  readonly #events: EventBus;
  #disposers: Disposer[] | undefined;
  #closed = false;

  constructor(events: EventBus) {
    this.#events = events;
  }

  /** Starts listening, once; called when a span first records. */
  ensure(): void {
    if (this.#disposers !== undefined || this.#closed) return;
    this.#disposers = subscribe(this.#events);
  }

  close(): void {
    this.#closed = true;
    for (const dispose of this.#disposers ?? []) dispose();
    this.#disposers = undefined;
  }
}

function subscribe(events: EventBus): Disposer[] {
  return [
    events.on('retry.scheduled', (e) =>
      mark(e.ctx, 'outrigger.retry.scheduled', {
        'outrigger.attempt': e.attempt,
        'outrigger.retry.delay_ms': e.delayMs,
        'outrigger.retry.reason': e.verdict,
        'outrigger.requeue': e.requeue,
      }),
    ),
    events.on('retry.gave_up', (e) =>
      mark(e.ctx, 'outrigger.retry.gave_up', {
        'outrigger.retry.attempts': e.attempts,
        'outrigger.retry.gave_up_reason': e.reason,
      }),
    ),
    events.on('budget.exhausted', (e) =>
      mark(
        e.ctx,
        'outrigger.budget.exhausted',
        { 'outrigger.budget.purpose': e.purpose },
        'outrigger.budget.exhausted',
        true,
      ),
    ),
    events.on('hedge.started', (e) =>
      mark(e.ctx, 'outrigger.hedge.fired', {
        'outrigger.attempt': e.attempt,
        'outrigger.hedge.delay_ms': e.delayMs,
      }),
    ),
    events.on('hedge.won', (e) =>
      mark(e.ctx, 'outrigger.hedge.won', {
        'outrigger.hedge.winner': e.winner,
        'outrigger.hedge.attempts': e.attempts,
      }),
    ),
    events.on('breaker.rejected', (e) =>
      mark(
        e.ctx,
        'outrigger.breaker.refused',
        { 'outrigger.breaker.retry_in_ms': e.retryInMs },
        'outrigger.breaker.state',
        'open',
      ),
    ),
    events.on('bulkhead.queued', (e) =>
      mark(e.ctx, 'outrigger.bulkhead.queued', { 'outrigger.bulkhead.queued': e.queued }),
    ),
    events.on('bulkhead.dequeued', (e) =>
      mark(e.ctx, 'outrigger.bulkhead.dequeued', { 'outrigger.bulkhead.waited_ms': e.waitedMs }),
    ),
    events.on('bulkhead.rejected', (e) =>
      mark(e.ctx, 'outrigger.bulkhead.rejected', { 'outrigger.bulkhead.reason': e.reason }),
    ),
    events.on('rate_limit.delayed', (e) =>
      mark(e.ctx, 'outrigger.rate_limit.delayed', { 'outrigger.rate_limit.wait_ms': e.waitMs }),
    ),
    events.on('rate_limit.rejected', (e) =>
      mark(e.ctx, 'outrigger.rate_limit.rejected', {
        'outrigger.rate_limit.retry_in_ms': e.retryInMs,
      }),
    ),
    events.on('fault.injected', (e) => {
      const attributes: Attributes = { 'outrigger.fault.kind': e.kind };
      if (e.delayMs !== undefined) attributes['outrigger.fault.delay_ms'] = e.delayMs;
      if (e.status !== undefined) attributes['outrigger.fault.status'] = e.status;
      if (e.route !== undefined) attributes['outrigger.route'] = e.route;
      mark(e.ctx, 'outrigger.fault.injected', attributes, 'outrigger.fault', e.kind);
    }),
    events.on('fallback.used', (e) =>
      mark(e.ctx, 'outrigger.fallback.used', e.code === undefined ? {} : { 'error.type': e.code }),
    ),
    events.on('outlier.ejected', (e) => {
      if (e.ctx === undefined) return;
      mark(e.ctx, 'outrigger.endpoint.ejected', {
        'outrigger.endpoint': e.endpoint.id,
        'outrigger.ejection.reason': e.reason,
        'outrigger.ejection.ms': e.ejectionMs,
      });
    }),
  ];
}

/** Adds the event (and an attribute) to the recording span of `ctx`, if it has one. */
function mark(
  ctx: CallContext,
  name: string,
  attributes: Attributes,
  attribute?: string,
  value?: string | boolean,
): void {
  const traced = ctx.get(TRACE_CONTEXT);
  const span: Span | undefined = traced && trace.getSpan(traced);
  if (span === undefined || !span.isRecording()) return;
  span.addEvent(name, attributes);
  if (attribute !== undefined) span.setAttribute(attribute, value!);
}
