import type { CallOptions, Metadata } from '@grpc/grpc-js';
import type { RequestInfo } from '@outrigger/core';
import type { MethodInfo } from './methods.js';
import type { RequestStream } from './request-stream.js';

/**
 * One logical gRPC call as the chain sees it: the method, the caller's metadata and options, and
 * the request, serialized once (a retry resends the same bytes). Implements `RequestInfo` itself,
 * so routes match on `path` and metadata with no extra allocation.
 */
export class GrpcRequest implements RequestInfo {
  readonly method = 'POST';
  readonly info: MethodInfo;
  /** The caller's metadata; attempts never mutate it. */
  readonly metadata: Metadata | undefined;
  /** The caller's call options other than `deadline` (credentials, parent, ...). */
  readonly options: CallOptions | undefined;
  /** Unary and server-streaming calls: the request message's bytes. */
  readonly message: Buffer | undefined;
  /** Client-streaming and bidi calls: what the caller writes, kept for replay while it fits. */
  readonly stream: RequestStream | undefined;
  /**
   * The call's total deadline (the chain's `clock` scale), which every attempt sends on the wire
   * as its grpc deadline; a per-try timeout cuts an attempt sooner from our side.
   */
  deadline = Number.POSITIVE_INFINITY;
  /** No attempt may start again: a response message reached the caller, or replay was lost. */
  committed = false;

  constructor(
    info: MethodInfo,
    metadata: Metadata | undefined,
    options: CallOptions | undefined,
    message: Buffer | undefined,
    stream: RequestStream | undefined,
  ) {
    this.info = info;
    this.metadata = metadata;
    this.options = options;
    this.message = message;
    this.stream = stream;
    if (stream) stream.owner = this;
  }

  get path(): string {
    return this.info.path;
  }

  header(name: string): string | undefined {
    const values = this.metadata?.get(name.toLowerCase());
    if (values === undefined || values.length === 0) return undefined;
    return values.map((v) => (typeof v === 'string' ? v : v.toString('base64'))).join(', ');
  }
}
