import type { IncomingHttpHeaders } from 'node:http';
import type { AbortListener, Cancellation } from '@outrigger/core';
import { type BodySink, type BodySinks, type HttpAttempt, NO_HEADERS } from './attempt.js';
import { BodyReadable, type BodyReadableType } from './undici-internals.js';

function noop(): void {}

/** Readable asks for more: resume the paused connection. Shared, so no closure per response. */
function readMore(this: ResponseBody): void {
  this.attempt.resume();
}

/** The body was destroyed before its end: close the request on the wire. */
function abortBody(this: ResponseBody): void {
  this.attempt.abortWire(new Error('outrigger: response body destroyed before its end'));
}

/**
 * The body of a `request()` response: undici's BodyReadable fed by the attempt, made at the
 * response head (`BodySinks`) so that it fills as with `undici.request`. When the caller passed a
 * signal, it stays wired to the body until the body ends, as with `undici.request`.
 */
export class ResponseBody extends BodyReadable implements BodySink, AbortListener {
  readonly attempt: HttpAttempt;
  /** The `trailers` of the response object: filled in when the body ends. */
  readonly responseTrailers: IncomingHttpHeaders = {};
  #cancellation: Cancellation | undefined;
  /** The body ended or failed: nothing left to cancel. */
  #over = false;

  constructor(attempt: HttpAttempt, head: boolean) {
    const headers = attempt.headers;
    // One plain literal: BodyReadable takes a length that is not a finite number as unknown.
    super({
      resume: readMore as (this: unknown) => void,
      abort: abortBody as () => void,
      contentType: (headers['content-type'] as string | undefined) ?? '',
      contentLength: head ? undefined : Number(headers['content-length']),
    });
    this.attempt = attempt;
  }

  /** Keeps the caller's signal wired to the body until it ends (then lets go of the signal). */
  watch(cancellation: Cancellation): void {
    if (this.#over) {
      cancellation.dispose();
      return;
    }
    this.#cancellation = cancellation;
    cancellation.add(this);
  }

  onData(chunk: Buffer): boolean {
    return this.push(chunk);
  }

  onEnd(trailers: IncomingHttpHeaders): void {
    if (trailers !== NO_HEADERS) Object.assign(this.responseTrailers, trailers);
    this.#release();
    this.push(null);
  }

  onError(error: Error): void {
    this.#release();
    // Like undici: nobody may be listening yet, and an unheard 'error' would crash the process.
    this.on('error', noop);
    this.destroy(error);
  }

  /** The caller's signal fired while the body was still coming. */
  onAbort(reason: unknown): void {
    this.attempt.abortWire(reason instanceof Error ? reason : new Error(String(reason)));
  }

  #release(): void {
    this.#over = true;
    this.#cancellation?.dispose();
    this.#cancellation = undefined;
  }
}

/** An ended body, for a response no server sent (an injected fault). */
export function emptyBody(): BodyReadableType {
  const body = new BodyReadable({ resume: noop, abort: noop });
  body.push(null);
  return body;
}

/** The sinks of `request()`: each attempt's body is a `ResponseBody` from its head on. */
export const RESPONSE_BODIES: BodySinks = {
  sinkFor: (attempt) => new ResponseBody(attempt, attempt.request.method === 'HEAD'),
};
