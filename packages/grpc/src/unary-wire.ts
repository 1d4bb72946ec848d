import type {
  CallOptions,
  Client,
  Deadline,
  Metadata,
  ServiceError,
  StatusObject,
} from '@grpc/grpc-js';
import { fromStatus } from './service-error.js';
import { GrpcStatus } from './status.js';

/** What a unary wire call reports to (the attempt). */
export interface UnaryWireListener {
  wireMetadata(metadata: Metadata): void;
  /** The call ended: the response (OK) or the error, and the status. */
  wireEnded(error: ServiceError | undefined, value: unknown, status: StatusObject): void;
}

/** grpc-js's channel-level call (`Channel.createCall`), as much of it as a unary call uses. */
interface ChannelCall {
  start(metadata: Metadata, listener: UnaryWireCall): void;
  sendMessageWithContext(context: object, message: Buffer): void;
  halfClose(): void;
  startRead(): void;
  cancelWithStatus(status: number, details: string): void;
  getPeer(): string;
}

const NO_CONTEXT = Object.freeze({});

/**
 * Call options a unary attempt can take to the channel directly. Interceptors and per-call
 * credentials live in grpc-js's client layer, so a call that names them goes through
 * `makeUnaryRequest` instead.
 */
export function suitsTheChannel(options: CallOptions | undefined): boolean {
  return (
    options === undefined ||
    (options.interceptors === undefined &&
      options.interceptor_providers === undefined &&
      options.credentials === undefined)
  );
}

/**
 * A unary call on grpc-js's channel, below its client layer: the same wire call
 * `makeUnaryRequest` makes, without its per-call emitter, listener closures, interceptor
 * wrappers and caller-stack capture, which Outrigger's attempt does not need. The request is already serialized; the response is deserialized here,
 * and a reply that will not parse ends the call with INTERNAL, as grpc-js does.
 */
export class UnaryWireCall {
  readonly #listener: UnaryWireListener;
  readonly #deserialize: (bytes: Buffer) => unknown;
  readonly #call: ChannelCall;
  #value: unknown;
  #received = false;
  #ended = false;

  constructor(
    client: Client,
    path: string,
    deadline: Deadline,
    options: CallOptions | undefined,
    deserialize: (bytes: Buffer) => unknown,
    listener: UnaryWireListener,
  ) {
    this.#listener = listener;
    this.#deserialize = deserialize;
    this.#call = client
      .getChannel()
      .createCall(
        path,
        deadline,
        options?.host,
        options?.parent ?? null,
        options?.propagate_flags,
      ) as unknown as ChannelCall;
  }

  send(metadata: Metadata, message: Buffer): void {
    const call = this.#call;
    call.start(metadata, this);
    call.startRead();
    call.sendMessageWithContext(NO_CONTEXT, message);
    call.halfClose();
  }

  cancel(): void {
    if (!this.#ended) this.#call.cancelWithStatus(GrpcStatus.CANCELLED, 'Cancelled on client');
  }

  getPeer(): string {
    return this.#call.getPeer();
  }

  onReceiveMetadata(metadata: Metadata): void {
    this.#listener.wireMetadata(metadata);
  }

  onReceiveMessage(bytes: Buffer): void {
    if (this.#received) {
      this.#call.cancelWithStatus(GrpcStatus.UNIMPLEMENTED, 'Too many responses received');
      return;
    }
    this.#received = true;
    try {
      this.#value = this.#deserialize(bytes);
    } catch (error) {
      this.#call.cancelWithStatus(
        GrpcStatus.INTERNAL,
        `Response message parsing error: ${(error as Error).message}`,
      );
    }
  }

  onReceiveStatus(status: StatusObject): void {
    if (this.#ended) return;
    this.#ended = true;
    if (status.code !== GrpcStatus.OK) {
      this.#listener.wireEnded(fromStatus(status), undefined, status);
    } else if (!this.#received) {
      const missing = {
        code: GrpcStatus.UNIMPLEMENTED,
        details: 'No message received',
        metadata: status.metadata,
      };
      this.#listener.wireEnded(fromStatus(missing), undefined, status);
    } else {
      this.#listener.wireEnded(undefined, this.#value, status);
    }
  }
}
