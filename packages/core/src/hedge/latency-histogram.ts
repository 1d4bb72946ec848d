import type { Clock } from '../time/clock.js';

const GROWTH = 1.08;
const BUCKETS = 256;
const LOG_GROWTH = Math.log(GROWTH);

/**
 * Recent latencies in log-spaced buckets (8% apart), over a sliding window made of two halves:
 * a percentile reads both, and the older half is dropped when the newer one is a half-window
 * old. Recording is an array increment; the percentile is recomputed at most every
 * `windowMs / 20`, so reading it per call costs a comparison.
 */
export class LatencyHistogram {
  readonly #clock: Clock;
  readonly #halfMs: number;
  #current = new Uint32Array(BUCKETS);
  #previous = new Uint32Array(BUCKETS);
  #currentStart: number;
  #count = 0;
  #cachedAt = Number.NEGATIVE_INFINITY;
  #cachedP = Number.NaN;
  #cached: number | undefined;
  #cachedCount = -1;

  constructor(
    clock: Clock,
    readonly windowMs = 10_000,
    readonly minSamples = 20,
  ) {
    this.#clock = clock;
    this.#halfMs = windowMs / 2;
    this.#currentStart = clock.now();
  }

  record(ms: number): void {
    this.#rotate();
    const i = ms <= 0 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms + 1) / LOG_GROWTH));
    this.#current[i]!++;
    this.#count++;
  }

  /** The `p`th percentile (0–100) in ms, or undefined with fewer than `minSamples` samples. */
  percentile(p: number): number | undefined {
    const now = this.#clock.now();
    const fresh = now - this.#cachedAt < this.windowMs / 20;
    // While warming up (no answer yet), every new sample may be the one that makes it trusted.
    if (
      p === this.#cachedP &&
      fresh &&
      (this.#cached !== undefined || this.#count === this.#cachedCount)
    ) {
      return this.#cached;
    }
    this.#rotate();
    this.#cachedAt = now;
    this.#cachedCount = this.#count;
    this.#cachedP = p;
    this.#cached = this.#compute(p);
    return this.#cached;
  }

  #compute(p: number): number | undefined {
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) total += this.#current[i]! + this.#previous[i]!;
    if (total < this.minSamples) return undefined;
    const rank = Math.ceil((p / 100) * total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#current[i]! + this.#previous[i]!;
      if (seen >= rank) return GROWTH ** i - 1;
    }
    return GROWTH ** (BUCKETS - 1);
  }

  #rotate(): void {
    const now = this.#clock.now();
    if (now - this.#currentStart < this.#halfMs) return;
    const old = this.#previous;
    old.fill(0);
    // Two halves or more idle: nothing recent is left.
    if (now - this.#currentStart >= 2 * this.#halfMs) this.#current.fill(0);
    this.#previous = this.#current;
    this.#current = old;
    this.#currentStart = now;
  }
}
