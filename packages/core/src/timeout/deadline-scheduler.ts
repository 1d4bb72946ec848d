import type { Clock, TimerHandle } from '../time/clock.js';

/** Something with an absolute deadline that must be told when it passes. */
export interface Expirable {
  expire(): void;
}

interface Bucket {
  readonly at: number;
  readonly entries: Set<Expirable>;
  timer: TimerHandle | undefined;
}

/**
 * Shared deadline timers. Deadlines are grouped into 1 ms buckets with one timer per bucket, so
 * at 50,000 calls/s with the same timeout about a thousand timers a second serve all of them,
 * and cancelling a deadline on the success path is a `Set.delete`, not a `clearTimeout`.
 * A bucket fires at or after every deadline in it, never before.
 */
export class DeadlineScheduler {
  readonly #clock: Clock;
  readonly #buckets = new Map<number, Bucket>();
  readonly #unref: boolean;

  constructor(clock: Clock, options: { unref?: boolean } = {}) {
    this.#clock = clock;
    this.#unref = options.unref ?? true;
  }

  /** Registers `entry` to expire at `deadline`; returns the bucket key for `cancel`. */
  schedule(entry: Expirable, deadline: number): number {
    const at = Math.ceil(deadline);
    let bucket = this.#buckets.get(at);
    if (!bucket) {
      bucket = { at, entries: new Set(), timer: undefined };
      this.#buckets.set(at, bucket);
      const fire = bucket;
      bucket.timer = this.#clock.setTimeout(() => this.#fire(fire), at - this.#clock.now());
      if (this.#unref) (bucket.timer as { unref?: () => void }).unref?.();
    }
    bucket.entries.add(entry);
    return at;
  }

  cancel(entry: Expirable, key: number): void {
    const bucket = this.#buckets.get(key);
    if (!bucket) return;
    bucket.entries.delete(entry);
    // An empty bucket keeps its timer: clearing and re-arming costs more than one idle wake-up.
  }

  /** Deadlines waiting, and timers armed: for leak tests. */
  get size(): { entries: number; timers: number } {
    let entries = 0;
    for (const bucket of this.#buckets.values()) entries += bucket.entries.size;
    return { entries, timers: this.#buckets.size };
  }

  #fire(bucket: Bucket): void {
    this.#buckets.delete(bucket.at);
    bucket.timer = undefined;
    for (const entry of bucket.entries) entry.expire();
  }
}

const schedulers = new WeakMap<Clock, DeadlineScheduler>();

/** The one scheduler per clock, shared by every timeout policy that uses that clock. */
export function schedulerFor(clock: Clock): DeadlineScheduler {
  let scheduler = schedulers.get(clock);
  if (!scheduler) {
    scheduler = new DeadlineScheduler(clock);
    schedulers.set(clock, scheduler);
  }
  return scheduler;
}
