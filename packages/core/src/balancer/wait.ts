import { abortError } from '../context/abort-error.js';
import type { CallContext } from '../context/call-context.js';
import type { AbortListener } from '../context/cancellation.js';
import { isOutriggerError, NoEndpointsError } from '../errors/errors.js';
import type { TimerHandle } from '../time/clock.js';

/**
 * Calls made before discovery's first set arrives wait for it, each within its own deadline.
 * Only start-up takes this path, so a waiting call may hold a timer of its own (on `ctx.clock`)
 * for a deadline that no outer policy enforces.
 */
export class FirstSetWait {
  readonly #waiters = new Set<Waiter>();
  readonly #service: string;
  /** The discovery error last reported, given as the cause of a `NO_ENDPOINTS`. */
  lastError: unknown;

  constructor(service: string) {
    this.#service = service;
  }

  get size(): number {
    return this.#waiters.size;
  }

  wait(ctx: CallContext): Promise<void> {
    if (ctx.aborted) return Promise.reject(abortError(ctx));
    const remaining = ctx.remainingMs();
    if (remaining <= 0) return Promise.reject(this.noEndpoints(undefined));
    return new Promise<void>((resolve, reject) => {
      this.#waiters.add(new Waiter(this, ctx, remaining, resolve, reject));
    });
  }

  /** The first set arrived: every waiter goes on to pick. */
  release(): void {
    for (const w of [...this.#waiters]) w.settle(undefined);
  }

  /** The client closed: every waiter fails with `error`. */
  fail(error: Error): void {
    for (const w of [...this.#waiters]) w.settle(error);
  }

  remove(waiter: Waiter): void {
    this.#waiters.delete(waiter);
  }

  noEndpoints(timeout: unknown): NoEndpointsError {
    return new NoEndpointsError(
      { service: this.#service, reason: 'discovery delivered no endpoint set within the deadline' },
      this.lastError ?? timeout,
    );
  }
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
