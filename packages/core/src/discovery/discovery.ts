import type { Disposer } from '../events/events.js';
import type { Endpoint } from './endpoint.js';

/** Receives whole endpoint sets: each call replaces the previous set. */
export interface DiscoveryListener {
  onEndpoints(endpoints: readonly Endpoint[]): void;
  /** The source failed; the last good set stays in force. */
  onError?(error: unknown): void;
}

/**
 * Where a service lives. A Discovery delivers whole endpoint sets per service name to any number
 * of subscribers (the balancer, the transport's connection pools), calling a new subscriber at
 * once with the current set when it has one. It keeps the last good set when its source fails:
 * never an empty pool because a registry blinked.
 */
export interface Discovery {
  subscribe(service: string, listener: DiscoveryListener): Disposer;
  /** Stops watches and timers; the client calls it on `close()`. */
  close(): Promise<void>;
}
