import { abortError } from '../context/abort-error.js';
import type { CallContext } from '../context/call-context.js';
import { Cancellation } from '../context/cancellation.js';
import { TimeoutError, type TimeoutKind } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Bucket, DeadlineScheduler, Expirable } from './deadline-scheduler.js';

/**
 * One call under a deadline. It is at once the call's cancellation token (a child of the
 * caller's), the scheduler's entry, and the settler of the call's promise: one object per call.
 * Whichever comes first settles the promise: the inner service, the deadline (TIMEOUT, and the
 * token aborts so the transport closes the request), or the caller's abort (its reason, at once).
 */
let capturing: TimedCall<unknown> | undefined;
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  capturing!.captured(resolve, reject);
  capturing = undefined;
}

export class TimedCall<Res> extends Cancellation implements Expirable {
  #settled = false;
  deadlinePrev: Expirable | undefined = undefined;
  deadlineNext: Expirable | undefined = undefined;
  deadlineBucket: Bucket | undefined = undefined;
  readonly #ctx: CallContext;
  readonly #kind: TimeoutKind;
  readonly #timeoutMs: number;
  readonly #scheduler: DeadlineScheduler;
  readonly #events: EventBus | undefined;
  #resolve!: (value: Res) => void;
  #reject!: (error: unknown) => void;

  constructor(
    ctx: CallContext,
    kind: TimeoutKind,
    timeoutMs: number,
    scheduler: DeadlineScheduler,
    events: EventBus | undefined,
  ) {
    super();
    this.#ctx = ctx;
    this.#kind = kind;
    this.#timeoutMs = timeoutMs;
    this.#scheduler = scheduler;
    this.#events = events;
  }

  /** The call's promise; made through one shared executor, so no closure per call. */
  promise(): Promise<Res> {
    capturing = this as TimedCall<unknown>;
    return new Promise<Res>(
      capture as (resolve: (value: Res) => void, reject: (error: unknown) => void) => void,
    );
  }

  /** @internal */
  captured(resolve: (value: Res) => void, reject: (error: unknown) => void): void {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(deadline: number): void {
    this.#scheduler.schedule(this, deadline);
    this.attachTo(this.#ctx.cancellation);
  }

  readonly settleValue = (value: Res): void => {
    if (this.#finish()) this.#resolve(value);
  };

  readonly settleError = (error: unknown): void => {
    if (this.#finish()) this.#reject(error);
  };

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
    // Abort first, while the inner service's listeners are still attached; its late answer is
    // then ignored because the promise is already settled.
    this.abort(error);
    this.settleError(error);
  }

  override onAbort(reason: unknown): void {
    // The caller (or an outer deadline) gave up: reject at once with its reason.
    this.abort(reason);
    this.settleError(abortError(this.#ctx));
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#scheduler.cancel(this);
    this.dispose();
    return true;
  }
}
