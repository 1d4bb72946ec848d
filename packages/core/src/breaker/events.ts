import type { CallContext } from '../context/call-context.js';
import type { BreakerState } from './circuit-breaker.js';

/** A breaker changed state. `failures` and `calls` are the rolling window's counts at that moment. */
export interface BreakerStateChangedEvent {
  readonly service: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  /** Failures in the window (for `breaker.opened` from closed: what tripped it). */
  readonly failures: number;
  /** Calls with a health verdict in the window (cancelled calls are not counted). */
  readonly calls: number;
}

/** An open circuit refused a call without calling through. */
export interface BreakerRejectedEvent {
  readonly service: string;
  /** The call this happened to: telemetry marks its span. */
  readonly ctx: CallContext;
  /** When a trial call will be let through (0 when a trial is already in flight). */
  readonly retryInMs: number;
}

declare module '../events/events.js' {
  interface OutriggerEvents {
    'breaker.opened': BreakerStateChangedEvent;
    'breaker.half_opened': BreakerStateChangedEvent;
    'breaker.closed': BreakerStateChangedEvent;
    'breaker.rejected': BreakerRejectedEvent;
  }
}
