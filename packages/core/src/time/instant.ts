import type { Clock } from './clock.js';

/**
 * One clock reading for one synchronous stretch of a call. Starting a call reads the time in
 * the deadline, the balancer's pick, the scheduler and the transport's remaining time; ending an
 * attempt reads it in the balancer and again in the breaker. Each read costs ~45 ns
 * (`performance.now` on Node 20), five per call in the default chain, and within one stretch
 * of synchronous code they differ by a few microseconds at most. So the chain's entry and a
 * guard layer's settlement open an instant: the first `nowOf` inside it reads the clock, the
 * rest reuse that reading. Nothing asynchronous runs inside an instant (it closes before the
 * stretch returns), so a reading is never carried across an await or a timer.
 */
let open = false;
let readClock: Clock | undefined;
let readTime = 0;

/** Opens an instant unless one is open; pass the result to `endInstant`. */
export function beginInstant(): boolean {
  if (open) return false;
  open = true;
  return true;
}

/** Closes the instant `beginInstant` opened (a no-op for a nested begin). */
export function endInstant(opened: boolean): void {
  if (!opened) return;
  open = false;
  readClock = undefined;
}

/** `clock.now()`, read at most once per clock inside an open instant. */
export function nowOf(clock: Clock): number {
  if (!open) return clock.now();
  if (readClock !== clock) {
    readTime = clock.now();
    readClock = clock;
  }
  return readTime;
}
