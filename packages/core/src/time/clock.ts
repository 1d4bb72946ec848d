/**
 * Time is a parameter (Finagle's "for well-behaved tests"): every policy reads the clock it
 * was given, so tests drive it with `ManualClock` or vitest fake timers instead of sleeping.
 *
 * `now()` is monotonic milliseconds (not wall time): deadlines are absolute on this scale.
 */
export interface Clock {
  now(): number;
  /** Schedules `callback` after `ms`; the handle is only good for `clearTimeout` of the same clock. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque per clock. For the system clock it is a Node `Timeout` (so `unref()` works). */
export type TimerHandle = { unref?(): unknown } | object;

/**
 * The process clock. It looks up the globals at call time rather than capturing them, so that
 * vitest's fake timers installed after import still take effect.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as NodeJS.Timeout),
};
