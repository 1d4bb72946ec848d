import type { Endpoint } from '../discovery/endpoint.js';
import type { OutlierState } from '../outlier/state.js';
import { hashString } from './hash.js';
import { PeakEwma } from './peak-ewma.js';

/**
 * One endpoint as the balancer sees it: the endpoint, its load (requests in flight, and the
 * peak-EWMA latency it inherits) and its outlier state. Kept by endpoint id across discovery updates, so an update
 * that re-lists an endpoint keeps what was learnt about it (a slow endpoint stays avoided, an
 * ejected one stays ejected). Pickers are immutable arrays of these; the counters inside are
 * the only thing the data plane writes, as in Finagle and tower.
 */
export class Backend extends PeakEwma implements OutlierState {
  // What a pick reads comes first, next to the inherited latency estimate.
  /** Attempts sent to it and not yet settled. */
  outstanding = 0;
  /** `endpoint.weight`, copied so a pick reads one object. */
  weight: number;
  endpoint: Endpoint;
  readonly id: string;
  /** Two independent hashes of the id: Maglev's offset and skip, ring-hash's point seeds. */
  readonly hash: number;
  readonly hash2: number;
  removed = false;
  consecutiveFailures = 0;
  consecutiveGatewayFailures = 0;
  ejectedUntil = 0;
  ejectedAt = 0;
  timesEjected = 0;
  restoredAt = Number.NEGATIVE_INFINITY;

  constructor(endpoint: Endpoint) {
    super();
    this.endpoint = endpoint;
    this.weight = endpoint.weight;
    this.id = endpoint.id;
    this.hash = hashString(endpoint.id, 0x9747b28c);
    this.hash2 = hashString(endpoint.id, 0x5bd1e995);
  }

  get ejected(): boolean {
    return this.ejectedUntil > 0;
  }
}
