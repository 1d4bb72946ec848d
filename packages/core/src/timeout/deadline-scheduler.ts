import type { Clock, TimerHandle } from '../time/clock.js';

/**
 * Something with an absolute deadline that must be told when it passes. The scheduler links
 * entries into its buckets through these fields (an intrusive list), so scheduling and
 * cancelling allocate nothing.
 */
export interface Expirable {
  expire(): void;
  /** @internal bucket list links, owned by the scheduler */
  deadlinePrev: Expirable | undefined;
  deadlineNext: Expirable | undefined;
  deadlineBucket: Bucket | undefined;
}

/** @internal */
export interface Bucket {
  readonly at: number;
  head: Expirable | undefined;
  size: number;
  timer: TimerHandle | undefined;
}

/** Slots in the scheduler's cache of recent buckets (a power of two). */
const RECENT = 64;

/**
 * Shared deadline timers. Deadlines are grouped into 1 ms buckets with one timer per bucket, so
 * at 50,000 calls/s with the same timeout about a thousand timers a second serve all of them,
 * and cancelling a deadline on the success path is an unlink, not a `clearTimeout`.
 * A bucket fires at or after every deadline in it, never before.
 */
export class DeadlineScheduler {
  readonly #clock: Clock;
  readonly #buckets = new Map<number, Bucket>();
  readonly #unref: boolean;
  /**
   * The bucket last used for each `at` modulo `RECENT`, checked before the map. Nearly every
   * schedule joins a bucket made in the last few ms, but not always the last one: a call's
   * deadline is scheduled when it starts, and again when its response body is held to it, a few
   * ms later, between other calls' starts. With one timer per ms and a long timeout the map holds
   * thousands of buckets; in a perf profile of the HTTP client its lookup cost more than the rest
   * of `schedule`.
   */
  readonly #recent: (Bucket | undefined)[] = Array.from({ length: RECENT }, () => undefined);

  constructor(clock: Clock, options: { unref?: boolean } = {}) {
    this.#clock = clock;
    this.#unref = options.unref ?? true;
  }

  schedule(entry: Expirable, deadline: number): void {
    const at = Math.ceil(deadline);
    const slot = at & (RECENT - 1);
    let bucket = this.#recent[slot];
    if (bucket === undefined || bucket.at !== at) {
      bucket = this.#buckets.get(at);
      if (bucket === undefined) {
        bucket = { at, head: undefined, size: 0, timer: undefined };
        this.#buckets.set(at, bucket);
        this.#arm(bucket, at - this.#clock.now());
      }
      this.#recent[slot] = bucket;
    }
    entry.deadlineBucket = bucket;
    entry.deadlinePrev = undefined;
    entry.deadlineNext = bucket.head;
    if (bucket.head) bucket.head.deadlinePrev = entry;
    bucket.head = entry;
    bucket.size++;
  }

  cancel(entry: Expirable): void {
    const bucket = entry.deadlineBucket;
    if (!bucket) return;
    const { deadlinePrev: prev, deadlineNext: next } = entry;
    if (prev) prev.deadlineNext = next;
    else bucket.head = next;
    if (next) next.deadlinePrev = prev;
    entry.deadlinePrev = entry.deadlineNext = entry.deadlineBucket = undefined;
    bucket.size--;
    // An empty bucket keeps its timer: clearing and re-arming costs more than one idle wake-up.
  }

  /** Deadlines waiting, and timers armed: for leak tests. */
  get size(): { entries: number; timers: number } {
    let entries = 0;
    for (const bucket of this.#buckets.values()) entries += bucket.size;
    return { entries, timers: this.#buckets.size };
  }

  #arm(bucket: Bucket, ms: number): void {
    bucket.timer = this.#clock.setTimeout(() => this.#fire(bucket), ms);
    if (this.#unref) (bucket.timer as { unref?: () => void }).unref?.();
  }

  #fire(bucket: Bucket): void {
    // Node times a timer from the loop's cached time, which lags the clock by as much as the
    // loop turn that set it: under load a timer can fire that much early. Never expire early.
    const early = bucket.at - this.#clock.now();
    if (early > 0) {
      this.#arm(bucket, early);
      return;
    }
    this.#buckets.delete(bucket.at);
    const slot = bucket.at & (RECENT - 1);
    if (this.#recent[slot] === bucket) this.#recent[slot] = undefined;
    bucket.timer = undefined;
    for (let entry = bucket.head; entry; ) {
      const next = entry.deadlineNext;
      entry.deadlinePrev = entry.deadlineNext = entry.deadlineBucket = undefined;
      entry.expire();
      entry = next;
    }
    bucket.head = undefined;
    bucket.size = 0;
  }
}

const schedulers = new WeakMap<Clock, DeadlineScheduler>();
// Nearly every call uses the same clock: remember the last one and skip the WeakMap lookup.
let lastClock: Clock | undefined;
let lastScheduler: DeadlineScheduler | undefined;

/** The one scheduler per clock, shared by every timeout policy that uses that clock. */
export function schedulerFor(clock: Clock): DeadlineScheduler {
  if (clock === lastClock) return lastScheduler!;
  let scheduler = schedulers.get(clock);
  if (!scheduler) {
    scheduler = new DeadlineScheduler(clock);
    schedulers.set(clock, scheduler);
  }
  lastClock = clock;
  lastScheduler = scheduler;
  return scheduler;
}
