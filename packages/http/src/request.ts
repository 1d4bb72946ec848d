import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { type Cancellation, FaultInjectedError, isOutriggerError } from '@outrigger/core';
import type { Dispatcher } from 'undici';
import type { HttpAttempt } from './attempt.js';
import { prepareBody } from './body.js';
import type { CallOverrides, ClientCore } from './client-core.js';
import { FAULT_HEADER } from './fetch.js';
import { flattenHeaders, type HeadersLike, OutboundRequest } from './outbound.js';
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
 * undici.request); refusals reject with typed errors, network failures with undici's error,
 * a caller's abort with the signal's reason.
 */
export function requestVia(
  core: ClientCore,
  input: string | URL,
  options?: RequestOptions,
): Promise<ResponseData> {
  try {
    return start(core, input, options);
  } catch (error) {
    return Promise.reject(error);
  }
}

function start(
  core: ClientCore,
  input: string | URL,
  options: RequestOptions | undefined,
): Promise<ResponseData> {
  const target = resolveTarget(input, core.service, core.settings.tls !== undefined);
  const method = options?.method === undefined ? 'GET' : options.method.toUpperCase();
  const headers = flattenHeaders(options?.headers);
  const prepared = prepareBody(options?.body, core.settings.maxReplayBytes, false);
  if (prepared instanceof Promise) {
    return prepared.then((p) => {
      if (p.contentType) headers.push('content-type', p.contentType);
      return send(
        core,
        new OutboundRequest(method, target, headers, p.body, p.replayable, options?.routeHeaders),
        options,
      );
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
  return send(core, req, options);
}

function send(
  core: ClientCore,
  req: OutboundRequest,
  options: RequestOptions | undefined,
): Promise<ResponseData> {
  const signal = options?.signal ?? undefined;
  const ctx = core.context(req, signal, options);
  return core.call(req, ctx).then(
    (attempt) => {
      core.settled();
      return toData(attempt, req.method, signal ? ctx.cancellation : undefined);
    },
    (error: unknown) => {
      core.settled();
      if (signal) ctx.cancellation.dispose();
      return failed(error, signal);
    },
  );
}

function toData(
  attempt: HttpAttempt,
  method: string,
  cancellation: Cancellation | undefined,
): ResponseData {
  const trailers: IncomingHttpHeaders = {};
  const body = new ResponseBody(attempt, trailers, cancellation, method === 'HEAD');
  return {
    statusCode: attempt.statusCode,
    statusText: attempt.statusText,
    headers: attempt.headers,
    trailers,
    body: body as unknown as ResponseData['body'],
  };
}

function failed(error: unknown, signal: AbortSignal | undefined): ResponseData {
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
  if (isOutriggerError(error, 'CANCELLED') && signal?.aborted) throw signal.reason;
  throw error;
}
