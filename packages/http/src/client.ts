import type { ClientSnapshot, EffectiveConfig, EventBus, Route } from '@outrigger/core';
import type { Response } from 'undici';
import { ClientCore } from './client-core.js';
import { type FetchInit, fetchVia, type RequestLike } from './fetch.js';
import type { HttpClientOptions } from './options.js';
import { RequestFacade, type RequestOptions, type ResponseData } from './request.js';

export interface HttpClient {
  /**
   * WHATWG fetch through the whole chain. `input` is a path (`/charges/42`), a URL whose host is
   * the service (`http://payments/charges/42`), or a Request; `init` adds `timeout`,
   * `idempotent`, `retry: false`, `hashKey` and `routeHeaders`.
   */
  fetch(input: string | URL | RequestLike, init?: FetchInit): Promise<Response>;
  /** The fast path, shaped like `undici.request()`: `{ statusCode, headers, body, trailers }`. */
  request(input: string | URL, options?: RequestOptions): Promise<ResponseData>;
  /** Waits for calls in flight, then frees every socket, timer and discovery watch. */
  close(): Promise<void>;
  /** The chain and every setting with where its value came from. */
  describe(): string;
  /**
   * Live state as plain JSON-safe data: endpoints (in flight, EWMA latency, ejections), the
   * breaker and its window, the budget, the bulkhead, the rate limit and the routes. Computed
   * when called; calls pay nothing for it. Positions that are off are `false`.
   */
  snapshot(): ClientSnapshot;
  /**
   * Replaces the routes and traffic splits at run time (same schema as the `routes` option;
   * `CONFIG_INVALID` for a bad table, which leaves the old one in force). Calls in flight finish
   * where they are.
   */
  setRoutes(routes: readonly Route[]): void;
  readonly config: EffectiveConfig;
  /** Policy events (`retry.scheduled`, `breaker.opened`, ...), for telemetry or your own use. */
  readonly events: EventBus;
}

/**
 * One client per downstream service, created at start-up: discovery, balancing, deadlines,
 * budgeted retries, hedging, breaker, bulkhead, rate limit and faults in front of undici.
 * Throws `CONFIG_INVALID` for a bad option or `OUTRIGGER_*` variable.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const core = new ClientCore(options);
  const requests = new RequestFacade(core);
  return {
    fetch: (input, init) => fetchVia(core, input, init),
    request: (input, requestOptions) => requests.request(input, requestOptions),
    close: () => core.close(),
    describe: () => core.chain.describe(),
    snapshot: () => core.chain.snapshot(),
    setRoutes: (routes) => core.chain.setRoutes(routes),
    config: core.chain.config,
    events: core.chain.events,
  };
}
