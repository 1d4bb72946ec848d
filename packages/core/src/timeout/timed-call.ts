import { abortError } from '../context/abort-error.js';
import type { CallContext } from '../context/call-context.js';
import { Cancellation } from '../context/cancellation.js';
import { TimeoutError, type TimeoutKind } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import { hasTrait, setTrait } from '../service/service.js';
import type { Bucket, DeadlineScheduler, Expirable } from './deadline-scheduler.js';

/**
 * One call under a deadline. It is at once the call's cancellation token (a child of the
 * caller's), the scheduler's entry, and the handler of the inner service's outcome: one object
 * per call. Whichever comes first decides: the inner service, the deadline (TIMEOUT, and the
 * token aborts so the transport closes the request), or the caller's abort (its reason).
 *
 * Two ways to hand the decision back. Racing (`promise()`): the call's own promise settles at
 * once, whatever the inner service does. Passing (no `promise()`): for an inner service that
 * honours cancellation, the deadline or abort only aborts it, and its prompt rejection is passed
 * through `onValue`/`onError` with the decided error; no promise of our own is made.
 */
let capturing: TimedCall<unknown> | undefined;
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  capturing!.captured(resolve, reject);
  capturing = undefined;
}

const SETTLES_DEADLINE = Symbol('outrigger.settlesDeadline');

/**
 * Marks a service that claims the deadline its context carries (`claimDeadline`) and settles it
 * on every way out, as the retry policy does from the reaction it has anyway. A total deadline
 * directly around such a service then hands it the settling instead of adding a promise
 * reaction and two closures of its own (~250 B per call, decision 0040).
 */
export function settlesDeadline<S extends object>(service: S): S {
  return setTrait(service, SETTLES_DEADLINE);
}

export function isDeadlineSettled(service: object): boolean {
  return hasTrait(service, SETTLES_DEADLINE);
}

/**
 * The deadline handed to the service `ctx` was made for, if one was handed over and nobody has
 * claimed it yet: the caller must then pass its outcome through `onValue`/`onError` once, on
 * every path. An inner service given the same context finds it claimed.
 */
export function claimDeadline(ctx: CallContext): TimedCall<unknown> | undefined {
  const token = ctx.cancellation;
  return token instanceof TimedCall && token.claim() ? token : undefined;
}

enum Handoff {
  Kept = 0,
  Offered = 1,
  Claimed = 2,
}

export class TimedCall<Res> extends Cancellation implements Expirable {
  #settled = false;
  #handoff = Handoff.Kept;
  deadlinePrev: Expirable | undefined = undefined;
  deadlineNext: Expirable | undefined = undefined;
  deadlineBucket: Bucket | undefined = undefined;
  readonly #ctx: CallContext;
  readonly #kind: TimeoutKind;
  readonly #timeoutMs: number;
  readonly #scheduler: DeadlineScheduler;
  readonly #events: EventBus | undefined;
  #resolve: ((value: Res) => void) | undefined = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;
  /** What decided the call before the inner service did: its deadline or its caller's abort. */
  #error: unknown = undefined;

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

  /** Offers the settling to the service inside (see `settlesDeadline`). */
  offer(): void {
    this.#handoff = Handoff.Offered;
  }

  /** @internal `claimDeadline`: true once, for the first claimant of an offered deadline */
  claim(): boolean {
    if (this.#handoff !== Handoff.Offered) return false;
    this.#handoff = Handoff.Claimed;
    return true;
  }

  /** The pair of reactions for an inner promise, for a caller that has none of its own. */
  passOn(pending: Promise<Res>): Promise<Res> {
    return pending.then(
      (value) => this.onValue(value),
      (error: unknown) => this.onError(error),
    );
  }

  /**
   * The inner service's value: passed through (or, racing, resolved) if nothing decided first;
   * after a deadline or abort, passing throws the decided error and racing drops the value.
   */
  onValue(value: Res): Res {
    if (this.#finish()) {
      this.#resolve?.(value);
      return value;
    }
    if (this.#reject === undefined) throw this.#error;
    return value;
  }

  /** The inner service's error, handled as `onValue` handles a value; never rethrown when racing. */
  onError(error: unknown): Res {
    if (this.#finish()) {
      if (this.#reject === undefined) throw error;
      this.#reject(error);
      return undefined as Res;
    }
    if (this.#reject === undefined) throw this.#error;
    return undefined as Res;
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
    // Abort first, while the inner service's listeners are still attached; its late answer is
    // then ignored (racing) or replaced by this error (passing).
    this.abort(error);
    this.#decide(error);
  }

  override onAbort(reason: unknown): void {
    // The caller (or an outer deadline) gave up: its reason wins.
    this.abort(reason);
    this.#decide(abortError(this.#ctx));
  }

  #decide(error: unknown): void {
    if (!this.#finish()) return;
    this.#error = error;
    this.#reject?.(error);
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#scheduler.cancel(this);
    this.dispose();
    return true;
  }
}
