import type { Dispatcher, Pool } from 'undici';
import type { AttemptOwner, HttpAttempt } from './attempt.js';

/** Closes a retired entry's pool once its last attempt is over (`EndpointPools`). */
export interface PoolOwner {
  release(entry: PoolEntry): void;
}

/**
 * One endpoint's pool, the attempts in flight on it, and the attempts that wait for a connection
 * an aborted attempt is holding (decision 0042).
 *
 * An attempt aborted before undici gave it a connection stays queued in an undici client that
 * is connecting, until `onConnect`, where it fails and leaves the fresh connection free. While
 * it is queued that client is busy, so the pool would open another connection for the caller's
 * next call at once, and in an abort storm connects pile up faster than they complete. So each
 * such held attempt is promised to one new attempt, which waits here (no undici involvement) and
 * is dispatched when a held attempt is released, onto the connection it leaves free. With none
 * held, dispatching costs one comparison more.
 */
export class PoolEntry implements AttemptOwner {
  readonly pool: Pool;
  readonly #owner: PoolOwner;
  readonly id: string;
  inFlight = 0;
  /** Discovery no longer lists this endpoint: close the pool once its last attempt is over. */
  retired = false;
  /** Attempts aborted before `onConnect` that undici still holds. */
  held = 0;
  /** Attempts waiting for a held attempt's connection, as [options, attempt] pairs; never more than `held`. */
  readonly #waiting: (Dispatcher.DispatchOptions | HttpAttempt)[] = [];
  #flushing = false;

  constructor(owner: PoolOwner, id: string, pool: Pool) {
    this.#owner = owner;
    this.id = id;
    this.pool = pool;
  }

  /** Attempts waiting for a connection a held attempt will free: for tests. */
  get waiting(): number {
    return this.#waiting.length >> 1;
  }

  dispatch(options: Dispatcher.DispatchOptions, attempt: HttpAttempt): void {
    this.inFlight++;
    attempt.owner = this;
    // With nothing held (nearly always), one comparison.
    if (this.held !== 0 && this.held > this.#waiting.length >> 1) {
      this.#waiting.push(options, attempt);
    } else {
      this.pool.dispatch(options, attempt);
    }
  }

  abortedBeforeConnect(attempt: HttpAttempt): boolean {
    const i = this.#waiting.indexOf(attempt);
    if (i > 0) {
      this.#waiting.splice(i - 1, 2);
      return true;
    }
    this.held++;
    return false;
  }

  attemptDone(held: boolean): void {
    if (held) {
      this.held--;
      // undici releases a held attempt from inside `onConnect` (or `onError`), before it takes
      // the request off the client's queue and marks the connection free: dispatch after that.
      if (this.#waiting.length >> 1 > this.held && !this.#flushing) {
        this.#flushing = true;
        queueMicrotask(this.#flush);
      }
    }
    if (--this.inFlight === 0 && this.retired) this.#owner.release(this);
  }

  /** Dispatches the waiting attempts no held attempt is promised to (all of them on release). */
  flushWaiting(all: boolean): void {
    const waiting = this.#waiting;
    while (waiting.length > 0 && (all || waiting.length >> 1 > this.held)) {
      const options = waiting.shift() as Dispatcher.DispatchOptions;
      const attempt = waiting.shift() as HttpAttempt;
      try {
        this.pool.dispatch(options, attempt);
      } catch (error) {
        attempt.onError(error as Error);
      }
    }
  }

  readonly #flush = (): void => {
    this.#flushing = false;
    this.flushWaiting(false);
  };
}
