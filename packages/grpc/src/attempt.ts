import type {
  CallOptions,
  Client,
  ClientDuplexStream,
  ClientReadableStream,
  ClientUnaryCall,
  ClientWritableStream,
  ServiceError,
  StatusObject,
} from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import type { AbortListener, CallContext, Endpoint } from '@outrigger/core';
import { abortError } from '@outrigger/core';
import { failedWith, noteEndpoint, type Settler, succeeded } from '@outrigger/core/internal';
import type { EndpointChannels } from './channels.js';
import { attemptMetadata } from './metadata-propagation.js';
import type { GrpcRequest } from './request.js';
import { fromStatus } from './service-error.js';
import { GrpcStatus } from './status.js';
import { suitsTheChannel, UnaryWireCall, type UnaryWireListener } from './unary-wire.js';
import { wireDeadline } from './wire-deadline.js';

/** What a committed streaming attempt hands its messages and its end to (the caller's stream). */
export interface ResponseReceiver {
  /** One response message; false asks the attempt to pause until `resume()`. */
  message(value: unknown): boolean;
  /** The call ended; a non-OK status comes with its error. */
  responsesEnded(status: StatusObject, error: ServiceError | undefined): void;
}

type SurfaceCall =
  | ClientUnaryCall
  | ClientReadableStream<unknown>
  | ClientWritableStream<Buffer>
  | UnaryWireCall;

const identity = (bytes: Buffer): Buffer => bytes;
const ignore = (): void => {};

/**
 * One attempt of a gRPC call on one endpoint's channel: the transport's outcome, settled once.
 * Unary and client-streaming attempts settle at their status (the response and the status come
 * together). Streaming-response attempts settle at the first response message, which commits the
 * call (gRFC A6: once the caller has seen a message, it is never retried), or at a status that
 * comes first. Until it settles the attempt listens on the context's cancellation (a deadline,
 * a hedge's loss, the caller's `cancel()`), which cancels the call on the wire.
 */
export class GrpcAttempt implements AbortListener, UnaryWireListener {
  readonly ctx: CallContext;
  readonly request: GrpcRequest;
  readonly endpoint: Endpoint;
  #settler: Settler<GrpcAttempt> | undefined;
  readonly #channels: EndpointChannels;
  #call: SurfaceCall | undefined;
  /** The response headers, once they came. */
  metadata: Metadata | undefined;
  /** The final status, once it came. */
  status: StatusObject | undefined;
  /** Unary and client-streaming: the response message. */
  value: unknown;
  #error: ServiceError | undefined;
  /** Response messages that came before a receiver took the stream. */
  #early: unknown[] | undefined;
  #receiver: ResponseReceiver | undefined;
  #ended = false;
  /** The response stream gave its last message ('end'). */
  #drained = false;

  constructor(
    ctx: CallContext,
    request: GrpcRequest,
    settler: Settler<GrpcAttempt>,
    channels: EndpointChannels,
    endpoint: Endpoint,
  ) {
    this.ctx = ctx;
    this.request = request;
    this.#settler = settler;
    this.#channels = channels;
    this.endpoint = endpoint;
  }

  /** Starts the call on the endpoint's channel. */
  start(): void {
    const req = this.request;
    const info = req.info;
    const ctx = this.ctx;
    let client: Client;
    try {
      client = this.#channels.acquire(this.endpoint);
    } catch (error) {
      // The channels are closed (the client closed under a late retry): nothing was sent.
      this.#settle(false, error);
      return;
    }
    // The wire carries the call's total deadline, not a per-try one: the per-try timer cuts the
    // attempt first with a retryable TIMEOUT, where grpc-js's own DEADLINE_EXCEEDED (a failure,
    // never retried) could win the race; and a committed stream is held to the total deadline.
    const deadline = wireDeadline(
      req.deadline < Number.POSITIVE_INFINITY ? req.deadline : ctx.deadline,
      ctx,
    );
    const metadata = attemptMetadata(req.metadata, ctx) ?? new Metadata();
    noteEndpoint(ctx);
    ctx.cancellation.add(this);
    let call: SurfaceCall;
    // grpc-js captures the caller's stack for every call (`new Error()`), to append to a failed
    // call's error. Here that stack is Outrigger's own frames, never the caller's, and capturing
    // it through the chain's optimized, inlined frames cost ~15-35 µs a call on this machine:
    // it is switched off for the synchronous creation of the call only.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      switch (info.kind) {
        case 'unary':
          if (suitsTheChannel(req.options)) {
            const wire = new UnaryWireCall(
              client,
              info.path,
              deadline,
              req.options,
              info.deserialize,
              this,
            );
            this.#call = wire;
            wire.send(metadata, req.message!);
            return;
          }
          call = client.makeUnaryRequest(
            info.path,
            identity,
            info.deserialize,
            req.message!,
            metadata,
            callOptions(req.options, deadline),
            (error, value) => this.#answer(error ?? undefined, value),
          );
          break;
        case 'clientStream': {
          const writable = client.makeClientStreamRequest(
            info.path,
            identity,
            info.deserialize,
            metadata,
            callOptions(req.options, deadline),
            (error, value) => this.#answer(error ?? undefined, value),
          );
          call = writable;
          req.stream!.attach(writable);
          break;
        }
        case 'serverStream':
          call = client.makeServerStreamRequest(
            info.path,
            identity,
            info.deserialize,
            req.message!,
            metadata,
            callOptions(req.options, deadline),
          );
          this.#listenForMessages(call as ClientReadableStream<unknown>);
          break;
        default: {
          const duplex = client.makeBidiStreamRequest(
            info.path,
            identity,
            info.deserialize,
            metadata,
            callOptions(req.options, deadline),
          );
          call = duplex;
          this.#listenForMessages(duplex);
          req.stream!.attach(duplex as unknown as ClientDuplexStream<Buffer, unknown>);
        }
      }
    } catch (error) {
      // grpc-js refused the call before it existed (a closed channel): nothing was sent.
      Error.stackTraceLimit = stackTraceLimit;
      this.#channels.release(this.endpoint);
      this.#settle(false, error);
      return;
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.#call = call;
    call.on('metadata', (metadata: Metadata) => {
      this.metadata = metadata;
    });
    call.on('status', (status: StatusObject) => this.#onStatus(status));
  }

  /** The peer address grpc-js reports, or the endpoint before the call has one. */
  getPeer(): string {
    return this.#call?.getPeer() ?? `${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** A committed streaming attempt hands its messages to `receiver` from now on. */
  receive(receiver: ResponseReceiver): void {
    this.#receiver = receiver;
    const early = this.#early;
    this.#early = undefined;
    let flowing = true;
    if (early) for (const value of early) flowing = receiver.message(value) && flowing;
    if (flowing) (this.#call as ClientReadableStream<unknown>).resume();
    this.#finish();
  }

  /** The receiver has room again. */
  resume(): void {
    if (!this.#ended) (this.#call as ClientReadableStream<unknown> | undefined)?.resume();
  }

  /** Cancels the call on the wire (the caller's `cancel()` after commit, a hedge's loser). */
  cancel(): void {
    if (!this.#ended) this.#call?.cancel();
  }

  /** Nobody will see this outcome (a hedge's loser, a retried attempt): end it. */
  discard(): void {
    this.cancel();
  }

  /** The call is committed to this attempt: other attempts' claims on the request go. */
  commit(): void {
    this.request.committed = true;
    const stream = this.request.stream;
    if (stream !== undefined && this.#call !== undefined)
      stream.commitTo(this.#call as ClientWritableStream<Buffer>);
  }

  onAbort(): void {
    if (this.#settler === undefined) return;
    this.#call?.cancel();
    this.#settle(false, abortError(this.ctx));
  }

  #listenForMessages(call: ClientReadableStream<unknown>): void {
    call.on('data', (value: unknown) => this.#onMessage(call, value));
    // grpc-js emits the status as soon as it arrives, while messages may still wait in the
    // paused stream: the receiver hears of the end only once they are through ('end').
    call.on('end', () => {
      this.#drained = true;
      this.#finish();
    });
    // Errors come again as the status; this listener only keeps the stream from throwing.
    call.on('error', ignore);
  }

  /** Tells the receiver the call ended, once the status came and every message went through. */
  #finish(): void {
    const receiver = this.#receiver;
    if (receiver === undefined || this.status === undefined || !this.#drained) return;
    this.#receiver = undefined;
    receiver.responsesEnded(this.status, this.#error);
  }

  #onMessage(call: ClientReadableStream<unknown>, value: unknown): void {
    const receiver = this.#receiver;
    if (receiver !== undefined) {
      if (!receiver.message(value)) call.pause();
      return;
    }
    // Until a receiver takes the stream, messages wait here with the stream paused.
    if (this.#early === undefined) this.#early = [value];
    else this.#early.push(value);
    call.pause();
    if (this.#settler !== undefined) {
      this.commit();
      this.#settle(true, undefined);
    }
  }

  wireMetadata(metadata: Metadata): void {
    this.metadata = metadata;
  }

  wireEnded(error: ServiceError | undefined, value: unknown, status: StatusObject): void {
    this.#answer(error, value);
    this.#onStatus(status);
  }

  #answer(error: ServiceError | undefined, value: unknown): void {
    this.#error = error;
    this.value = value;
  }

  #onStatus(status: StatusObject): void {
    if (this.#ended) return;
    this.#ended = true;
    this.status = status;
    this.#channels.release(this.endpoint);
    this.request.stream?.detach(this.#call as ClientWritableStream<Buffer>);
    const error = this.#error ?? (status.code === GrpcStatus.OK ? undefined : fromStatus(status));
    this.#error = error;
    if (this.#settler !== undefined) {
      if (error === undefined) this.commit();
      this.#settle(error === undefined, error);
      return;
    }
    this.#finish();
  }

  #settle(ok: boolean, error: unknown): void {
    const settler = this.#settler;
    if (settler === undefined) return;
    this.#settler = undefined;
    this.ctx.cancellation.remove(this);
    settler.settle(ok ? succeeded(this) : failedWith(error));
  }
}

/** The caller's call options with the attempt's deadline, for grpc-js's client layer. */
function callOptions(options: CallOptions | undefined, deadline: number): CallOptions {
  return options === undefined ? { deadline } : { ...options, deadline };
}
