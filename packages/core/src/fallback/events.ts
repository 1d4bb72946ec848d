import type { CallContext } from '../context/call-context.js';
/** A failure was replaced by the fallback value. */
export interface FallbackUsedEvent {
  readonly service: string;
  /** The call this happened to: telemetry marks its span. */
  readonly ctx: CallContext;
  /** The replaced error's `code`, when it had one. */
  readonly code: string | undefined;
}

declare module '../events/events.js' {
  interface OutriggerEvents {
    'fallback.used': FallbackUsedEvent;
  }
}
