import {
  ReadableStream,
  type ReadableStreamDefaultController,
  type UnderlyingSource,
} from 'node:stream/web';
import { type AbortListener, type Cancellation, isOutriggerError } from '@outrigger/core';
import type { BodySink, HttpAttempt } from './attempt.js';

/** Bytes a response body stream holds before the connection is paused (as undici's fetch). */
const HIGH_WATER_MARK = 64 * 1024;
const byteLength = (chunk: Uint8Array) => chunk.byteLength;

/**
 * The source of a `fetch()` response body: a web ReadableStream fed by the attempt, with
 * backpressure (the connection pauses while the stream is full) and cancellation both ways:
 * `body.cancel()` closes the request on the wire, and a caller's signal that fires while the
 * body is still coming errors the stream with the signal's reason, as WHATWG fetch does.
 */
export class FetchBodySource implements UnderlyingSource<Uint8Array>, BodySink, AbortListener {
  readonly #attempt: HttpAttempt;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #cancellation: Cancellation | undefined;
  #abortReason: unknown;
  /** Cancelled by the reader: the stream is closed, so late events are dropped. */
  #cancelled = false;

  constructor(attempt: HttpAttempt, cancellation: Cancellation | undefined) {
    this.#attempt = attempt;
    this.#cancellation = cancellation;
  }

  /** Builds the stream; its `start` attaches to the attempt at once. */
  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(this, {
      highWaterMark: HIGH_WATER_MARK,
      size: byteLength,
    });
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
    this.#cancellation?.add(this);
    this.#attempt.attach(this);
  }

  pull(): void {
    this.#attempt.resume();
  }

  cancel(): void {
    this.#cancelled = true;
    this.#release();
    this.#attempt.abortWire(new Error('outrigger: response body cancelled'));
  }

  onData(chunk: Buffer): boolean {
    if (this.#cancelled) return true;
    const controller = this.#controller!;
    // A plain Uint8Array view, as WHATWG streams hand out; no copy.
    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    return (controller.desiredSize ?? 0) > 0;
  }

  onEnd(): void {
    if (this.#cancelled) return;
    this.#release();
    this.#controller!.close();
  }

  onError(error: Error): void {
    if (this.#cancelled) return;
    this.#release();
    // As undici's fetch: a body the network cut fails with TypeError('terminated'), the socket
    // error as cause; Outrigger's own refusals (the body deadline's TIMEOUT) stay as they are.
    const reason = isOutriggerError(error) ? error : new TypeError('terminated', { cause: error });
    this.#controller!.error(this.#abortReason ?? reason);
  }

  /** The caller's signal fired while the body was still coming. */
  onAbort(reason: unknown): void {
    this.#abortReason = reason;
    this.#attempt.abortWire(reason instanceof Error ? reason : new Error(String(reason)));
  }

  #release(): void {
    this.#cancellation?.dispose();
    this.#cancellation = undefined;
  }
}
