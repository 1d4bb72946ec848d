import type { IncomingHttpHeaders } from 'node:http';
import type { AbortListener, Cancellation } from '@outrigger/core';
import { type BodySink, type BodySinks, type HttpAttempt, NO_HEADERS } from './attempt.js';
import { BodyReadable, type BodyReadableType } from './undici-internals.js';
import { type WholeKind, wholeValue } from './whole-body.js';

function noop(): void {}

/** Readable asks for more: resume the paused connection. Shared, so no closure per response. */
function readMore(this: ResponseBody): void {
  this.attempt.resume();
}

/** The body was destroyed before its end: close the request on the wire. */
function abortBody(this: ResponseBody): void {
  this.attempt.abortWire(new Error('outrigger: response body destroyed before its end'));
}

const NO_BYTES = Buffer.alloc(0);

/** undici's own whole-body reads, for a body that is still coming or already read. */
const undiciReads = BodyReadable.prototype as unknown as Record<
  WholeKind,
  (this: BodyReadableType) => Promise<unknown>
>;
const undiciGetter = (name: string) =>
  Object.getOwnPropertyDescriptor(BodyReadable.prototype, name)!.get!;
const undiciBodyUsed = undiciGetter('bodyUsed');
const undiciWebStream = undiciGetter('body');

/**
 * The body of a `request()` response: undici's BodyReadable, fed by the attempt from the
 * response head on (`BodySinks`) exactly as `undici.request` feeds it.
 *
 * A whole-body read (`text()`, `json()`, `arrayBuffer()`, `bytes()`, `blob()`) of a body that
 * has all arrived and that nothing has read yet takes it from the stream's buffer with one
 * `read()`, which also ends the stream as any read to the end does. undici's own whole-body read
 * goes through the stream's flowing mode instead (a microtask, listeners, `resume()`, a
 * `'data'` and an `'end'` event): about a tenth of a small request's client CPU on loopback
 * (decision 0060). A body still coming, or already read some other way, gets undici's read.
 *
 * When the caller passed a signal, it stays wired to the body until the body ends, as with
 * `undici.request`.
 */
export class ResponseBody extends BodyReadable implements BodySink, AbortListener {
  readonly attempt: HttpAttempt;
  /** The `trailers` of the response object: filled in when the body ends. */
  readonly responseTrailers: IncomingHttpHeaders = {};
  readonly #contentType: string;
  #cancellation: Cancellation | undefined;
  /** The body ended or failed: nothing left to cancel. */
  #over = false;
  /** A whole-body read took the body here. */
  #taken = false;
  /** The body was handed out as a web stream: whole-body reads are undici's from then on. */
  #webStream = false;

  constructor(attempt: HttpAttempt, head: boolean) {
    const headers = attempt.headers;
    const contentType = (headers['content-type'] as string | undefined) ?? '';
    // One plain literal: BodyReadable takes a length that is not a finite number as unknown.
    super({
      resume: readMore as (this: unknown) => void,
      abort: abortBody as () => void,
      contentType,
      contentLength: head ? undefined : Number(headers['content-length']),
    });
    this.attempt = attempt;
    this.#contentType = contentType;
  }

  text(): Promise<string> {
    return this.#readWhole('text') as Promise<string>;
  }

  json(): Promise<unknown> {
    return this.#readWhole('json');
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#readWhole('arrayBuffer') as Promise<ArrayBuffer>;
  }

  bytes(): Promise<Uint8Array> {
    return this.#readWhole('bytes') as Promise<Uint8Array>;
  }

  blob(): Promise<Blob> {
    return this.#readWhole('blob') as Promise<Blob>;
  }

  get bodyUsed(): boolean {
    return this.#taken || (undiciBodyUsed.call(this) as boolean);
  }

  /** The body as a web stream (undici's, which may lock it against a whole-body read). */
  get body(): ReadableStream {
    this.#webStream = true;
    return undiciWebStream.call(this) as ReadableStream;
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

  #readWhole(kind: WholeKind): Promise<unknown> {
    if (this.#taken) return Promise.reject(new TypeError('unusable'));
    // All arrived (over, and not failed: a failed body is destroyed) and untouched: never flowing
    // or paused, never read, not a web stream.
    if (
      !this.#over ||
      this.#webStream ||
      this.readableFlowing !== null ||
      this.readableDidRead ||
      this.destroyed
    ) {
      return undiciReads[kind].call(this);
    }
    this.#taken = true;
    // Everything buffered, in one Buffer; the stream then ends ('end', 'close') as a read one does.
    const bytes = (this.read() as Buffer | null) ?? NO_BYTES;
    try {
      return Promise.resolve(wholeValue(kind, bytes, this.readableEncoding, this.#contentType));
    } catch (error) {
      // As undici's read: a body that does not parse destroys the stream with the error.
      this.on('error', noop);
      this.destroy(error as Error);
      return Promise.reject(error);
    }
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
