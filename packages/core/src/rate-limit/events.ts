import type { CallContext } from '../context/call-context.js';
/** A call was refused: the next token comes after its deadline. */
export interface RateLimitRejectedEvent {
  readonly service: string;
  /** The call this happened to: telemetry marks its span. */
  readonly ctx: CallContext;
  /** When the next token comes. */
  readonly retryInMs: number;
}

/** A call found the bucket empty and waits for a token that comes before its deadline. */
export interface RateLimitDelayedEvent {
  readonly service: string;
  /** The call this happened to: telemetry marks its span. */
  readonly ctx: CallContext;
  readonly waitMs: number;
}

declare module '../events/events.js' {
  interface OutriggerEvents {
    'rate_limit.rejected': RateLimitRejectedEvent;
    'rate_limit.delayed': RateLimitDelayedEvent;
  }
}
