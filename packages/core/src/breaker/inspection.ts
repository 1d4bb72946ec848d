import type { BreakerState } from './circuit-breaker.js';

/** The circuit read without moving it, on the breaker's clock; see `CircuitBreaker.inspect`. */
export interface CircuitInspection {
  /** As the next call would find it: an open circuit past its reset time reads half-open. */
  readonly state: BreakerState;
  /** Calls with a verdict and failures among them in the rolling window now (closed only). */
  readonly calls: number;
  readonly failures: number;
  readonly trialInFlight: boolean;
  /** Clock time an open circuit lets its trial through; undefined unless open. */
  readonly halfOpenAt: number | undefined;
  /** The last opening: clock time, and the counts (window or trial) that caused it. */
  readonly lastOpened:
    | { readonly at: number; readonly calls: number; readonly failures: number }
    | undefined;
}
