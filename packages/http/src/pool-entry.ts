import type { Dispatcher, Pool } from 'undici';
import type { AttemptOwner, HttpAttempt } from './attempt.js';

/** Closes a retired entry's pool once its last attempt is over (`EndpointPools`). */
export interface PoolOwner {
  release(entry: PoolEntry): void;
}

/**
 * One endpoint's pool, the attempts in flight on it, and the attempts that wait for a connection
 * about to be free rather than make the pool open another.
 *
 * Two kinds of connection are about to be free. A held one (decision 0042): an attempt aborted
 * before undici gave it a connection stays queued in an undici client that is connecting, until
 * `onConnect`, where it fails and leaves the fresh connection free; in an abort storm, opening
 * one per new call piles up connects faster than they complete. A freeing one (decision 0057):
 * after a response ends, undici waits for the next turn of the loop before it reuses the
 * connection, and a caller that sends its next request as soon as it has read the body finds
 * every connection busy, so an unlimited pool opens a new one per call in that window and ends
 * up with about twice as many connections as calls in flight. Each such connection is promised
 * to one new attempt, which waits here (no undici involvement) and is dispatched once the
 * connection is free. With none promised, dispatching costs one comparison more.
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
  /** Responses ended this turn whose connections undici frees at the next (see `#armFreed`). */
  #freeing = 0;
  /** Of `#freeing`, those no `setImmediate` is armed for yet. */
  #unarmed = 0;
  /** Per armed `setImmediate`, in order, how many connections it frees. */
  readonly #armed: number[] = [];
  /**
   * Attempts waiting for a held or freeing connection, as [options, attempt] pairs; never more
   * than `held + #freeing`.
   */
  readonly #waiting: (Dispatcher.DispatchOptions | HttpAttempt | undefined)[] = [];
  /** Index in `#waiting` of the first pair still waiting (taken from the front, no `shift`). */
  #head = 0;
  #flushing = false;
  /** False unless `pipelining` is 1, the only setting at which undici waits a turn before reuse. */
  readonly #oneAtATime: boolean;

  constructor(owner: PoolOwner, id: string, pool: Pool, oneAtATime: boolean) {
    this.#owner = owner;
    this.id = id;
    this.pool = pool;
    this.#oneAtATime = oneAtATime;
  }

  /** Attempts waiting for a held or freeing connection. */
  get waiting(): number {
    return (this.#waiting.length - this.#head) >> 1;
  }

  dispatch(options: Dispatcher.DispatchOptions, attempt: HttpAttempt): void {
    this.inFlight++;
    attempt.owner = this;
    const promised = this.held + this.#freeing;
    if (promised !== 0 && promised > this.waiting) {
      this.#waiting.push(options, attempt);
    } else {
      this.pool.dispatch(options, attempt);
    }
  }

  abortedBeforeConnect(attempt: HttpAttempt): boolean {
    const i = this.#waiting.indexOf(attempt, this.#head);
    if (i > 0) {
      this.#waiting.splice(i - 1, 2);
      return true;
    }
    this.held++;
    return false;
  }

  attemptDone(held: boolean, ended: boolean): void {
    if (held) {
      this.held--;
      // undici releases a held attempt from inside `onConnect` (or `onError`), before it takes
      // the request off the client's queue and marks the connection free: dispatch after that.
      if (this.waiting > this.held + this.#freeing && !this.#flushing) {
        this.#flushing = true;
        queueMicrotask(this.#flush);
      }
    } else if (ended && this.#oneAtATime) {
      this.#freeing++;
      if (this.#unarmed++ === 0) queueMicrotask(this.#armFreed);
    }
    if (--this.inFlight === 0 && this.retired) this.#owner.release(this);
  }

  /** Dispatches the waiting attempts nothing is promised to (all of them on release). */
  flushWaiting(all: boolean): void {
    const waiting = this.#waiting;
    while (this.#head < waiting.length && (all || this.waiting > this.held + this.#freeing)) {
      const options = waiting[this.#head] as Dispatcher.DispatchOptions;
      const attempt = waiting[this.#head + 1] as HttpAttempt;
      waiting[this.#head] = waiting[this.#head + 1] = undefined;
      this.#head += 2;
      if (this.#head === waiting.length) {
        waiting.length = 0;
        this.#head = 0;
      }
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

  /**
   * undici schedules a connection's reuse with `setImmediate` right after it tells the attempt
   * that the response ended, in the same synchronous run; a microtask runs after that run, so
   * an immediate armed here runs after undici's, when the connections are free again. Should
   * undici ever free them later, the waiting attempts still go at this immediate, and the pool
   * opens connections for them as it would have anyway: never a stall.
   */
  readonly #armFreed = (): void => {
    this.#armed.push(this.#unarmed);
    this.#unarmed = 0;
    setImmediate(this.#freed);
  };

  readonly #freed = (): void => {
    this.#freeing -= this.#armed.shift()!;
    this.flushWaiting(false);
  };
}
