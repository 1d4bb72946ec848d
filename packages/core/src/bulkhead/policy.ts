import { abortError } from '../context/abort-error.js';
import type { CallContext } from '../context/call-context.js';
import type { AbortListener } from '../context/cancellation.js';
import { BulkheadFullError, TimeoutError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import { type Guard, guardPolicy, WAIT } from '../service/guard.js';
import { namedPolicy, type Policy } from '../service/service.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { Bulkhead, type BulkheadWaiter, type QueueTicket } from './bulkhead.js';
import type { BulkheadPolicyOptions } from './options.js';

export interface BulkheadPolicy extends Policy {
  readonly policyName: string;
  /** Slots and queue, for `describe()`, telemetry gauges and tests. */
  readonly bulkhead: Bulkhead;
}

/**
 * At most `maxConcurrent` calls in flight, at most `maxQueue` more waiting for a slot; beyond
 * that `BULKHEAD_FULL` at once. A queued call waits until `queueTimeoutMs` or its deadline,
 * whichever comes first (then `TIMEOUT`, kind `queue`), and leaves the queue the moment its
 * caller aborts (then the abort's error), freeing its place for the next call.
 *
 * Success path with a free slot: a counter, no promise of its own. Timers and cancellation
 * listeners exist only for calls that actually queue.
 */
export function bulkhead(options: BulkheadPolicyOptions = {}): BulkheadPolicy {
  const slots = new Bulkhead(options);
  const { events } = options;

  // A guard, not a wrapper: next to the breaker and the balancer it shares their one frame per
  // attempt (service/guard.ts). It needs no token: a slot is a count.
  const guard: Guard<undefined> = {
    admit: () => (slots.tryAcquire() ? undefined : WAIT),
    async wait(frame) {
      const ctx = frame.ctx;
      await waitForSlot(slots, ctx, options.service ?? ctx.service, options.clock, events);
      if (ctx.aborted) {
        slots.release();
        throw abortError(ctx);
      }
      return undefined;
    },
    settle: () => slots.release(),
  };
  const policy = guardPolicy(guard);

  return Object.assign(namedPolicy('bulkhead', policy, { keepsCancellation: true }), {
    bulkhead: slots,
  });
}

/** Resolves once `slots` hands this call a slot; rejects if full, timed out or aborted. */
function waitForSlot(
  slots: Bulkhead,
  ctx: CallContext,
  service: string,
  clock: Clock | undefined,
  events: EventBus | undefined,
): Promise<void> {
  if (ctx.aborted) return Promise.reject(abortError(ctx));
  const rejected = (reason: 'full' | 'timeout'): void => {
    if (!events?.has('bulkhead.rejected')) return;
    events.emit('bulkhead.rejected', {
      service,
      ctx,
      reason,
      active: slots.active,
      queued: slots.queued,
    });
  };
  const { maxConcurrent, maxQueue } = slots;
  if (slots.queued >= maxQueue) {
    rejected('full');
    return Promise.reject(new BulkheadFullError({ service, maxConcurrent, maxQueue }));
  }
  // The wait ends at the queue timeout or the call's deadline, whichever is first.
  const waitMs = Math.min(slots.queueTimeoutMs ?? Number.POSITIVE_INFINITY, ctx.remainingMs());
  const timedOut = () => {
    rejected('timeout');
    return new TimeoutError({ service, timeoutMs: Math.max(0, waitMs), kind: 'queue' });
  };
  if (waitMs <= 0) return Promise.reject(timedOut());

  return new Promise<void>((resolve, reject) => {
    const granted = events?.has('bulkhead.dequeued')
      ? dequeuedReporter(events, service, ctx, clock ?? ctx.clock)
      : undefined;
    const waiter = new QueuedCall(slots, ctx, clock ?? ctx.clock, resolve, reject, granted);
    waiter.ticket = slots.enqueue(waiter);
    if (events?.has('bulkhead.queued')) {
      events.emit('bulkhead.queued', { service, ctx, queued: slots.queued });
    }
    ctx.cancellation.add(waiter);
    if (Number.isFinite(waitMs)) waiter.startTimer(waitMs, timedOut);
  });
}

/** Emits `bulkhead.dequeued` with the time since now, when the call gets its slot. */
function dequeuedReporter(
  events: EventBus,
  service: string,
  ctx: CallContext,
  clock: Clock,
): () => void {
  const since = clock.now();
  return () => events.emit('bulkhead.dequeued', { service, ctx, waitedMs: clock.now() - since });
}

/** One queued call: listens for its grant, its caller's abort and its timer, whichever first. */
class QueuedCall implements BulkheadWaiter, AbortListener {
  ticket: QueueTicket | undefined;
  #timer: TimerHandle | undefined;

  constructor(
    private readonly slots: Bulkhead,
    private readonly ctx: CallContext,
    private readonly clock: Clock,
    private readonly resolve: () => void,
    private readonly reject: (error: unknown) => void,
    private readonly granted: (() => void) | undefined,
  ) {}

  /** After `ms` the call leaves the queue and rejects with `error()`. */
  startTimer(ms: number, error: () => Error): void {
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#leave();
      this.ctx.cancellation.remove(this);
      this.reject(error());
    }, ms);
    (this.#timer as { unref?(): unknown }).unref?.();
  }

  grant(): void {
    this.#stop();
    this.granted?.();
    this.resolve();
  }

  onAbort(): void {
    this.#leave();
    this.#stop();
    this.reject(abortError(this.ctx));
  }

  #leave(): void {
    if (this.ticket) this.slots.dequeue(this.ticket);
  }

  #stop(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.ctx.cancellation.remove(this);
  }
}
