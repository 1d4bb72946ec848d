import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import {
  type CallContext,
  type Cancellation,
  FaultInjectedError,
  isOutriggerError,
} from '@outrigger/core';
import { type Outcome, type PromiseHolder, promiseFor } from '@outrigger/core/internal';
import type { Dispatcher } from 'undici';
import type { HttpAttempt } from './attempt.js';
import { prepareBody } from './body.js';
import { type CallOverrides, ClientCall, type ClientCore } from './client-core.js';
import { typedFailure } from './failure.js';
import { FAULT_HEADER } from './fetch.js';
import { flattenHeaders, type HeadersLike, NO_HEADERS, OutboundRequest } from './outbound.js';
import { emptyBody, ResponseBody } from './response-body.js';
import { resolveTarget } from './target.js';

/** `request()` options: undici.request's common ones plus Outrigger's per-call overrides. */
export interface RequestOptions extends CallOverrides {
  method?: string | undefined;
  headers?: HeadersLike | undefined;
  body?: string | Uint8Array | Readable | AsyncIterable<Uint8Array> | FormData | null | undefined;
  signal?: AbortSignal | null | undefined;
}

/** What `undici.request()` resolves with, the same shape: `body` is undici's BodyReadable. */
export interface ResponseData {
  statusCode: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData['body'];
}

/**
 * The fast path: no WHATWG objects, an undici-style result. Any status resolves (as with
 * undici.request); refusals reject with typed errors, a network failure with `UNAVAILABLE`
 * (undici's error as `cause`), a caller's abort with the signal's reason.
 *
 * One per client. A call is one `PendingRequest`, the settler its chain tells directly.
 */
export class RequestFacade {
  readonly #core: ClientCore;

  constructor(core: ClientCore) {
    this.#core = core;
  }

  request(input: string | URL, options?: RequestOptions): Promise<ResponseData> {
    try {
      return this.#start(input, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #start(input: string | URL, options: RequestOptions | undefined): Promise<ResponseData> {
    const core = this.#core;
    const target = resolveTarget(input, core.service, core.settings.tls !== undefined);
    const method = options?.method === undefined ? 'GET' : options.method.toUpperCase();
    const given = options?.headers;
    // No headers given: one shared empty list, never written (the transport copies to add).
    const headers = given === undefined || given === null ? NO_HEADERS : flattenHeaders(given);
    const prepared = prepareBody(options?.body, core.settings.maxReplayBytes, false, core.service);
    if (prepared instanceof Promise) {
      return prepared.then((p) => {
        const all = p.contentType ? [...headers, 'content-type', p.contentType] : headers;
        const req = new OutboundRequest(
          method,
          target,
          all,
          p.body,
          p.replayable,
          options?.routeHeaders,
        );
        return this.#send(req, options);
      });
    }
    const req = new OutboundRequest(
      method,
      target,
      headers,
      prepared.body,
      prepared.replayable,
      options?.routeHeaders,
    );
    return this.#send(req, options);
  }

  #send(req: OutboundRequest, options: RequestOptions | undefined): Promise<ResponseData> {
    req.bodyAtHead = true;
    const signal = options?.signal ?? undefined;
    const call = new PendingRequest(this.#core, signal);
    const promise = promiseFor(call);
    this.#core.start(call, req, signal, options);
    return promise;
  }
}

/**
 * One `request()` call, and the settler the chain tells at the response head: the whole chain
 * settles the caller's promise with no promise reaction of its own (decision 0041). A call with
 * a signal keeps its cancellation wired to the body, and drops it on failure.
 */
class PendingRequest extends ClientCall implements PromiseHolder<ResponseData> {
  readonly #signal: AbortSignal | undefined;
  #resolve: ((value: ResponseData) => void) | undefined = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;

  constructor(core: ClientCore, signal: AbortSignal | undefined) {
    super(core);
    this.#signal = signal;
  }

  settlers(resolve: (value: ResponseData) => void, reject: (error: unknown) => void): void {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  protected complete(outcome: Outcome<HttpAttempt>): void {
    // A caller's signal stays wired to the body until it ends; without one there is nothing to do.
    const cancellation = this.#signal === undefined ? undefined : this.ctx!.cancellation;
    if (!outcome.ok) cancellation?.dispose();
    try {
      this.#resolve!(
        outcome.ok
          ? toData(outcome.value, cancellation)
          : failed(outcome.error, this.#signal, this.ctx),
      );
    } catch (thrown) {
      this.#reject!(thrown);
    }
  }
}

/** The result of `request()`, around the body its attempt made at the head. */
function toData(attempt: HttpAttempt, cancellation: Cancellation | undefined): ResponseData {
  let body = attempt.claim() as ResponseBody | undefined;
  if (body === undefined) {
    // An attempt that did not come through the facade's request: read its body from here on.
    body = new ResponseBody(attempt, attempt.request.method === 'HEAD');
    attempt.attach(body);
  }
  if (cancellation) body.watch(cancellation);
  return {
    statusCode: attempt.statusCode,
    statusText: attempt.statusText,
    headers: attempt.headers,
    trailers: body.responseTrailers,
    body: body as unknown as ResponseData['body'],
  };
}

function failed(
  error: unknown,
  signal: AbortSignal | undefined,
  ctx: CallContext | undefined,
): ResponseData {
  if (error instanceof FaultInjectedError) {
    const body = emptyBody();
    return {
      statusCode: error.status,
      statusText: '',
      headers: { [FAULT_HEADER]: 'abort' },
      trailers: {},
      body: body as unknown as ResponseData['body'],
    };
  }
  if (signal?.aborted && (isOutriggerError(error, 'CANCELLED') || !isOutriggerError(error))) {
    throw signal.reason;
  }
  throw typedFailure(error, ctx);
}
