import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { AbortListener, Cancellation } from '@outrigger/core';
import type { BodySink, HttpAttempt } from './attempt.js';

/**
 * undici's own response body class, so that `client.request()` resolves with exactly what
 * `undici.request()` does (`text()`, `json()`, `dump()`, streaming, backpressure). It is not
 * exported by undici's index, hence the deep require; undici is pinned to an exact version and
 * a test checks the class is there (docs/decisions/0033).
 */
const { Readable: BodyReadable } = createRequire(import.meta.url)('undici/lib/api/readable.js') as {
  Readable: BodyReadableClass;
};

/** Typed as a plain Readable for subclassing; the facade hands it out as undici's body type. */
type BodyReadableType = Readable;
interface BodyReadableClass {
  new (options: {
    resume: (this: unknown) => void;
    abort: () => void;
    contentType?: string;
    contentLength?: number;
    highWaterMark?: number;
  }): BodyReadableType;
}

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
 * The body of a `request()` response: undici's BodyReadable fed by the attempt. When the caller
 * passed a signal, it stays wired to the body until the body ends, as with `undici.request`.
 */
export class ResponseBody extends BodyReadable implements BodySink, AbortListener {
  readonly attempt: HttpAttempt;
  readonly #trailers: IncomingHttpHeaders;
  #cancellation: Cancellation | undefined;

  constructor(
    attempt: HttpAttempt,
    trailers: IncomingHttpHeaders,
    cancellation: Cancellation | undefined,
    head: boolean,
  ) {
    const length = head ? undefined : Number(attempt.headers['content-length']);
    super({
      resume: readMore as (this: unknown) => void,
      abort: abortBody as () => void,
      contentType: (attempt.headers['content-type'] as string | undefined) ?? '',
      ...(length !== undefined && Number.isFinite(length) ? { contentLength: length } : {}),
    });
    this.attempt = attempt;
    this.#trailers = trailers;
    this.#cancellation = cancellation;
    cancellation?.add(this);
    attempt.attach(this);
  }

  onData(chunk: Buffer): boolean {
    return this.push(chunk);
  }

  onEnd(trailers: IncomingHttpHeaders): void {
    Object.assign(this.#trailers, trailers);
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
