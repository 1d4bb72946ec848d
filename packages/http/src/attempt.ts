import type { IncomingHttpHeaders } from 'node:http';
import { type AbortListener, abortError, type CallContext } from '@outrigger/core';
import type { Dispatcher } from 'undici';
import type { HttpOutcome } from './classify.js';

/** Where a response body goes once somebody wants it: a Readable, a web stream, a handler. */
export interface BodySink {
  /** Returns false to ask for a pause (backpressure). */
  onData(chunk: Buffer): boolean;
  onEnd(trailers: IncomingHttpHeaders): void;
  onError(error: Error): void;
}

/** Told once when an attempt is over (body ended, errored or aborted): the pool's in-flight count. */
export interface AttemptOwner {
  attemptDone(): void;
}

/** Bytes of a body read before anyone attached, beyond which the connection is paused. */
const BUFFER_BEFORE_PAUSE = 64 * 1024;
/** A discarded body up to this size is drained so its connection is kept; a larger one is cut. */
export const MAX_DRAIN_BYTES = 64 * 1024;

enum Phase {
  Waiting = 0,
  Streaming = 1,
  Ended = 2,
  Failed = 3,
}

/**
 * One HTTP attempt, and all three of: the undici dispatch handler, the listener on the call's
 * cancellation, and the outcome the chain classifies. One object per attempt, no closures: an
 * abort (deadline, caller, hedge loser) reaches the wire through undici's own controller, so
 * no AbortSignal is ever created for it (see docs/decisions/0031).
 *
 * The promise resolves at the response head; the body is buffered (up to 64 KiB, then the
 * connection is paused) until a sink attaches, because undici delivers the first body bytes in
 * the same tick as the head, before any `await` resumes.
 */
export class HttpAttempt implements Dispatcher.DispatchHandler, AbortListener, HttpOutcome {
  statusCode = 0;
  statusText = '';
  headers: IncomingHttpHeaders = {};
  trailers: IncomingHttpHeaders | undefined;
  readonly ctx: CallContext;
  /** Set by the dispatcher (the endpoint's pool entry); told when the attempt is over. */
  owner: AttemptOwner | undefined;
  #resolve: ((value: HttpAttempt) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #pendingAbort: Error | undefined;
  #phase = Phase.Waiting;
  #chunks: Buffer[] | undefined;
  #bytes = 0;
  #error: Error | undefined;
  #sink: BodySink | undefined;
  #discarding = false;

  constructor(
    ctx: CallContext,
    resolve: (value: HttpAttempt) => void,
    reject: (error: unknown) => void,
  ) {
    this.ctx = ctx;
    this.owner = undefined;
    this.#resolve = resolve;
    this.#reject = reject;
    ctx.cancellation.add(this);
  }

  // --- undici handler -------------------------------------------------------------------------

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort) controller.abort(this.#pendingAbort);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusText?: string,
  ): void {
    if (statusCode < 200) return; // 100 Continue, 103 Early Hints: informational only
    this.statusCode = statusCode;
    this.headers = headers;
    this.statusText = statusText ?? '';
    this.#phase = Phase.Streaming;
    const resolve = this.#resolve;
    this.#settle();
    resolve?.(this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#sink) {
      if (!this.#sink.onData(chunk)) controller.pause();
      return;
    }
    this.#bytes += chunk.length;
    if (this.#discarding) {
      if (this.#bytes > MAX_DRAIN_BYTES) this.#cut();
      return;
    }
    if (this.#chunks) this.#chunks.push(chunk);
    else this.#chunks = [chunk];
    if (this.#bytes > BUFFER_BEFORE_PAUSE) controller.pause();
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.trailers = trailers;
    this.#phase = Phase.Ended;
    this.#sink?.onEnd(trailers);
    this.#finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const reject = this.#reject;
    if (reject) {
      this.#settle();
      // Our own abort arrives back here as its reason: surface the call's abort error.
      reject(this.ctx.aborted ? abortError(this.ctx) : error);
    }
    if (this.#phase === Phase.Streaming) {
      this.#phase = Phase.Failed;
      this.#error = error;
      this.#sink?.onError(error);
    }
    this.#finish();
  }

  // --- cancellation ---------------------------------------------------------------------------

  /** The call's cancellation fired before the response head: reject now, cancel on the wire. */
  onAbort(): void {
    const reject = this.#reject;
    if (!reject) return;
    this.#settle();
    const error = abortError(this.ctx);
    reject(error);
    this.abortWire(error);
  }

  /** Closes the request on the wire (now, or as soon as undici starts it). */
  abortWire(error: Error): void {
    if (this.#phase === Phase.Ended || this.#phase === Phase.Failed) return;
    if (this.#controller) this.#controller.abort(error);
    else this.#pendingAbort ??= error;
  }

  // --- body -----------------------------------------------------------------------------------

  /** Hands the body to `sink`: buffered chunks first, then the end or error if already seen. */
  attach(sink: BodySink): void {
    this.#sink = sink;
    const chunks = this.#chunks;
    this.#chunks = undefined;
    let wantMore = true;
    if (chunks) for (const chunk of chunks) wantMore = sink.onData(chunk);
    if (this.#phase === Phase.Ended) sink.onEnd(this.trailers ?? {});
    else if (this.#phase === Phase.Failed) sink.onError(this.#error!);
    else if (wantMore) this.resume();
  }

  resume(): void {
    if (this.#controller?.paused) this.#controller.resume();
  }

  get bodyDone(): boolean {
    return this.#phase === Phase.Ended || this.#phase === Phase.Failed;
  }

  /**
   * Nobody will read this body (a retried attempt, a hedge loser, a null-body status): drain a
   * small one so the keep-alive connection goes back to the pool; cut a large or unknown one.
   */
  discard(): void {
    if (this.#discarding || this.#sink) return;
    this.#discarding = true;
    this.#chunks = undefined;
    if (this.bodyDone) return;
    // Unknown length (chunked) drains too; `onResponseData` cuts it once past the limit.
    const length = Number(this.headers['content-length']);
    if (length > MAX_DRAIN_BYTES || this.#bytes > MAX_DRAIN_BYTES) this.#cut();
    else this.resume();
  }

  #cut(): void {
    this.abortWire(new Error('outrigger: response body discarded'));
  }

  #settle(): void {
    this.#resolve = undefined;
    this.#reject = undefined;
    this.ctx.cancellation.remove(this);
  }

  #finish(): void {
    const owner = this.owner;
    this.owner = undefined;
    owner?.attemptDone();
  }
}
