import type { IncomingHttpHeaders } from 'node:http';
import { type EffectiveConfig, type Endpoint, FaultInjectedError } from '@outrigger/core';
import type { Outcome } from '@outrigger/core/internal';
import { Agent, type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { type BodySink, type HttpAttempt, NO_HEADERS } from './attempt.js';
import { ClientCall, ClientCore } from './client-core.js';
import { FAULT_HEADER } from './fetch.js';
import type { HttpClientOptions } from './options.js';
import { flattenHeaders, type HeadersLike, OutboundRequest } from './outbound.js';
import { type EndpointDispatcher, originOf } from './pools.js';

/** An undici interceptor (for `Agent.compose`) that puts the chain in front of one service. */
export interface OutriggerInterceptor {
  (dispatch: Dispatcher.Dispatch): Dispatcher.Dispatch;
  close(): Promise<void>;
  describe(): string;
  readonly config: EffectiveConfig;
}

/** The request as the interceptor sees it: it remembers which dispatch its attempts go down. */
class InterceptedRequest extends OutboundRequest {
  next: Dispatcher.Dispatch | undefined;
}

/** Attempts go down the dispatch the interceptor wraps, with the origin set to the endpoint. */
class DownstreamDispatcher implements EndpointDispatcher {
  secure = false;
  dispatch(endpoint: Endpoint, options: Dispatcher.DispatchOptions, attempt: HttpAttempt): void {
    const req = attempt.request as InterceptedRequest;
    options.origin = originOf(endpoint, this.secure);
    req.next!(options, attempt);
  }
}

/**
 * `agent.compose(outriggerInterceptor({ service: 'payments', discovery: [...] }))`: requests to
 * `http://payments/...` go through discovery and the whole chain; any other origin passes by
 * untouched. Attempts go down the composed dispatcher (so its connection pools are used).
 */
export function outriggerInterceptor(options: HttpClientOptions): OutriggerInterceptor {
  const downstream = new DownstreamDispatcher();
  const core = new ClientCore(options, downstream);
  downstream.secure = core.settings.tls !== undefined;
  const host = core.service.toLowerCase();
  const interceptor = (dispatch: Dispatcher.Dispatch): Dispatcher.Dispatch =>
    function outrigger(opts, handler) {
      if (!targets(opts.origin, host)) return dispatch(opts, handler);
      const body = opts.body ?? null;
      const replayable = body === null || typeof body === 'string' || body instanceof Uint8Array;
      const req = new InterceptedRequest(
        opts.method,
        opts.path,
        flattenHeaders(opts.headers as HeadersLike | undefined),
        body as OutboundRequest['body'],
        replayable,
      );
      req.next = dispatch;
      new InterceptedCall(core, handler as Dispatcher.DispatchHandler).start(core, req);
      return true;
    };
  return Object.assign(interceptor, {
    close: () => core.close(),
    describe: () => core.chain.describe(),
    config: core.chain.config,
  });
}

function targets(origin: string | URL | undefined, host: string): boolean {
  if (origin === undefined) return false;
  if (typeof origin !== 'string') return origin.hostname.toLowerCase() === host;
  try {
    return new URL(origin).hostname.toLowerCase() === host;
  } catch {
    return false;
  }
}

/** One intercepted request: the caller's handler sees one controller across all attempts. */
class InterceptedCall extends ClientCall implements Dispatcher.DispatchController, BodySink {
  readonly #handler: Dispatcher.DispatchHandler;
  #attempt: HttpAttempt | undefined;
  #paused = false;
  #reason: Error | null = null;

  constructor(core: ClientCore, handler: Dispatcher.DispatchHandler) {
    super(core);
    this.#handler = handler;
  }

  start(core: ClientCore, req: InterceptedRequest): void {
    // The caller's handler hears of the start first: an outcome may come before start returns.
    this.#handler.onRequestStart?.(this, {});
    try {
      core.start(this, req, undefined, undefined, true);
    } catch (error) {
      this.#handler.onResponseError?.(this, error as Error);
    }
  }

  protected complete(outcome: Outcome<HttpAttempt>): void {
    if (outcome.ok) this.#respond(outcome.value);
    else this.#fail(outcome.error);
  }

  get aborted(): boolean {
    return this.#reason !== null;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get reason(): Error | null {
    return this.#reason;
  }
  abort(reason: Error): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.ctx?.cancellation.abort(reason);
    this.#attempt?.abortWire(reason);
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    this.#paused = false;
    this.#attempt?.resume();
  }

  onData(chunk: Buffer): boolean {
    this.#handler.onResponseData?.(this, chunk);
    return !this.#paused;
  }
  onEnd(trailers: IncomingHttpHeaders): void {
    // The shared empty trailers are frozen; the caller's handler gets an object of its own.
    this.#handler.onResponseEnd?.(this, trailers === NO_HEADERS ? {} : trailers);
  }
  onError(error: Error): void {
    this.#handler.onResponseError?.(this, this.#reason ?? error);
  }

  #respond(attempt: HttpAttempt): void {
    if (this.#reason) {
      attempt.discard();
      return;
    }
    this.#attempt = attempt;
    this.#handler.onResponseStart?.(this, attempt.statusCode, attempt.headers, attempt.statusText);
    attempt.attach(this);
  }

  #fail(error: unknown): void {
    if (error instanceof FaultInjectedError && !this.#reason) {
      this.#handler.onResponseStart?.(this, error.status, { [FAULT_HEADER]: 'abort' }, '');
      this.#handler.onResponseEnd?.(this, {});
      return;
    }
    this.#handler.onResponseError?.(this, this.#reason ?? (error as Error));
  }
}

/**
 * Makes `fetch` (Node's global one included) and undici's global dispatcher go through
 * Outrigger for the given services; other origins are untouched. `close()` restores the
 * dispatcher that was there before and frees everything.
 */
export function installGlobalDispatcher(...services: HttpClientOptions[]): {
  close(): Promise<void>;
} {
  const interceptors = services.map(outriggerInterceptor);
  const previous = getGlobalDispatcher();
  const agent = new Agent();
  setGlobalDispatcher(agent.compose(...interceptors));
  let closing: Promise<void> | undefined;
  return {
    close: () => {
      closing ??= (async () => {
        setGlobalDispatcher(previous);
        await Promise.all(interceptors.map((i) => i.close()));
        await agent.close();
      })();
      return closing;
    },
  };
}
