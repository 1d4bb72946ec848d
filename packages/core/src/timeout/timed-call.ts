import { abortError } from '../context/abort-error.js';
import type { CallContext } from '../context/call-context.js';
import { Cancellation } from '../context/cancellation.js';
import { TimeoutError, type TimeoutKind } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Settler } from '../service/direct.js';
import { failedWith, type Outcome } from '../service/outcome.js';
import type { Bucket, DeadlineScheduler, Expirable } from './deadline-scheduler.js';

/**
 * One call under a deadline. It is at once the call's cancellation token (a child of the
 * caller's), the scheduler's entry, and the settler of the inner service: one object per call.
 * Whichever comes first decides: the inner service, the deadline (TIMEOUT, and the token aborts
 * so the transport closes the request), or the caller's abort (its reason).
 *
 * Two ways to hand the decision on. Racing: the outer settler is told at once, whatever the inner
 * service does later. Passing: for an inner service that honours cancellation, the deadline or
 * abort only aborts it, and its prompt answer goes on as the decided error.
 */
export class TimedCall<Res> extends Cancellation implements Expirable, Settler<Res> {
  #settled = false;
  deadlinePrev: Expirable | undefined = undefined;
  deadlineNext: Expirable | undefined = undefined;
  deadlineBucket: Bucket | undefined = undefined;
  readonly #ctx: CallContext;
  readonly #kind: TimeoutKind;
  readonly #timeoutMs: number;
  readonly #scheduler: DeadlineScheduler;
  readonly #events: EventBus | undefined;
  readonly #outer: Settler<Res>;
  readonly #racing: boolean;
  /** What decided the call before the inner service did: its deadline or its caller's abort. */
  #error: unknown = undefined;

  constructor(
    ctx: CallContext,
    kind: TimeoutKind,
    timeoutMs: number,
    scheduler: DeadlineScheduler,
    events: EventBus | undefined,
    outer: Settler<Res>,
    racing: boolean,
  ) {
    super();
    this.#ctx = ctx;
    this.#kind = kind;
    this.#timeoutMs = timeoutMs;
    this.#scheduler = scheduler;
    this.#events = events;
    this.#outer = outer;
    this.#racing = racing;
  }

  start(deadline: number): void {
    this.#scheduler.schedule(this, deadline);
    this.attachTo(this.#ctx.cancellation);
  }

  /**
   * The inner service's outcome: passed on if nothing decided first, else the decided error,
   * unless the inner service's error explains it: one whose cause is the decided error (the
   * balancer's NO_ENDPOINTS when discovery never delivered before the deadline) says why the
   * time ran out, and goes on instead.
   */
  settle(outcome: Outcome<Res>): void {
    if (this.#finish()) this.#outer.settle(outcome);
    else if (!this.#racing) {
      const explains = (outcome.error as { cause?: unknown } | null | undefined)?.cause;
      this.#outer.settle(
        !outcome.ok && explains !== undefined && explains === this.#error
          ? outcome
          : failedWith(this.#error),
      );
    }
    // Racing, the outer settler already has the decided error: the late outcome is dropped.
  }

  expire(): void {
    if (this.#settled) return;
    const ctx = this.#ctx;
    const error = new TimeoutError({
      service: ctx.service,
      timeoutMs: this.#timeoutMs,
      kind: this.#kind,
    });
    if (this.#events?.has('timeout.expired')) {
      this.#events.emit('timeout.expired', {
        service: ctx.service,
        operation: ctx.operation,
        kind: this.#kind,
        timeoutMs: this.#timeoutMs,
        attempt: ctx.attempt,
      });
    }
    this.#decide(error, error);
  }

  override onAbort(reason: unknown): void {
    // The caller (or an outer deadline) gave up: its reason wins.
    if (this.#settled) this.abort(reason);
    else this.#decide(abortError(this.#ctx), reason);
  }

  #decide(error: unknown, reason: unknown): void {
    this.#settled = true;
    this.#error = error;
    this.#scheduler.cancel(this);
    // Decided before the abort, so an inner service that answers during it (an attempt that
    // rejects at once) finds the decision made. Abort while its listeners are still attached.
    this.abort(reason);
    this.dispose();
    if (this.#racing) this.#outer.settle(failedWith(error));
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#scheduler.cancel(this);
    this.dispose();
    return true;
  }
}
