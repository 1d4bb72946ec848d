import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { type CallContext, FaultInjectedError, isOutriggerError } from '@outrigger/core';
import { type Outcome, type PromiseHolder, promiseFor } from '@outrigger/core/internal';
import { type RequestInit, Response } from 'undici';
import type { HttpAttempt } from './attempt.js';
import { type PreparedBody, prepareBody } from './body.js';
import { type CallOverrides, ClientCall, type ClientCore } from './client-core.js';
import { typedFailure } from './failure.js';
import { FetchBodySource } from './fetch-body.js';
import { flattenHeaders, type HeadersLike, headerValue, OutboundRequest } from './outbound.js';
import { resolveTarget } from './target.js';

/** A `Request` of any fetch implementation (global, undici's), read by duck typing. */
export interface RequestLike {
  readonly url: string;
  readonly method: string;
  readonly headers: HeadersLike;
  readonly body: ReadableStream<Uint8Array> | null;
  readonly signal?: AbortSignal | null;
}

/** `fetch` init: the standard fields plus Outrigger's per-call overrides. */
export interface FetchInit extends Omit<RequestInit, 'body' | 'headers' | 'signal'>, CallOverrides {
  headers?: HeadersLike | undefined;
  body?: RequestInit['body'] | Readable | AsyncIterable<Uint8Array> | null | undefined;
  signal?: AbortSignal | null | undefined;
}

/** Marks a Response that fault injection made up (`fault.abort`): no request was sent. */
export const FAULT_HEADER = 'outrigger-fault';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * WHATWG fetch through the chain. An HTTP error status resolves as a Response (the last
 * attempt's once retries are spent); a policy that refuses, or a request Outrigger will not
 * send (`REQUEST_INVALID`), rejects with its typed error; a network failure rejects with
 * `TypeError('fetch failed')` whose `cause` is an `UNAVAILABLE` error around undici's; a
 * caller's abort rejects with the signal's reason. Redirects are returned, not followed.
 */
export async function fetchVia(
  core: ClientCore,
  input: string | URL | RequestLike,
  init?: FetchInit,
): Promise<Response> {
  const source = typeof input === 'string' || input instanceof URL ? undefined : input;
  const target = resolveTarget(
    source ? source.url : (input as string | URL),
    core.service,
    core.settings.tls !== undefined,
  );
  const method = (init?.method ?? source?.method ?? 'GET').toUpperCase();
  const headers = flattenHeaders(init?.headers ?? source?.headers);
  const signal = init?.signal ?? source?.signal ?? undefined;
  const body = init?.body ?? source?.body;
  let prepared = prepareBody(body, core.settings.maxReplayBytes, true, core.service);
  if (prepared instanceof Promise) prepared = await prepared;
  if (prepared.contentType && headerValue(headers, 'content-type') === undefined) {
    headers.push('content-type', prepared.contentType);
  }
  const req = new OutboundRequest(
    method,
    target,
    headers,
    (prepared as PreparedBody).body,
    prepared.replayable,
    init?.routeHeaders,
  );
  const call = new FetchCall(core);
  const settled = promiseFor(call);
  core.start(call, req, signal, init);
  const ctx = call.ctx!;
  let attempt: HttpAttempt;
  try {
    attempt = await settled;
  } catch (error) {
    if (signal) ctx.cancellation.dispose();
    return responseForFailure(error, signal, ctx);
  }
  if (init?.redirect === 'error' && REDIRECTS.has(attempt.statusCode)) {
    attempt.discard();
    if (signal) ctx.cancellation.dispose();
    throw new TypeError('fetch failed', {
      cause: new Error(`redirect (${attempt.statusCode}) with redirect: "error"`),
    });
  }
  return toResponse(attempt, method, signal ? ctx.cancellation : undefined);
}

/** One `fetch` call: the chain's outcome settles the promise `fetchVia` awaits. */
class FetchCall extends ClientCall implements PromiseHolder<HttpAttempt> {
  #resolve: ((attempt: HttpAttempt) => void) | undefined = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;

  settlers(resolve: (attempt: HttpAttempt) => void, reject: (error: unknown) => void): void {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  protected complete(outcome: Outcome<HttpAttempt>): void {
    if (outcome.ok) this.#resolve!(outcome.value);
    else this.#reject!(outcome.error);
  }
}

function toResponse(
  attempt: HttpAttempt,
  method: string,
  cancellation: import('@outrigger/core').Cancellation | undefined,
): Response {
  const init = {
    status: attempt.statusCode,
    statusText: attempt.statusText,
    headers: pairs(attempt.headers),
  };
  try {
    if (method === 'HEAD' || NULL_BODY.has(attempt.statusCode)) {
      attempt.discard();
      cancellation?.dispose();
      return new Response(null, init);
    }
    return new Response(new FetchBodySource(attempt, cancellation).stream(), init);
  } catch (error) {
    // A status fetch cannot represent (above 599), or a malformed status text.
    attempt.discard();
    throw new TypeError('fetch failed', { cause: error });
  }
}

/**
 * A failed call as fetch reports it: a made-up Response for an injected fault; else a rejection,
 * with Outrigger's typed refusal itself, or, for a failure on the wire, `TypeError('fetch
 * failed')` as WHATWG fetch gives it, whose `cause` is the typed `UNAVAILABLE` (its own `cause`
 * the socket error): code written against fetch keeps working and the code is one step away.
 */
export function responseForFailure(
  error: unknown,
  signal: AbortSignal | null | undefined,
  ctx?: CallContext,
): Response {
  if (error instanceof FaultInjectedError && error.status >= 200 && error.status <= 599) {
    return new Response(null, { status: error.status, headers: { [FAULT_HEADER]: 'abort' } });
  }
  if (signal?.aborted && (isOutriggerError(error, 'CANCELLED') || !isOutriggerError(error))) {
    throw signal.reason;
  }
  if (isOutriggerError(error)) throw error;
  throw new TypeError('fetch failed', { cause: typedFailure(error, ctx) });
}

/** undici's parsed headers (arrays for repeats) as `[name, value]` pairs for `Headers`. */
function pairs(headers: IncomingHttpHeaders): [string, string][] {
  const out: [string, string][] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, v]);
    else out.push([name, value]);
  }
  return out;
}
