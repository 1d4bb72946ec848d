import type { Endpoint } from './endpoint.js';

declare module '../events/events.js' {
  interface OutriggerEvents {
    /** A new endpoint set reached the balancer of `service`. */
    'discovery.updated': {
      readonly service: string;
      readonly endpoints: readonly Endpoint[];
      readonly added: number;
      readonly removed: number;
    };
    /** The discovery source failed; the balancer keeps `kept` endpoints from the last good set. */
    'discovery.failed': {
      readonly service: string;
      readonly error: unknown;
      readonly kept: number;
    };
  }
}
