import type { Verdict } from '../classify/classifier.js';
import type { CallContext } from '../context/call-context.js';

declare module '../events/events.js' {
  interface OutriggerEvents {
    /** Another attempt will be made after `delayMs`; `requeue` when the last one never reached a server. */
    'retry.scheduled': {
      readonly service: string;
      /** The call this happened to (its attempt's, for attempt-level events): telemetry marks its span. */
      readonly ctx: CallContext;
      readonly operation: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly verdict: Verdict;
      readonly requeue: boolean;
    };
    /** A retryable failure was not retried, and why. */
    'retry.gave_up': {
      readonly service: string;
      /** The call this happened to (its attempt's, for attempt-level events): telemetry marks its span. */
      readonly ctx: CallContext;
      readonly operation: string;
      readonly attempts: number;
      /** `retry_after`: the server asked for a delay beyond `retryAfterMaxMs`. */
      readonly reason: 'attempts' | 'budget' | 'deadline' | 'retry_after';
    };
  }
}
