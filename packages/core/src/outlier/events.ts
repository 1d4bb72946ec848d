import type { CallContext } from '../context/call-context.js';
import type { Endpoint } from '../discovery/endpoint.js';

export type EjectionReason = 'consecutive-failures' | 'consecutive-gateway-failures';

declare module '../events/events.js' {
  interface OutriggerEvents {
    /** An endpoint was taken out of balancing for `ejectionMs`. */
    'outlier.ejected': {
      readonly service: string;
      /** The attempt whose outcome tipped the endpoint over: telemetry marks its span. */
      readonly ctx: CallContext | undefined;
      readonly endpoint: Endpoint;
      readonly reason: EjectionReason;
      readonly ejectionMs: number;
      /** The multiplier of this ejection (1 for the first in a while). */
      readonly timesEjected: number;
      /** Endpoints ejected now, this one included, out of `total`. */
      readonly ejected: number;
      readonly total: number;
    };
    /** An ejection ran out; the endpoint takes traffic again. */
    'outlier.restored': {
      readonly service: string;
      readonly endpoint: Endpoint;
      readonly ejectedForMs: number;
    };
    /** An endpoint met the bar for ejection but `maxEjectionPercent` was reached (Envoy's overflow). */
    'outlier.ejection_skipped': {
      readonly service: string;
      readonly endpoint: Endpoint;
      readonly reason: EjectionReason;
      readonly ejected: number;
      readonly max: number;
    };
  }
}
