import type { CallContext } from '../context/call-context.js';

declare module '../events/events.js' {
  interface OutriggerEvents {
    /** A retry, requeue or hedge was refused because the shared budget is spent. */
    'budget.exhausted': {
      readonly service: string;
      /** The call this happened to (its attempt's, for attempt-level events): telemetry marks its span. */
      readonly ctx: CallContext;
      readonly operation: string;
      readonly purpose: 'retry' | 'requeue' | 'hedge';
    };
  }
}
