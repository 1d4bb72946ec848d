import type { Disposer } from '../events/events.js';
import type { DiscoveryListener } from './discovery.js';
import type { Endpoint } from './endpoint.js';

/**
 * The subscriber side every Discovery needs: the last good set, delivered at once to a new
 * subscriber and to everyone on change; errors passed on while the set stays in force. Before
 * the first set, the last error is delivered at once to a new subscriber too, so a client
 * created after its source failed knows not to wait for a set (decision 0045). A
 * listener that throws never stops the others (it becomes a process warning), because one
 * broken subscriber must not starve the balancer of updates.
 */
export class EndpointBroadcast {
  readonly #listeners = new Set<DiscoveryListener>();
  #endpoints: readonly Endpoint[] | undefined;
  #signature = '';
  /** The last failure while no set has arrived; forgotten with the first set. */
  #failure: { error: unknown } | undefined;

  /** The last good set, or undefined before the first one. */
  get endpoints(): readonly Endpoint[] | undefined {
    return this.#endpoints;
  }

  get size(): number {
    return this.#listeners.size;
  }

  subscribe(listener: DiscoveryListener): Disposer {
    this.#listeners.add(listener);
    if (this.#endpoints) deliver(listener, this.#endpoints);
    else if (this.#failure) tell(listener, this.#failure.error);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Replaces the set; returns false (and tells nobody) when it is the same as the last one. */
  publish(endpoints: readonly Endpoint[]): boolean {
    const signature = signatureOf(endpoints);
    if (this.#endpoints && signature === this.#signature) return false;
    this.#endpoints = Object.freeze([...endpoints]);
    this.#signature = signature;
    this.#failure = undefined;
    for (const listener of [...this.#listeners]) deliver(listener, this.#endpoints);
    return true;
  }

  /** The source failed: listeners hear of it, the last good set stays. */
  fail(error: unknown): void {
    if (!this.#endpoints) this.#failure = { error };
    for (const listener of [...this.#listeners]) tell(listener, error);
  }

  clear(): void {
    this.#listeners.clear();
  }
}

function deliver(listener: DiscoveryListener, endpoints: readonly Endpoint[]): void {
  try {
    listener.onEndpoints(endpoints);
  } catch (thrown) {
    warn(thrown);
  }
}

function tell(listener: DiscoveryListener, error: unknown): void {
  try {
    listener.onError?.(error);
  } catch (thrown) {
    warn(thrown);
  }
}

function warn(thrown: unknown): void {
  process.emitWarning(`an Outrigger discovery listener threw: ${String(thrown)}`, {
    code: 'OUTRIGGER_LISTENER_FAILED',
  });
}

/** What makes two sets different for a balancer: ids, addresses, weights, zones, metadata. */
function signatureOf(endpoints: readonly Endpoint[]): string {
  let text = '';
  for (const e of endpoints) {
    text += `${e.id}|${e.host}|${e.port}|${e.weight}|${e.zone ?? ''}|${JSON.stringify(e.metadata)}\n`;
  }
  return text;
}
