import { abortError, type Service } from '@outrigger/core';
import {
  type DirectService,
  directService,
  failedWith,
  honoursCancellation,
  noEndpointPicked,
} from '@outrigger/core/internal';
import { GrpcAttempt } from './attempt.js';
import type { EndpointChannels } from './channels.js';
import type { GrpcRequest } from './request.js';

/**
 * The innermost service: one attempt on `ctx.endpoint`'s channel, settled with the attempt
 * itself (the outcome the classifier judges; a streaming response follows it). Cancellation
 * reaches the wire through the attempt, which listens on `ctx.cancellation` until it settles.
 */
export function grpcTransport(channels: EndpointChannels): Service<GrpcRequest, GrpcAttempt> {
  const send: DirectService<GrpcRequest, GrpcAttempt> = (req, ctx, settler) => {
    if (ctx.aborted) return settler.settle(failedWith(abortError(ctx)));
    const endpoint = ctx.endpoint;
    if (endpoint === undefined) return settler.settle(failedWith(noEndpointPicked(ctx)));
    if (req.committed) return settler.settle(failedWith(new ReplayLostError(ctx.service)));
    new GrpcAttempt(ctx, req, settler, channels, endpoint).start();
  };
  return honoursCancellation(directService(send));
}

/**
 * The call is committed to an earlier attempt (a response message reached the caller, or the
 * request stream outgrew `maxReplayBytes`) and cannot be sent again. The classifier never
 * retries such a call; this is the guard should a hedge try anyway.
 */
export class ReplayLostError extends Error {
  readonly code = 'OUTRIGGER_CALL_COMMITTED';
  constructor(service: string) {
    super(
      `${service}: the call is committed to an earlier attempt (a response message was delivered, ` +
        'or the request stream outgrew maxReplayBytes) and cannot be sent again',
    );
    this.name = 'ReplayLostError';
  }
}
