import type { Endpoint } from '@outrigger/core';
import { type Dispatcher, Pool } from 'undici';
import type { AttemptOwner, HttpAttempt } from './attempt.js';
import type { TransportSettings } from './options.js';

/** Sends one attempt to one endpoint; the client uses pools, the interceptor the dispatch it wraps. */
export interface EndpointDispatcher {
  dispatch(endpoint: Endpoint, options: Dispatcher.DispatchOptions, attempt: HttpAttempt): void;
}

/** `http://10.0.0.5:8080`, `https://[::1]:8443`. */
export function originOf(endpoint: Endpoint, secure: boolean): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${secure ? 'https' : 'http'}://${host}:${endpoint.port}`;
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
class PoolEntry implements AttemptOwner {
  readonly pool: Pool;
  readonly #owner: EndpointPools;
  readonly id: string;
  inFlight = 0;
  /** Discovery no longer lists this endpoint: close the pool once its last attempt is over. */
  retired = false;
  /** Attempts aborted before `onConnect` that undici still holds. */
  held = 0;
  /** Attempts waiting for a held attempt's connection, as [options, attempt] pairs; never more than `held`. */
  readonly #waiting: (Dispatcher.DispatchOptions | HttpAttempt)[] = [];
  #flushing = false;

  constructor(owner: EndpointPools, id: string, pool: Pool) {
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

/**
 * One undici Pool per endpoint, created on the first attempt to it and closed when discovery
 * drops the endpoint, once the attempts still running on it (bodies included) are over. An
 * attempt that races with the removal (the balancer picked from the previous set) still gets
 * a pool, which is closed as soon as that attempt is done, so nothing leaks either way.
 */
export class EndpointPools implements EndpointDispatcher {
  #settings: TransportSettings;
  readonly #entries = new Map<string, PoolEntry>();
  /** Endpoint ids discovery lists now; undefined until it first reports (then all are live). */
  #live: Set<string> | undefined;
  readonly #closing = new Set<Promise<void>>();
  #closed = false;

  constructor(settings: TransportSettings) {
    this.#settings = settings;
  }

  /** Final settings, once the chain has resolved the deadline they derive from. */
  configure(settings: TransportSettings): void {
    this.#settings = settings;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Over every endpoint: attempts aborted before `onConnect` that undici still holds, attempts
   * waiting for their connections, and requests undici has queued or running (for tests).
   */
  get pending(): { held: number; waiting: number; undici: number } {
    let held = 0;
    let waiting = 0;
    let undici = 0;
    for (const entry of this.#entries.values()) {
      held += entry.held;
      waiting += entry.waiting;
      undici += entry.pool.stats.size;
    }
    return { held, waiting, undici };
  }

  dispatch(endpoint: Endpoint, options: Dispatcher.DispatchOptions, attempt: HttpAttempt): void {
    let entry = this.#entries.get(endpoint.id);
    if (!entry) {
      entry = new PoolEntry(this, endpoint.id, this.#createPool(endpoint));
      entry.retired = this.#closed || (this.#live !== undefined && !this.#live.has(endpoint.id));
      this.#entries.set(endpoint.id, entry);
    }
    entry.dispatch(options, attempt);
  }

  /** Discovery delivered a new whole set. */
  onEndpoints(endpoints: readonly Endpoint[]): void {
    const live = new Set<string>();
    for (const e of endpoints) live.add(e.id);
    this.#live = live;
    for (const entry of this.#entries.values()) {
      entry.retired = !live.has(entry.id);
      if (entry.retired && entry.inFlight === 0) this.release(entry);
    }
  }

  release(entry: PoolEntry): void {
    if (this.#entries.get(entry.id) !== entry) return;
    this.#entries.delete(entry.id);
    // On close, attempts still waiting go to the pool, whose graceful close serves them.
    entry.flushWaiting(true);
    const closing = entry.pool.close().catch(() => {});
    this.#closing.add(closing);
    closing.finally(() => this.#closing.delete(closing));
  }

  /** Waits for the attempts still running (undici's graceful close), then frees every socket. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const entry of [...this.#entries.values()]) {
      entry.retired = true;
      this.release(entry);
    }
    await Promise.all(this.#closing);
  }

  #createPool(endpoint: Endpoint): Pool {
    const s = this.#settings;
    const tls = s.tls;
    return new Pool(originOf(endpoint, tls !== undefined), {
      connections: s.connections ?? null,
      pipelining: s.pipelining,
      keepAliveTimeout: s.keepAliveTimeoutMs,
      connect: {
        timeout: s.connectTimeoutMs,
        ...(tls && {
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          servername: tls.servername,
          rejectUnauthorized: tls.rejectUnauthorized !== false,
        }),
      },
    });
  }
}
