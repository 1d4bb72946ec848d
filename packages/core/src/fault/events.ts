import type { CallContext } from '../context/call-context.js';
import type { Endpoint } from '../discovery/endpoint.js';

declare module '../events/events.js' {
  interface OutriggerEvents {
    /**
     * A fault was injected on purpose. Telemetry marks the attempt with it, so that nobody
     * takes a drill's 503s or delays for a real incident.
     */
    'fault.injected': {
      readonly service: string;
      /** The call this happened to (its attempt's, for attempt-level events): telemetry marks its span. */
      readonly ctx: CallContext;
      readonly kind: 'delay' | 'abort';
      /** The route whose fault settings applied; undefined for the client-wide ones. */
      readonly route: string | undefined;
      readonly endpoint: Endpoint | undefined;
      /** For a delay: how long (capped at the time left before the deadline). */
      readonly delayMs: number | undefined;
      /** For an abort with the built-in error: its status. */
      readonly status: number | undefined;
    };
  }
}
