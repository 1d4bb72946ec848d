import type { Endpoint } from '../discovery/endpoint.js';
import { type Clock, systemClock } from '../time/clock.js';
import { Cancellation, NEVER_CANCELLED } from './cancellation.js';
import type { ContextKey } from './context-key.js';
import { currentInbound } from './inbound-scope.js';

const NO_INIT: CallInit = Object.freeze({});

interface Slot {
  readonly key: ContextKey<unknown>;
  readonly value: unknown;
  readonly next: Slot | undefined;
}

function slotOf<T>(key: ContextKey<T> | undefined, value: T | undefined): Slot | undefined {
  return key === undefined
    ? undefined
    : { key: key as ContextKey<unknown>, value, next: undefined };
}

/** What the outermost caller may pass instead of a full context. */
export interface CallInit {
  signal?: AbortSignal | undefined;
  /** Absolute deadline on `clock`'s scale. */
  deadline?: number | undefined;
  /** Relative alternative to `deadline`; the earlier of the two wins. */
  timeoutMs?: number | undefined;
  service?: string | undefined;
  operation?: string | undefined;
  idempotent?: boolean | undefined;
  clock?: Clock | undefined;
}

/**
 * Everything a policy may know about one call. (One class in one file, a little over 200 lines:
 * every derivation goes through the private constructor here, which is what keeps deadlines
 * only ever shrinking.) Immutable: policies derive a child with
 * `withX()` and hand it inward, so an inner policy can never widen what an outer one set.
 * A derived deadline is always `min(outer, new)`: deadlines only ever shrink.
 */
export class CallContext {
  readonly cancellation: Cancellation;
  /** Absolute, on `clock.now()`'s scale; `Infinity` when nothing bounds the call. */
  readonly deadline: number;
  /** 0 for the logical call, 1 for its first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  readonly service: string;
  readonly operation: string;
  readonly endpoint: Endpoint | undefined;
  /** Whether the request is safe to send twice (method, or marked by the caller). */
  readonly idempotent: boolean;
  readonly clock: Clock;
  readonly #slots: Slot | undefined;

  private constructor(
    cancellation: Cancellation,
    deadline: number,
    attempt: number,
    service: string,
    operation: string,
    endpoint: Endpoint | undefined,
    idempotent: boolean,
    clock: Clock,
    slots: Slot | undefined,
  ) {
    this.cancellation = cancellation;
    this.deadline = deadline;
    this.attempt = attempt;
    this.service = service;
    this.operation = operation;
    this.endpoint = endpoint;
    this.idempotent = idempotent;
    this.clock = clock;
    this.#slots = slots;
  }

  /**
   * The context of a new logical call. An inbound request's deadline (see `runWithInbound`)
   * caps it; a caller's signal is adopted without creating a new one. `key` and `value` as for
   * `entry`.
   */
  static root<T>(init: CallInit = NO_INIT, key?: ContextKey<T>, value?: T): CallContext {
    return CallContext.#root(init, true, slotOf(key, value));
  }

  /**
   * The root context an entry point (a pipeline, a client's `fetch`) makes for its caller, who
   * holds no handle to abort with but the signal they passed: without one, the call shares the
   * token that never aborts instead of making its own. `key` and `value`, if given, are set in
   * the same allocation (a client's request description).
   */
  static entry<T>(init: CallInit = NO_INIT, key?: ContextKey<T>, value?: T): CallContext {
    return CallContext.#root(init, false, slotOf(key, value));
  }

  static #root(init: CallInit, ownToken: boolean, slots: Slot | undefined): CallContext {
    const clock = init.clock ?? systemClock;
    let deadline = init.deadline ?? Number.POSITIVE_INFINITY;
    if (init.timeoutMs !== undefined) deadline = Math.min(deadline, clock.now() + init.timeoutMs);
    const inbound = currentInbound();
    if (inbound && inbound.deadline < deadline) deadline = inbound.deadline;
    return new CallContext(
      init.signal
        ? Cancellation.fromSignal(init.signal)
        : ownToken
          ? new Cancellation()
          : NEVER_CANCELLED,
      deadline,
      0,
      init.service ?? 'service',
      init.operation ?? 'call',
      undefined,
      init.idempotent ?? true,
      clock,
      slots,
    );
  }

  /** The signal for this call, created on first read only (see `Cancellation`). */
  get signal(): AbortSignal {
    return this.cancellation.signal;
  }

  get aborted(): boolean {
    return this.cancellation.aborted;
  }

  /** Milliseconds left before the deadline (negative once past, `Infinity` if none). */
  remainingMs(): number {
    return this.deadline - this.clock.now();
  }

  get<T>(key: ContextKey<T>): T | undefined {
    for (let slot = this.#slots; slot; slot = slot.next) {
      if (slot.key === key) return slot.value as T;
    }
    return undefined;
  }

  /** Never extends: the result's deadline is `min(this.deadline, deadline)`. */
  withDeadline(deadline: number): CallContext {
    if (!(deadline < this.deadline)) return this;
    return this.#derive(this.cancellation, deadline, this.attempt, this.endpoint, this.#slots);
  }

  /** `withDeadline(now + ms)`. */
  withTimeout(ms: number): CallContext {
    return this.withDeadline(this.clock.now() + ms);
  }

  /** `withCancellation` and `withDeadline` in one derivation (one allocation on the hot path). */
  withScope(cancellation: Cancellation, deadline: number): CallContext {
    const d = Math.min(deadline, this.deadline);
    return this.#derive(cancellation, d, this.attempt, this.endpoint, this.#slots);
  }

  withCancellation(cancellation: Cancellation): CallContext {
    return this.#derive(cancellation, this.deadline, this.attempt, this.endpoint, this.#slots);
  }

  withAttempt(attempt: number): CallContext {
    return this.#derive(this.cancellation, this.deadline, attempt, this.endpoint, this.#slots);
  }

  /** `with(key, value).withAttempt(attempt)` in one derivation. */
  withAttemptAnd<T>(attempt: number, key: ContextKey<T>, value: T): CallContext {
    const slots: Slot = { key: key as ContextKey<unknown>, value, next: this.#slots };
    return this.#derive(this.cancellation, this.deadline, attempt, this.endpoint, slots);
  }

  withEndpoint(endpoint: Endpoint): CallContext {
    return this.#derive(this.cancellation, this.deadline, this.attempt, endpoint, this.#slots);
  }

  with<T>(key: ContextKey<T>, value: T): CallContext {
    const slots: Slot = { key: key as ContextKey<unknown>, value, next: this.#slots };
    return this.#derive(this.cancellation, this.deadline, this.attempt, this.endpoint, slots);
  }

  withCall(fields: { service?: string; operation?: string; idempotent?: boolean }): CallContext {
    return new CallContext(
      this.cancellation,
      this.deadline,
      this.attempt,
      fields.service ?? this.service,
      fields.operation ?? this.operation,
      this.endpoint,
      fields.idempotent ?? this.idempotent,
      this.clock,
      this.#slots,
    );
  }

  #derive(
    cancellation: Cancellation,
    deadline: number,
    attempt: number,
    endpoint: Endpoint | undefined,
    slots: Slot | undefined,
  ): CallContext {
    return new CallContext(
      cancellation,
      deadline,
      attempt,
      this.service,
      this.operation,
      endpoint,
      this.idempotent,
      this.clock,
      slots,
    );
  }
}
