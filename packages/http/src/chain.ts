import {
  buildChain,
  type Chain,
  type Classifier,
  type Discovery,
  type DiscoveryListener,
  type Endpoint,
  endpoint,
  POSITION_BUILDERS,
  parseHostPort,
  type Service,
} from '@outrigger/core';
import type { HttpAttempt } from './attempt.js';
import type { HttpClientOptions } from './options.js';
import { HTTP_OPTION_KEYS } from './options.js';
import type { OutboundRequest } from './outbound.js';

export type HttpChain = Chain<OutboundRequest, HttpAttempt>;

/**
 * The default chain around the HTTP transport, and the discovery the pools follow.
 *
 * Interim: while core's chain has no `route + balancer` position yet, the transport is wrapped
 * in a round robin over the static `discovery` list (or the user's Discovery), so that the
 * client works end to end. It switches itself off the moment core builds that position.
 */
export function createHttpChain(
  options: HttpClientOptions,
  transport: Service<OutboundRequest, HttpAttempt>,
  classifier: Classifier<HttpAttempt>,
): { chain: HttpChain; discovery: Discovery | undefined } {
  const interim =
    POSITION_BUILDERS['route + balancer'] === undefined ? new InterimPicker() : undefined;
  const chain = buildChain<OutboundRequest, HttpAttempt>({
    options,
    extraKeys: HTTP_OPTION_KEYS,
    transport: interim ? interim.wrap(transport) : transport,
    classifier,
  });
  if (chain.discovery || !interim) return { chain, discovery: chain.discovery };
  const discovery = interim.discoveryFor(chain.config.discovery);
  interim.follow(discovery, chain.config.service);
  return { chain, discovery };
}

/** Round robin over whatever discovery delivers. To be removed with core's balancer. */
class InterimPicker implements DiscoveryListener {
  #endpoints: readonly Endpoint[] = [];
  #next = 0;

  wrap(transport: Service<OutboundRequest, HttpAttempt>): Service<OutboundRequest, HttpAttempt> {
    return (req, ctx) => {
      if (ctx.endpoint || this.#endpoints.length === 0) return transport(req, ctx);
      const chosen = this.#endpoints[this.#next++ % this.#endpoints.length]!;
      return transport(req, ctx.withEndpoint(chosen));
    };
  }

  onEndpoints(endpoints: readonly Endpoint[]): void {
    this.#endpoints = endpoints;
  }

  follow(discovery: Discovery | undefined, service: string): void {
    discovery?.subscribe(service, this);
  }

  discoveryFor(source: unknown): Discovery | undefined {
    if (source && typeof (source as Discovery).subscribe === 'function') return source as Discovery;
    if (!Array.isArray(source)) return undefined;
    const list = source.map((s: string) => endpoint(parseHostPort(s)!));
    return {
      subscribe: (_service, listener) => {
        listener.onEndpoints(list);
        return () => {};
      },
      close: async () => {},
    };
  }
}
