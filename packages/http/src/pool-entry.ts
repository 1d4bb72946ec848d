import type { Dispatcher, Pool } from 'undici';
import type { AttemptOwner, HttpAttempt } from './attempt.js';

/** Closes a retired entry's pool once its last attempt is over (`EndpointPools`). */
export interface PoolOwner {
  release(entry: PoolEntry): void;
}

/** How often a waiting attempt's stall guard checks that connections are still draining. */
const STALL_CHECK_MS = 5;

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
 * to one new attempt, which waits here (no undici involvement) and is dispatched when one of the
 * pool's connections says it is free again (its `drain`, emitted from the turn where undici
 * resumes it), so it goes out in that very turn, on that connection. With none promised,
 * dispatching costs one comparison more.
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
  /** Responses ended whose connections have not said they are free again (see `#drained`). */
  #freeing = 0;
  /** Connections that said they were free, ever: the stall guard's measure of progress. */
  #drains = 0;
  /** The stall guard, armed while attempts wait on freeing connections (see `#checkStall`). */
  #stallGuard: ReturnType<typeof setTimeout> | undefined = undefined;
  #drainsAtGuard = 0;
  /** Times the stall guard gave up on a promise: zero unless undici stops saying so (for tests). */
  stalls = 0;
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

  /**
   * `makePool` makes the endpoint's pool; with `oneAtATime`, it is given the listener each of the
   * pool's connections must call on its `drain` (an undici `Pool` `factory` attaches it).
   */
  constructor(
    owner: PoolOwner,
    id: string,
    oneAtATime: boolean,
    makePool: (drained: (() => void) | undefined) => Pool,
  ) {
    this.#owner = owner;
    this.id = id;
    this.#oneAtATime = oneAtATime;
    this.pool = makePool(oneAtATime ? this.#drained : undefined);
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
      if (this.#freeing !== 0 && this.#stallGuard === undefined) this.#armStallGuard();
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
    }
    if (--this.inFlight === 0 && this.retired) this.#owner.release(this);
  }

  /** Dispatches the waiting attempts nothing is promised to (all of them on `stop`). */
  #flushWaiting(all: boolean): void {
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
    this.#flushWaiting(false);
  };

  /**
   * A connection of this pool is free again: undici emits its `drain` from the turn after a
   * response ended, when it resumes the connection, and before it looks at its queue, so an
   * attempt dispatched here goes out on it in the same turn. A connection that closes instead
   * drains too (undici resumes it from the close). A drain nothing was promised for (after an
   * error, say) only lets a waiting attempt go sooner, to a connection the pool may open.
   */
  readonly #drained = (): void => {
    this.#drains++;
    if (this.#freeing !== 0) this.#freeing--;
    if (this.#head !== this.#waiting.length) this.#flushWaiting(false);
  };

  /**
   * Should undici ever fail to say a connection is free, the attempts promised to it must not
   * wait for ever: while attempts wait on freeing connections, a guard checks every few ms that
   * some connection drained since it last looked; if none did, nothing is promised any more and
   * the waiting attempts go to the pool, which opens connections for them (the behaviour before
   * decision 0057). At most one timer per busy endpoint per period, never one per call.
   */
  #armStallGuard(): void {
    this.#drainsAtGuard = this.#drains;
    this.#stallGuard = setTimeout(this.#checkStall, STALL_CHECK_MS);
    this.#stallGuard.unref();
  }

  readonly #checkStall = (): void => {
    this.#stallGuard = undefined;
    if (this.#head === this.#waiting.length || this.#freeing === 0) return;
    if (this.#drains === this.#drainsAtGuard) {
      this.stalls++;
      this.#freeing = 0;
      this.#flushWaiting(false);
    } else {
      this.#armStallGuard();
    }
  };

  /**
   * The entry is released: every waiting attempt goes to the pool, whose graceful close serves
   * it, so the stall guard has nothing left to watch and stops.
   */
  stop(): void {
    this.#flushWaiting(true);
    if (this.#stallGuard !== undefined) clearTimeout(this.#stallGuard);
    this.#stallGuard = undefined;
  }
}
