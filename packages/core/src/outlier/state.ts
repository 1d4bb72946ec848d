import type { Endpoint } from '../discovery/endpoint.js';

/**
 * What outlier detection keeps per endpoint. It lives on the balancer's per-endpoint record
 * (`Backend`) so that feeding an outcome costs no map lookup; the detector is the only writer.
 */
export interface OutlierState {
  readonly endpoint: Endpoint;
  /** Set when discovery dropped the endpoint: late outcomes of its calls are then ignored. */
  readonly removed: boolean;
  consecutiveFailures: number;
  consecutiveGatewayFailures: number;
  /** Clock time the ejection ends; 0 while the endpoint is in service. */
  ejectedUntil: number;
  ejectedAt: number;
  /** The ejection multiplier: grows per ejection, shrinks while the endpoint stays healthy. */
  timesEjected: number;
  /** When the last ejection ended; `-Infinity` if never ejected. */
  restoredAt: number;
}
