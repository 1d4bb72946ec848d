import type { CallContext } from '../context/call-context.js';

declare module '../events/events.js' {
  interface OutriggerEvents {
    /** A hedged attempt was started `delayMs` after the first. */
    'hedge.started': {
      readonly service: string;
      /** The call this happened to (its attempt's, for attempt-level events): telemetry marks its span. */
      readonly ctx: CallContext;
      readonly operation: string;
      readonly attempt: number;
      readonly delayMs: number;
    };
    /** The call was answered by attempt `winner`; the others were cancelled. */
    'hedge.won': {
      readonly service: string;
      /** The call this happened to (its attempt's, for attempt-level events): telemetry marks its span. */
      readonly ctx: CallContext;
      readonly operation: string;
      readonly winner: number;
      readonly attempts: number;
    };
  }
}
