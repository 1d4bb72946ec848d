import type { IncomingHttpHeaders } from 'node:http';
import { type AbortListener, abortError, type CallContext, TimeoutError } from '@outrigger/core';
import {
  type Expirable,
  failedWith,
  type Settler,
  schedulerFor,
  succeeded,
} from '@outrigger/core/internal';
import type { Dispatcher } from 'undici';
import type { HttpOutcome } from './classify.js';
import type { OutboundRequest } from './outbound.js';
import { parseHeaders } from './undici-internals.js';

/** Where a response body goes once somebody wants it: a Readable, a web stream, a handler. */
export interface BodySink {
  /** Returns false to ask for a pause (backpressure). */
  onData(chunk: Buffer): boolean;
  onEnd(trailers: IncomingHttpHeaders): void;
  onError(error: Error): void;
}

/**
 * Makes an attempt's body sink the moment its head arrives, before any promise reaction runs:
 * `request()` puts undici's BodyReadable there, fed exactly as `undici.request` feeds it (a sink
 * attached a few promise hops later costs the stream an extra round of ticks, ~0.3 µs). Until
 * the facade `claim`s it, the sink is provisional: a discarded attempt drops it unread.
 */
export interface BodySinks {
  sinkFor(attempt: HttpAttempt): BodySink;
}

/** The dispatcher's side of an attempt (the endpoint's pool entry): counts and queues attempts. */
export interface AttemptOwner {
  /**
   * Told once when the attempt is over (body ended, errored or aborted). `held`: it had been
   * aborted before undici gave it a connection and undici held it until now (decision 0042).
   * `ended`: its response ended whole, so its connection is kept for the next request.
   */
  attemptDone(held: boolean, ended: boolean): void;
  /**
   * The attempt was aborted before undici gave it a connection. True if the owner still had it
   * (queued, never handed to undici): it is over at once. False if undici holds it, queued on a
   * connection being made, until it calls `onConnect` (or `onError`).
   */
  abortedBeforeConnect(attempt: HttpAttempt): boolean;
}

/** Bytes of a body read before anyone attached, beyond which the connection is paused. */
const BUFFER_BEFORE_PAUSE = 64 * 1024;
/** A discarded body up to this size is drained so its connection is kept; a larger one is cut. */
export const MAX_DRAIN_BYTES = 64 * 1024;

/**
 * Headers before the head arrives, and the trailers of the many responses that have none:
 * shared, so frozen (the head replaces the reference; nobody writes trailers).
 */
export const NO_HEADERS: IncomingHttpHeaders = Object.freeze({}) as IncomingHttpHeaders;

enum Phase {
  Waiting = 0,
  Streaming = 1,
  Ended = 2,
  Failed = 3,
}

/**
 * (This file runs past 200 lines on purpose: an attempt is one object per request by design,
 * so its roles as undici handler, cancellation listener, outcome, early-body buffer and body
 * deadline entry live in one class rather than in five objects per request.)
 *
 * One HTTP attempt, and all three of: the undici dispatch handler, the listener on the call's
 * cancellation, and the outcome the chain classifies. One object per attempt, no closures: an
 * abort (deadline, caller, hedge loser) reaches the wire through the abort undici hands the
 * handler, so no AbortSignal is ever created for it (docs/decisions/0031 and 0035).
 *
 * Its settler is told at the response head, from inside undici's callback (decision 0041).
 * undici delivers the first body bytes in the same tick, before any `await` resumes, so they go
 * to a sink made at the head (`BodySinks`), or are buffered (up to 64 KiB, then the connection
 * is paused) until a sink attaches.
 */
export class HttpAttempt
  implements Dispatcher.DispatchHandler, AbortListener, HttpOutcome, Expirable
{
  statusCode = 0;
  statusText = '';
  headers: IncomingHttpHeaders = NO_HEADERS;
  trailers: IncomingHttpHeaders | undefined;
  readonly ctx: CallContext;
  /** The logical request this attempt sends (the facade reads its method, the interceptor its dispatch). */
  readonly request: OutboundRequest;
  /** Set by the dispatcher (the endpoint's pool entry); told when the attempt is over. */
  owner: AttemptOwner | undefined;
  /** Told of the head, or of an error or abort before it; cleared once told. */
  #settler: Settler<HttpAttempt> | undefined;
  /** undici's abort for this request, from `onConnect`. */
  #wireAbort: ((reason?: Error) => void) | undefined;
  /** undici's resume for this connection, from `onHeaders`. */
  #wireResume: (() => void) | undefined;
  /** The connection is paused because we asked (returned false to undici). */
  #paused = false;
  /** Aborted before `onConnect`: what `onConnect` throws, so undici drops the request, not the socket. */
  #pendingAbort: Error | undefined;
  /** Aborted before `onConnect` while undici held it: the owner counts it until undici lets go. */
  #held = false;
  #phase = Phase.Waiting;
  #first: Buffer | undefined;
  #more: Buffer[] | undefined;
  #bytes = 0;
  #error: Error | undefined;
  #sink: BodySink | undefined;
  /** The sink came from `BodySinks` at the head and nobody has claimed it yet. */
  #provisional = false;
  #discarding = false;
  /** @internal the body deadline's links in the shared scheduler (see `holdToDeadline`) */
  deadlinePrev: Expirable | undefined = undefined;
  deadlineNext: Expirable | undefined = undefined;
  deadlineBucket: Expirable['deadlineBucket'] = undefined;

  /** Makes the body's sink at the head, for a facade that reads every body (`request()`). */
  readonly #sinks: BodySinks | undefined;

  constructor(
    ctx: CallContext,
    request: OutboundRequest,
    settler: Settler<HttpAttempt>,
    sinks?: BodySinks,
  ) {
    this.ctx = ctx;
    this.request = request;
    this.owner = undefined;
    this.#settler = settler;
    this.#sinks = sinks;
  }

  /** Listens to the call's cancellation from here on. Call once, before dispatching. */
  listen(): void {
    this.ctx.cancellation.add(this);
  }

  // --- undici handler -------------------------------------------------------------------------
  // The callbacks undici's clients call natively (docs/decisions/0035): a handler with the newer
  // `onRequestStart`/`onResponse*` methods is wrapped per request in an adapter and a controller.

  /**
   * undici is about to write the request; `abort` closes it on the wire. An attempt aborted
   * while it waited for this connection throws instead: undici then errors the request and
   * drops it unwritten, keeping the fresh socket for the next one (its `abort` would destroy
   * it, and an abort storm would pay a connect per aborted call; decision 0042).
   */
  onConnect(abort: (reason?: Error) => void): void {
    if (this.#pendingAbort !== undefined) throw this.#pendingAbort;
    this.#wireAbort = abort;
  }

  /** The response head. Returns false to pause the connection (never at this point). */
  onHeaders(
    statusCode: number,
    rawHeaders: Buffer[],
    resume: () => void,
    statusText: string,
  ): boolean {
    if (statusCode < 200) return true; // 100 Continue, 103 Early Hints: informational only
    this.statusCode = statusCode;
    this.headers = parseHeaders(rawHeaders);
    this.statusText = statusText ?? '';
    this.#wireResume = resume;
    this.#phase = Phase.Streaming;
    const sinks = this.#sinks;
    if (sinks !== undefined) {
      this.#sink = sinks.sinkFor(this);
      this.#provisional = true;
    }
    this.#settle()?.settle(succeeded(this));
    return !this.#paused;
  }

  /** A body chunk. Returns false to pause the connection (backpressure), as undici expects. */
  onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    const sink = this.#sink;
    if (sink) {
      if (!sink.onData(chunk)) this.#paused = true;
      return !this.#paused;
    }
    if (this.#discarding) {
      if (this.#bytes > MAX_DRAIN_BYTES) this.#cut();
      return true;
    }
    // Most bodies come in one chunk: kept in a field, an array only from the second on.
    if (this.#first === undefined) this.#first = chunk;
    else if (this.#more) this.#more.push(chunk);
    else this.#more = [chunk];
    if (this.#bytes > BUFFER_BEFORE_PAUSE) this.#paused = true;
    return !this.#paused;
  }

  onComplete(rawTrailers: Buffer[] | string[] | null): void {
    const trailers =
      rawTrailers === null || rawTrailers.length === 0 ? NO_HEADERS : parseHeaders(rawTrailers);
    this.trailers = trailers;
    this.#phase = Phase.Ended;
    this.#sink?.onEnd(trailers);
    this.#finish(true);
  }

  onError(error: Error): void {
    // Our own abort arrives back here as its reason: surface the call's abort error.
    this.#settle()?.settle(failedWith(this.ctx.aborted ? abortError(this.ctx) : error));
    if (this.#phase === Phase.Streaming) {
      this.#phase = Phase.Failed;
      this.#error = error;
      this.#sink?.onError(error);
    }
    this.#finish(false);
  }

  // --- cancellation ---------------------------------------------------------------------------

  /** The call's cancellation fired before the response head: reject now, cancel on the wire. */
  onAbort(): void {
    const settler = this.#settle();
    if (settler === undefined) return;
    const error = abortError(this.ctx);
    settler.settle(failedWith(error));
    this.abortWire(error);
  }

  /** Closes the request on the wire (now, or before undici writes it). */
  abortWire(error: Error): void {
    if (this.#phase === Phase.Ended || this.#phase === Phase.Failed) return;
    if (this.#wireAbort) this.#wireAbort(error);
    else if (this.#pendingAbort === undefined) this.#abortBeforeConnect(error);
  }

  /**
   * Not yet on a connection: a queued attempt the owner still has is over now; one undici holds
   * fails at its `onConnect`, and the owner counts it as held until then.
   */
  #abortBeforeConnect(error: Error): void {
    this.#pendingAbort = error;
    const owner = this.owner;
    if (owner === undefined) return;
    if (owner.abortedBeforeConnect(this)) {
      this.#dropRequestBody();
      this.onError(error);
    } else {
      this.#held = true;
    }
  }

  /**
   * A streamed request body that will never be written: destroyed, as undici's own abort does,
   * so the caller's stream is not left half-read.
   */
  #dropRequestBody(): void {
    const body = this.request.body as { destroy?: () => void; destroyed?: boolean } | null;
    if (this.request.streamed && typeof body?.destroy === 'function' && !body.destroyed) {
      body.destroy();
    }
  }

  // --- body -----------------------------------------------------------------------------------

  /** Takes the sink `BodySinks` made at the head (undefined if none): the caller reads it now. */
  claim(): BodySink | undefined {
    this.#provisional = false;
    this.#holdToDeadline();
    return this.#sink;
  }

  /** Hands the body to `sink`: buffered chunks first, then the end or error if already seen. */
  attach(sink: BodySink): void {
    this.#sink = sink;
    const first = this.#first;
    const more = this.#more;
    this.#first = undefined;
    this.#more = undefined;
    let wantMore = true;
    if (first !== undefined) wantMore = sink.onData(first);
    if (more) for (const chunk of more) wantMore = sink.onData(chunk);
    this.#holdToDeadline();
    if (this.#phase === Phase.Ended) sink.onEnd(this.trailers ?? NO_HEADERS);
    else if (this.#phase === Phase.Failed) sink.onError(this.#error!);
    else if (wantMore) this.resume();
  }

  // --- body deadline --------------------------------------------------------------------------

  /**
   * The caller took this attempt's body, or it is drained to keep its connection: until it
   * ends, the call's total deadline bounds it (decisions 0043, 0059). The chain's deadlines stop
   * at the head (a per-try timeout bounds an attempt up to its head; the total deadline's timer
   * is released when the chain settles), so the body gets the total deadline again here, on the
   * same shared timers: no timer of its own, and `#finish` unlinks it when the body ends, errors
   * or is cancelled. undici's own timers are off meanwhile, so nothing else would.
   */
  #holdToDeadline(): void {
    const deadline = this.request.bodyDeadline(this.ctx);
    if (deadline === Number.POSITIVE_INFINITY || this.deadlineBucket !== undefined) return;
    if (this.bodyDone) return;
    schedulerFor(this.ctx.clock).schedule(this, deadline);
  }

  /** @internal the total deadline passed before the body ended: TIMEOUT, and the socket closes */
  expire(): void {
    const r = this.request;
    const kind = r.deadlineKind;
    this.abortWire(new TimeoutError({ service: this.ctx.service, timeoutMs: r.deadlineMs, kind }));
  }

  /** Resumes a connection paused for backpressure. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#wireResume?.();
  }

  get bodyDone(): boolean {
    return this.#phase === Phase.Ended || this.#phase === Phase.Failed;
  }

  /**
   * Nobody will read this body (a retried attempt, a hedge loser, a null-body status): drain a
   * small one so the keep-alive connection goes back to the pool; cut a large or unknown one.
   */
  discard(): void {
    if (this.#discarding) return;
    if (this.#sink) {
      // A sink somebody reads is theirs; a provisional one is dropped unread.
      if (!this.#provisional) return;
      this.#sink = undefined;
      this.#provisional = false;
    }
    this.#discarding = true;
    this.#first = undefined;
    this.#more = undefined;
    if (this.bodyDone) return;
    // Unknown length (chunked) drains too; `onData` cuts it once past the limit.
    const length = Number(this.headers['content-length']);
    if (length > MAX_DRAIN_BYTES || this.#bytes > MAX_DRAIN_BYTES) {
      this.#cut();
      return;
    }
    // Drained for its connection's sake, and held to the call's deadline like a body read.
    this.#holdToDeadline();
    this.resume();
  }

  #cut(): void {
    this.abortWire(new Error('outrigger: response body discarded'));
  }

  /** The settler, taken (undefined once told): the head, an error or an abort tells it once. */
  #settle(): Settler<HttpAttempt> | undefined {
    const settler = this.#settler;
    if (settler === undefined) return undefined;
    this.#settler = undefined;
    this.ctx.cancellation.remove(this);
    return settler;
  }

  #finish(ended: boolean): void {
    if (this.deadlineBucket !== undefined) schedulerFor(this.ctx.clock).cancel(this);
    const held = this.#held;
    if (held) this.#dropRequestBody();
    const owner = this.owner;
    this.owner = undefined;
    owner?.attemptDone(held, ended);
  }
}
