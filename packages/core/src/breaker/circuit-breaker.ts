// Over the ~200-line aim: the window, the state and `inspect()`, which reads both without
// moving them, share the private state, so they stay one class.
import { isFailure, type Verdict } from '../classify/classifier.js';
import type { EventBus } from '../events/events.js';
import { type Clock, systemClock } from '../time/clock.js';
import type {} from './events.js';
import type { CircuitInspection } from './inspection.js';
import { type BreakerPolicyOptions, resolveBreakerOptions } from './options.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What `tryAcquire` grants: an ordinary call, the one half-open trial, or nothing. */
export type BreakerPermit = 'call' | 'trial' | 'rejected';

/** opossum's and Hystrix's split of the window. */
const BUCKETS = 10;

/**
 * opossum's model, written small (decision 0020): a rolling window of 10 buckets; the circuit
 * opens when failures reach `errorThresholdPercent` of at least `volumeThreshold` calls in it;
 * after `resetTimeoutMs` one trial call goes through, and its verdict closes or re-opens it.
 *
 * No timers at all: bucket rotation and the open → half-open step are computed from the clock
 * when a call comes (or `state` is read), so a thousand breakers cost nothing while idle and
 * nothing is left to clear. Outcomes arrive as `Verdict`s from the shared classifier;
 * `cancelled` says nothing about health and counts neither way (a cancelled trial just frees
 * the trial slot). Nothing here does I/O or knows about calls; the policy drives it.
 */
export class CircuitBreaker {
  readonly service: string;
  readonly errorThresholdPercent: number;
  readonly volumeThreshold: number;
  readonly resetTimeoutMs: number;
  readonly rollingWindowMs: number;
  readonly #bucketMs: number;
  readonly #clock: Clock;
  readonly #events: EventBus | undefined;
  #state: BreakerState = 'closed';
  #openedAt = 0;
  /** What tripped the circuit last (the window is emptied on opening), for `inspect`. */
  #openedWith: { calls: number; failures: number } | undefined;
  #trialInFlight = false;
  // The window: a ring of per-bucket counts plus running totals, so the open check is O(1).
  readonly #successes: number[] = new Array<number>(BUCKETS).fill(0);
  readonly #failures: number[] = new Array<number>(BUCKETS).fill(0);
  #bucket = 0;
  #epoch: number;
  #successTotal = 0;
  #failureTotal = 0;

  constructor(options: BreakerPolicyOptions = {}) {
    const resolved = resolveBreakerOptions(options);
    this.service = options.service ?? 'service';
    this.errorThresholdPercent = resolved.errorThresholdPercent;
    this.volumeThreshold = resolved.volumeThreshold;
    this.resetTimeoutMs = resolved.resetTimeoutMs;
    this.rollingWindowMs = resolved.rollingWindowMs;
    this.#bucketMs = resolved.rollingWindowMs / BUCKETS;
    this.#clock = options.clock ?? systemClock;
    this.#events = options.events;
    this.#epoch = Math.floor(this.#clock.now() / this.#bucketMs);
  }

  /** The current state; an open circuit whose reset time has passed turns half-open on read. */
  get state(): BreakerState {
    if (this.#state === 'open' && this.retryInMs() <= 0) this.#moveTo('half-open');
    return this.#state;
  }

  /**
   * Failures and calls with a verdict in the rolling window, as of the last recorded call. Only
   * a closed circuit counts: the window is emptied when it opens.
   */
  get failures(): number {
    return this.#failureTotal;
  }

  get calls(): number {
    return this.#successTotal + this.#failureTotal;
  }

  /** Whether the half-open trial call is out. */
  get trialInFlight(): boolean {
    return this.#trialInFlight;
  }

  /** Milliseconds until an open circuit lets a trial through; 0 unless open. */
  retryInMs(): number {
    if (this.#state !== 'open') return 0;
    return Math.max(0, this.#openedAt + this.resetTimeoutMs - this.#clock.now());
  }

  /**
   * The state, the window and the last opening, computed from the clock without rotating the
   * window or moving the state: reading must not emit `breaker.half_opened` or drop buckets,
   * or what a snapshot shows would depend on when someone looked. Not for the hot path.
   */
  inspect(): CircuitInspection {
    const now = this.#clock.now();
    const open = this.#state === 'open';
    const halfOpenAt = open ? this.#openedAt + this.resetTimeoutMs : undefined;
    let calls = 0;
    let failures = 0;
    if (this.#state === 'closed') {
      // The buckets that `#rotate` would drop at `now` are left out of the totals.
      const behind = Math.floor(now / this.#bucketMs) - this.#epoch;
      if (behind < BUCKETS) {
        calls = this.#successTotal + this.#failureTotal;
        failures = this.#failureTotal;
        for (let k = 1; k <= behind; k++) {
          const b = (this.#bucket + k) % BUCKETS;
          calls -= this.#successes[b]! + this.#failures[b]!;
          failures -= this.#failures[b]!;
        }
      }
    }
    return {
      state: open && halfOpenAt! <= now ? 'half-open' : this.#state,
      calls,
      failures,
      trialInFlight: this.#trialInFlight,
      halfOpenAt: halfOpenAt !== undefined && halfOpenAt > now ? halfOpenAt : undefined,
      lastOpened: this.#openedWith && { at: this.#openedAt, ...this.#openedWith },
    };
  }

  /** Asks to make a call. Closed: no clock read, no allocation. */
  tryAcquire(): BreakerPermit {
    if (this.#state === 'closed') return 'call';
    if (this.#state === 'open') {
      if (this.retryInMs() > 0) return 'rejected';
      this.#moveTo('half-open');
    }
    if (this.#trialInFlight) return 'rejected';
    this.#trialInFlight = true;
    return 'trial';
  }

  /** Records the verdict of a call made under `permit`. */
  record(verdict: Verdict, permit: BreakerPermit): void {
    if (permit === 'trial') {
      this.#trialInFlight = false;
      if (verdict === 'cancelled' || this.#state !== 'half-open') return;
      const failed = isFailure(verdict);
      this.#moveTo(failed ? 'open' : 'closed', failed ? 1 : 0, 1);
      return;
    }
    // Late outcomes of calls let in before the circuit opened say nothing about the trial.
    if (this.#state !== 'closed' || verdict === 'cancelled' || permit !== 'call') return;
    this.#rotate();
    if (!isFailure(verdict)) {
      this.#successes[this.#bucket]!++;
      this.#successTotal++;
      return;
    }
    this.#failures[this.#bucket]!++;
    this.#failureTotal++;
    const calls = this.#successTotal + this.#failureTotal;
    if (
      calls >= this.volumeThreshold &&
      this.#failureTotal * 100 >= this.errorThresholdPercent * calls
    ) {
      this.#moveTo('open', this.#failureTotal, calls);
    }
  }

  /** Drops buckets that have left the window, computed from the clock instead of a timer. */
  #rotate(): void {
    const epoch = Math.floor(this.#clock.now() / this.#bucketMs);
    let steps = epoch - this.#epoch;
    if (steps <= 0) return;
    this.#epoch = epoch;
    if (steps >= BUCKETS) {
      this.#clearWindow();
      return;
    }
    while (steps-- > 0) {
      const b = (this.#bucket + 1) % BUCKETS;
      this.#successTotal -= this.#successes[b]!;
      this.#failureTotal -= this.#failures[b]!;
      this.#successes[b] = 0;
      this.#failures[b] = 0;
      this.#bucket = b;
    }
  }

  #clearWindow(): void {
    this.#successes.fill(0);
    this.#failures.fill(0);
    this.#successTotal = 0;
    this.#failureTotal = 0;
  }

  /** `failures` and `calls` say why: the window's counts, or the trial's one verdict. */
  #moveTo(to: BreakerState, failures = 0, calls = 0): void {
    const from = this.#state;
    this.#state = to;
    const now = this.#clock.now();
    if (to === 'open') {
      this.#openedAt = now;
      this.#openedWith = { calls, failures };
    }
    // Counts only matter while closed; each closed period starts from an empty window (as
    // Hystrix does), so failures from before the outage cannot re-trip it at once.
    if (from === 'closed') this.#clearWindow();
    if (to === 'closed') this.#epoch = Math.floor(now / this.#bucketMs);
    const name =
      to === 'open' ? 'breaker.opened' : to === 'closed' ? 'breaker.closed' : 'breaker.half_opened';
    if (this.#events?.has(name)) {
      this.#events.emit(name, { service: this.service, from, to, failures, calls });
    }
  }
}
