import { Client } from '@grpc/grpc-js';
import type { DiscoveryListener, Endpoint } from '@outrigger/core';
import type { GrpcTransportSettings } from './options.js';

/** One endpoint's channel and the calls on it. */
class ChannelEntry {
  readonly client: Client;
  inFlight = 0;
  /** The endpoint left discovery: close once the last call on it ends. */
  leaving = false;

  constructor(client: Client) {
    this.client = client;
  }
}

/**
 * One grpc-js channel per endpoint (decision 0047): made on first use, closed when the endpoint
 * leaves discovery and its last call has ended, so a call in flight is never cut by an update.
 * Each channel pins one address: grpc-js's own resolver and balancer see a single backend, and
 * the pick, ejection and retry placement stay with Outrigger's balancer.
 */
export class EndpointChannels implements DiscoveryListener {
  readonly #settings: GrpcTransportSettings;
  readonly #byId = new Map<string, ChannelEntry>();
  #closed = false;

  constructor(settings: GrpcTransportSettings) {
    this.#settings = settings;
  }

  /** The endpoint's channel, for a call that `release`s it when it ends. */
  acquire(endpoint: Endpoint): Client {
    const entry = this.#entry(endpoint);
    entry.inFlight++;
    return entry.client;
  }

  release(endpoint: Endpoint): void {
    const entry = this.#byId.get(endpoint.id);
    if (entry === undefined) return;
    if (--entry.inFlight === 0 && entry.leaving) this.#drop(endpoint.id, entry);
  }

  /** The endpoint's channel without counting a call (active health checks). */
  channelFor(endpoint: Endpoint): Client {
    return this.#entry(endpoint).client;
  }

  onEndpoints(endpoints: readonly Endpoint[]): void {
    const present = new Set<string>();
    for (const e of endpoints) present.add(e.id);
    for (const [id, entry] of this.#byId) {
      if (present.has(id)) entry.leaving = false;
      else if (entry.inFlight === 0) this.#drop(id, entry);
      else entry.leaving = true;
    }
  }

  /** Channels open now (for tests and `describe`). */
  get size(): number {
    return this.#byId.size;
  }

  /** Closes every channel; calls still on them are cancelled by grpc-js. */
  close(): void {
    this.#closed = true;
    for (const [id, entry] of this.#byId) this.#drop(id, entry);
  }

  #entry(endpoint: Endpoint): ChannelEntry {
    let entry = this.#byId.get(endpoint.id);
    if (entry === undefined) {
      if (this.#closed) throw new Error('the client is closed');
      const s = this.#settings;
      entry = new ChannelEntry(new Client(targetOf(endpoint), s.credentials, s.channelOptions));
      this.#byId.set(endpoint.id, entry);
    }
    return entry;
  }

  #drop(id: string, entry: ChannelEntry): void {
    this.#byId.delete(id);
    entry.client.close();
  }
}

/** grpc-js target for one address: `host:port`, IPv6 in brackets. */
export function targetOf(endpoint: Endpoint): string {
  return endpoint.host.includes(':')
    ? `ipv6:[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`;
}
