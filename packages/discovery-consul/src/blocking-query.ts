import type { Clock, TimerHandle } from '@outrigger/core';

export interface BlockingResult<T> {
  /** `X-Consul-Index` as received (NaN when missing). */
  readonly index: number;
  readonly value: T;
}

export interface BlockingLoopOptions<T> {
  /** One query: `index` 0 asks for the current state at once, above 0 blocks up to `waitMs`. */
  query(index: number, waitMs: number, signal: AbortSignal): Promise<BlockingResult<T>>;
  onValue(value: T, index: number): void;
  /** `failures` counts consecutive failed queries, from 1. */
  onError(error: unknown, failures: number): void;
  clock: Clock;
  random: () => number;
  waitMs: number;
  /** Shortest time between the starts of two queries when the index did not move. */
  minIntervalMs: number;
  backoff: { baseMs: number; maxMs: number };
}

/**
 * Consul's documented index rules for the index to send next, given the one sent and the one
 * received: an index below 1 (a Consul bug the docs warn of) is treated as 1, so it can never
 * turn into a non-blocking query that returns at once forever; an index that went backwards
 * (a server restored from a snapshot, a change of leader) resets to 0 for a fresh full read.
 */
export function nextIndex(sent: number, received: number): number {
  const got = Number.isFinite(received) && received >= 1 ? Math.floor(received) : 1;
  return got < sent ? 0 : got;
}

/** Jittered exponential back-off: between half and all of `min(maxMs, baseMs × 2^(failures-1))`. */
export function backoffDelay(
  failures: number,
  backoff: { baseMs: number; maxMs: number },
  random: () => number,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(30, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * A blocking-query watch (health or KV): query, hand over the value, query again with the
 * index. It never spins: a query that returns with the index it was sent waits out
 * `minIntervalMs` from its own start before the next, and failures back off with jitter up to
 * a cap (the index is kept, so a recovered agent is asked about changes since the last
 * answer). Timers are unref'd; `stop()` aborts the query in flight.
 */
export class BlockingLoop<T> {
  readonly #o: BlockingLoopOptions<T>;
  #index = 0;
  #failures = 0;
  #timer: TimerHandle | undefined;
  #controller: AbortController | undefined;
  #stopped = false;

  constructor(options: BlockingLoopOptions<T>) {
    this.#o = options;
  }

  /** The index the next query will send. */
  get index(): number {
    return this.#index;
  }

  start(): void {
    void this.#round();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#controller?.abort();
  }

  async #round(): Promise<void> {
    this.#timer = undefined;
    if (this.#stopped) return;
    const o = this.#o;
    const sent = this.#index;
    const started = o.clock.now();
    const controller = new AbortController();
    this.#controller = controller;
    let result: BlockingResult<T>;
    try {
      result = await o.query(sent, o.waitMs, controller.signal);
    } catch (error) {
      if (this.#stopped) return;
      this.#failures++;
      o.onError(error, this.#failures);
      this.#schedule(backoffDelay(this.#failures, o.backoff, o.random));
      return;
    } finally {
      if (this.#controller === controller) this.#controller = undefined;
    }
    if (this.#stopped) return;
    this.#failures = 0;
    this.#index = nextIndex(sent, result.index);
    o.onValue(result.value, this.#index);
    if (this.#stopped) return;
    const unchanged = sent > 0 && this.#index === sent;
    this.#schedule(unchanged ? Math.max(0, started + o.minIntervalMs - o.clock.now()) : 0);
  }

  #schedule(ms: number): void {
    const timer = this.#o.clock.setTimeout(() => void this.#round(), ms);
    (timer as { unref?(): unknown }).unref?.();
    this.#timer = timer;
  }
}
