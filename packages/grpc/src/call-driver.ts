import type { CallOptions, ServiceError } from '@grpc/grpc-js';
import type { CallContext } from '@outrigger/core';
import type { Outcome, Settler } from '@outrigger/core/internal';
import type { GrpcAttempt } from './attempt.js';
import type { GrpcClientCore } from './client-core.js';
import type { GrpcRequest } from './request.js';
import { cancelledError, toServiceError } from './service-error.js';

/** What a caller-facing call object does with the chain's outcome. */
export interface CallSurface {
  /** An attempt won: the call is committed to it. */
  committed(attempt: GrpcAttempt): void;
  /** The call failed before any attempt won (a status, a refusal, a cancel). */
  failed(error: ServiceError): void;
}

/**
 * The part of every caller-facing call object that talks to the chain: it starts the call,
 * turns the outcome into the surface's events (never before the caller had the object back:
 * grpc-js reports even a refusal on a later tick), keeps `cancel()` and `getPeer()` working
 * before and after commit, and tells the core when the call has ended.
 */
export class CallDriver implements Settler<GrpcAttempt> {
  readonly #core: GrpcClientCore;
  readonly #surface: CallSurface;
  #ctx: CallContext | undefined;
  #attempt: GrpcAttempt | undefined;
  #starting = false;
  #settled = false;
  #ended = false;
  /** Why the caller ended the call themselves (`cancel()`, a message that would not serialize). */
  #override: ServiceError | undefined;

  constructor(core: GrpcClientCore, surface: CallSurface) {
    this.#core = core;
    this.#surface = surface;
  }

  /** Starts the call, or fails it on the next tick with `refusal` (a message that would not serialize). */
  start(req: GrpcRequest, options: CallOptions | undefined, refusal?: ServiceError): void {
    if (refusal !== undefined) {
      this.#settled = true;
      this.#ended = true;
      process.nextTick(() => this.#surface.failed(refusal));
      return;
    }
    this.#starting = true;
    try {
      this.#ctx = this.#core.start(req, this, options?.deadline);
    } finally {
      this.#starting = false;
    }
  }

  settle(outcome: Outcome<GrpcAttempt>): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#starting) process.nextTick(() => this.#deliver(outcome));
    else this.#deliver(outcome);
  }

  #deliver(outcome: Outcome<GrpcAttempt>): void {
    if (outcome.ok && this.#override === undefined) {
      this.#attempt = outcome.value;
      this.#surface.committed(outcome.value);
      return;
    }
    if (outcome.ok) outcome.value.cancel();
    this.end();
    this.#surface.failed(this.#override ?? toServiceError(outcome.ok ? undefined : outcome.error));
  }

  /** The call's status has gone to the caller: it no longer counts as in flight. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#core.finished();
  }

  /**
   * Ends the call from the caller's side: before commit through the chain (every policy sees
   * the cancellation, the attempt on the wire is cancelled), after it on the winning attempt.
   */
  cancel(error: ServiceError = cancelledError()): void {
    if (this.#ended || this.#override !== undefined) return;
    this.#override = error;
    if (this.#attempt !== undefined) this.#attempt.cancel();
    else this.#ctx?.cancellation.abort(error);
  }

  /** The error the caller ended the call with, if they did. */
  get override(): ServiceError | undefined {
    return this.#override;
  }

  getPeer(): string {
    return this.#attempt?.getPeer() ?? 'unknown';
  }
}
