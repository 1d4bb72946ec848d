import { abortError } from '../context/abort-error.js';
import type { CallContext } from '../context/call-context.js';
import type { AbortListener } from '../context/cancellation.js';
import { isOutriggerError, NoEndpointsError } from '../errors/errors.js';
import type { Clock, TimerHandle } from '../time/clock.js';

/**
 * Calls made before discovery's first set arrives wait for it, each within its own deadline,
 * as long as the source has not failed. Once it has reported an error and no set has ever
 * arrived, waiting wastes the caller's deadline on a name that does not resolve or a registry
 * that refuses: calls then fail with `NO_ENDPOINTS`, the source's error as cause, as soon as the
 * initial wait (counted from the subscription) is over, so a source that fails once at start-up
 * and answers on its retry still gets its chance (decision 0045).
 *
 * Only start-up takes this path, so a waiting call may hold a timer of its own (on `ctx.clock`)
 * for a deadline that no outer policy enforces; the initial wait has one shared timer, unref'd,
 * armed only while the source has failed and the wait is not over.
 */
export class FirstSetWait {
  readonly #waiters = new Set<Waiter>();
  readonly #service: string;
  readonly #clock: Clock;
  /** When the initial wait ends, on `#clock`. */
  readonly #waitEndsAt: number;
  #timer: TimerHandle | undefined;
  /** The error the source last reported before any set: the cause of a `NO_ENDPOINTS`. */
  #sourceError: unknown;
  #sourceFailed = false;

  constructor(service: string, initialWaitMs: number, clock: Clock) {
    this.#service = service;
    this.#clock = clock;
    this.#waitEndsAt = clock.now() + initialWaitMs;
  }

  get size(): number {
    return this.#waiters.size;
  }

  /** True while a timer is armed for the end of the initial wait (for leak tests). */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  wait(ctx: CallContext): Promise<void> {
    if (ctx.aborted) return Promise.reject(abortError(ctx));
    if (this.#sourceFailed && this.#clock.now() >= this.#waitEndsAt) {
      return Promise.reject(this.noEndpoints(undefined));
    }
    const remaining = ctx.remainingMs();
    if (remaining <= 0) return Promise.reject(this.noEndpoints(undefined));
    return new Promise<void>((resolve, reject) => {
      this.#waiters.add(new Waiter(this, ctx, remaining, resolve, reject));
    });
  }

  /**
   * The source reported an error before any set: every call fails once the initial wait is
   * over (now, if it already is). A later error replaces the cause; the timer stays as armed.
   */
  sourceFailed(error: unknown): void {
    this.#sourceError = error;
    this.#sourceFailed = true;
    const left = this.#waitEndsAt - this.#clock.now();
    if (left <= 0) {
      this.#failAll(this.noEndpoints(undefined));
    } else if (this.#timer === undefined) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#failAll(this.noEndpoints(undefined));
      }, left);
      (this.#timer as { unref?(): unknown }).unref?.();
    }
  }

  /** The first set arrived: every waiter goes on to pick. */
  release(): void {
    this.#disarm();
    this.#sourceFailed = false;
    this.#sourceError = undefined;
    for (const w of [...this.#waiters]) w.settle(undefined);
  }

  /** The client closed: every waiter fails with `error`. */
  fail(error: Error): void {
    this.#disarm();
    this.#failAll(error);
  }

  remove(waiter: Waiter): void {
    this.#waiters.delete(waiter);
  }

  /** Why no endpoint: the source's failure if it reported one, else the deadline (`timeout`). */
  noEndpoints(timeout: unknown): NoEndpointsError {
    if (this.#sourceFailed) {
      return new NoEndpointsError(
        {
          service: this.#service,
          reason: `discovery failed before delivering any endpoint set: ${describe(this.#sourceError)}`,
        },
        this.#sourceError,
      );
    }
    return new NoEndpointsError(
      { service: this.#service, reason: 'discovery delivered no endpoint set within the deadline' },
      timeout,
    );
  }

  #failAll(error: Error): void {
    for (const w of [...this.#waiters]) w.settle(error);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'the source reported an error without a message';
}

class Waiter implements AbortListener {
  readonly #owner: FirstSetWait;
  readonly #ctx: CallContext;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;
  readonly #timer: TimerHandle | undefined;
  #settled = false;

  constructor(
    owner: FirstSetWait,
    ctx: CallContext,
    remainingMs: number,
    resolve: () => void,
    reject: (error: unknown) => void,
  ) {
    this.#owner = owner;
    this.#ctx = ctx;
    this.#resolve = resolve;
    this.#reject = reject;
    ctx.cancellation.add(this);
    if (Number.isFinite(remainingMs)) {
      this.#timer = ctx.clock.setTimeout(
        () => this.settle(owner.noEndpoints(undefined)),
        remainingMs,
      );
    }
  }

  /** A deadline enforced from outside (a `TIMEOUT`) still ends as `NO_ENDPOINTS`: that is why. */
  onAbort(reason: unknown): void {
    this.settle(
      isOutriggerError(reason, 'TIMEOUT') ? this.#owner.noEndpoints(reason) : abortError(this.#ctx),
    );
  }

  settle(error: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#owner.remove(this);
    this.#ctx.cancellation.remove(this);
    if (this.#timer !== undefined) this.#ctx.clock.clearTimeout(this.#timer);
    if (error) this.#reject(error);
    else this.#resolve();
  }
}
