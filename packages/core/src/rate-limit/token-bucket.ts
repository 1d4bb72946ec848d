import { type Clock, systemClock } from '../time/clock.js';
import { type RateLimitPolicyOptions, resolveRateLimitOptions } from './options.js';

/**
 * A token bucket (decision 0021): `perSecond` tokens a second, at most `burst` banked. Refilled
 * lazily from the clock when asked, so there is no timer and an idle bucket costs nothing.
 *
 * A caller that must wait borrows its token from the future (the count goes negative), so its
 * turn is fixed when it asks: waiters are served in arrival order and a newcomer queues behind
 * them. A waiter that gives up hands its token back with `refund()`. No I/O here; the policy
 * owns the waits.
 */
export class TokenBucket {
  readonly perSecond: number;
  readonly burst: number;
  readonly #perMs: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(options: RateLimitPolicyOptions) {
    const resolved = resolveRateLimitOptions(options);
    this.perSecond = resolved.perSecond;
    this.burst = resolved.burst;
    this.#perMs = resolved.perSecond / 1000;
    this.#clock = options.clock ?? systemClock;
    this.#tokens = resolved.burst;
    this.#last = this.#clock.now();
  }

  /** Tokens available now; negative when waiters have borrowed ahead. */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes a token if one is there now. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token would be free for a newcomer (0: now). */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : (1 - this.#tokens) / this.#perMs;
  }

  /**
   * Takes a token, borrowing one that comes within `maxWaitMs` if none is left. Returns how long
   * the caller must wait for it (0: go now), or undefined, taking nothing, if it comes later.
   */
  take(maxWaitMs: number): number | undefined {
    const wait = this.waitMs();
    if (wait > maxWaitMs) return undefined;
    this.#tokens -= 1;
    return wait;
  }

  /** Gives back a token taken with `take` whose caller no longer needs it. */
  refund(): void {
    this.#refill();
    this.#tokens = Math.min(this.burst, this.#tokens + 1);
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#last;
    if (elapsed <= 0) return;
    this.#last = now;
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.#perMs);
  }
}
