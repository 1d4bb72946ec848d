import { EventEmitter } from 'node:events';
import { Duplex, Readable, Writable } from 'node:stream';
import { type CallOptions, Metadata, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import type { Callback } from './arguments.js';
import type { GrpcAttempt, ResponseReceiver } from './attempt.js';
import { CallDriver, type CallSurface } from './call-driver.js';
import type { GrpcClientCore } from './client-core.js';
import type { MethodInfo } from './methods.js';
import { GrpcRequest } from './request.js';
import { RequestStream } from './request-stream.js';
import { fromStatus, statusOf, toServiceError } from './service-error.js';
import { GrpcStatus } from './status.js';

/*
 * The objects a generated client's methods return, with grpc-js's shapes and event order: a
 * unary call emits `metadata`, calls back, then emits `status`; a response stream pushes its
 * messages, ends, and emits `error` (non-OK) and `status`. The events come from the attempt the
 * call committed to; attempts that lost (retried, hedged) are never seen.
 */

/** Unary: `client.SayHello(req, md?, opts?, cb)`. */
export class UnaryCall extends EventEmitter implements CallSurface {
  readonly #driver: CallDriver;
  readonly #callback: Callback;

  constructor(
    core: GrpcClientCore,
    info: MethodInfo,
    message: Buffer | ServiceError,
    metadata: Metadata | undefined,
    options: CallOptions | undefined,
    callback: Callback,
  ) {
    super();
    this.#callback = callback;
    this.#driver = startDriver(core, this, info, message, metadata, options);
  }

  committed(attempt: GrpcAttempt): void {
    this.#driver.end();
    this.emit('metadata', attempt.metadata ?? new Metadata());
    this.#callback(null, attempt.value);
    this.emit('status', attempt.status);
  }

  failed(error: ServiceError): void {
    this.#callback(error);
    this.emit('status', statusOf(error));
  }

  cancel(): void {
    this.#driver.cancel();
  }

  getPeer(): string {
    return this.#driver.getPeer();
  }

  getAuthContext(): null {
    return null;
  }
}

/** A promise for a unary call's response: `client.unary.SayHello(req, md?, opts?)`. */
export class UnaryPromise implements CallSurface {
  readonly #driver: CallDriver;
  readonly #resolve: (value: unknown) => void;
  readonly #reject: (error: unknown) => void;

  constructor(
    core: GrpcClientCore,
    info: MethodInfo,
    message: Buffer | ServiceError,
    metadata: Metadata | undefined,
    options: CallOptions | undefined,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#driver = startDriver(core, this, info, message, metadata, options);
  }

  committed(attempt: GrpcAttempt): void {
    this.#driver.end();
    this.#resolve(attempt.value);
  }

  failed(error: ServiceError): void {
    this.#reject(error);
  }
}

/** Server-streaming: `client.ListThings(req, md?, opts?)`, a readable of responses. */
export class ServerStreamCall extends Readable implements CallSurface, ResponseReceiver {
  readonly #driver: CallDriver;
  #attempt: GrpcAttempt | undefined;

  constructor(
    core: GrpcClientCore,
    info: MethodInfo,
    message: Buffer | ServiceError,
    metadata: Metadata | undefined,
    options: CallOptions | undefined,
  ) {
    super({ objectMode: true });
    this.#driver = startDriver(core, this, info, message, metadata, options);
  }

  committed(attempt: GrpcAttempt): void {
    this.#attempt = attempt;
    this.emit('metadata', attempt.metadata ?? new Metadata());
    attempt.receive(this);
  }

  message(value: unknown): boolean {
    return this.push(value);
  }

  responsesEnded(status: StatusObject, error: ServiceError | undefined): void {
    this.#driver.end();
    endResponses(this, status, error ?? this.#driver.override);
  }

  failed(error: ServiceError): void {
    endResponses(this, statusOf(error), error);
  }

  override _read(): void {
    this.#attempt?.resume();
  }

  cancel(): void {
    this.#driver.cancel();
  }

  getPeer(): string {
    return this.#driver.getPeer();
  }

  getAuthContext(): null {
    return null;
  }
}

/** Client-streaming: `client.Upload(md?, opts?, cb)`, a writable of requests. */
export class ClientStreamCall extends Writable implements CallSurface {
  readonly #driver: CallDriver;
  readonly #callback: Callback;
  readonly #stream: RequestStream;
  readonly #info: MethodInfo;

  constructor(
    core: GrpcClientCore,
    info: MethodInfo,
    metadata: Metadata | undefined,
    options: CallOptions | undefined,
    callback: Callback,
  ) {
    super({ objectMode: true });
    this.#info = info;
    this.#callback = callback;
    this.#stream = new RequestStream(core.settings.maxReplayBytes);
    this.#driver = new CallDriver(core, this);
    this.#driver.start(new GrpcRequest(info, metadata, options, undefined, this.#stream), options);
  }

  override _write(message: unknown, _encoding: string, done: (error?: Error | null) => void): void {
    writeRequest(this.#info, this.#stream, this.#driver, message, done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#stream.end();
    done();
  }

  committed(attempt: GrpcAttempt): void {
    this.#driver.end();
    this.emit('metadata', attempt.metadata ?? new Metadata());
    this.#callback(null, attempt.value);
    this.emit('status', attempt.status);
  }

  failed(error: ServiceError): void {
    this.#stream.fail();
    this.#callback(error);
    this.emit('status', statusOf(error));
  }

  cancel(): void {
    this.#driver.cancel();
  }

  getPeer(): string {
    return this.#driver.getPeer();
  }

  getAuthContext(): null {
    return null;
  }
}

/** Bidi: `client.Chat(md?, opts?)`, a duplex of requests in and responses out. */
export class BidiStreamCall extends Duplex implements CallSurface, ResponseReceiver {
  readonly #driver: CallDriver;
  readonly #stream: RequestStream;
  readonly #info: MethodInfo;
  #attempt: GrpcAttempt | undefined;

  constructor(
    core: GrpcClientCore,
    info: MethodInfo,
    metadata: Metadata | undefined,
    options: CallOptions | undefined,
  ) {
    super({ objectMode: true, allowHalfOpen: true });
    this.#info = info;
    this.#stream = new RequestStream(core.settings.maxReplayBytes);
    this.#driver = new CallDriver(core, this);
    this.#driver.start(new GrpcRequest(info, metadata, options, undefined, this.#stream), options);
  }

  override _write(message: unknown, _encoding: string, done: (error?: Error | null) => void): void {
    writeRequest(this.#info, this.#stream, this.#driver, message, done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#stream.end();
    done();
  }

  override _read(): void {
    this.#attempt?.resume();
  }

  committed(attempt: GrpcAttempt): void {
    this.#attempt = attempt;
    this.emit('metadata', attempt.metadata ?? new Metadata());
    attempt.receive(this);
  }

  message(value: unknown): boolean {
    return this.push(value);
  }

  responsesEnded(status: StatusObject, error: ServiceError | undefined): void {
    this.#driver.end();
    const failure = error ?? this.#driver.override;
    if (failure !== undefined) this.#stream.fail();
    endResponses(this, status, failure);
  }

  failed(error: ServiceError): void {
    this.#stream.fail();
    endResponses(this, statusOf(error), error);
  }

  cancel(): void {
    this.#driver.cancel();
  }

  getPeer(): string {
    return this.#driver.getPeer();
  }

  getAuthContext(): null {
    return null;
  }
}

/** A request message's bytes, or as grpc-js the INTERNAL status a message that will not serialize gets. */
export function serializeRequest(info: MethodInfo, message: unknown): Buffer | ServiceError {
  try {
    return info.serialize(message);
  } catch (error) {
    const failure = toServiceError(
      new Error('Request message serialization failure', { cause: error }),
    );
    failure.code = GrpcStatus.INTERNAL;
    return failure;
  }
}

/** A single-request call's driver, started (or failed at once when its message would not serialize). */
function startDriver(
  core: GrpcClientCore,
  surface: CallSurface,
  info: MethodInfo,
  message: Buffer | ServiceError,
  metadata: Metadata | undefined,
  options: CallOptions | undefined,
): CallDriver {
  const driver = new CallDriver(core, surface);
  if (!(message instanceof Error)) {
    driver.start(new GrpcRequest(info, metadata, options, message, undefined), options);
  } else {
    driver.start(new GrpcRequest(info, metadata, options, undefined, undefined), options, message);
  }
  return driver;
}

/** Serializes one request message once; the bytes go to every attempt (and replays). */
function writeRequest(
  info: MethodInfo,
  stream: RequestStream,
  driver: CallDriver,
  message: unknown,
  done: (error?: Error | null) => void,
): void {
  const bytes = serializeRequest(info, message);
  if (bytes instanceof Error) {
    driver.cancel(bytes);
    done();
    return;
  }
  stream.write(bytes, done);
}

/** grpc-js's order for the end of a response stream: end of data, then `error` if any, `status`. */
function endResponses(
  stream: Readable,
  status: StatusObject,
  error: ServiceError | undefined,
): void {
  stream.push(null);
  if (status.code !== GrpcStatus.OK) stream.emit('error', error ?? fromStatus(status));
  stream.emit('status', status);
}
