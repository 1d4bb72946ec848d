import type { Disposer } from '../events/events.js';
import type { Endpoint } from './endpoint.js';

/** Receives whole endpoint sets: each call replaces the previous set. */
export interface DiscoveryListener {
  onEndpoints(endpoints: readonly Endpoint[]): void;
  /**
   * The source failed; the last good set stays in force. A source that has never delivered a
   * set also calls a new subscriber with its last error at once, so the subscriber need not
   * wait for a set that is not coming (the balancer then fails calls fast with `NO_ENDPOINTS`).
   */
  onError?(error: unknown): void;
}

/**
 * Where a service lives. A Discovery delivers whole endpoint sets per service name to any number
 * of subscribers (the balancer, the transport's connection pools), calling a new subscriber at
 * once with the current set when it has one (or its last error when it has none yet). It keeps the last good set when its source fails:
 * never an empty pool because a registry blinked.
 */
export interface Discovery {
  subscribe(service: string, listener: DiscoveryListener): Disposer;
  /** Stops watches and timers; the client calls it on `close()`. */
  close(): Promise<void>;
}
