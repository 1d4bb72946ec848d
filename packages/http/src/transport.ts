import { abortError, type CallContext, OutriggerError, type Service } from '@outrigger/core';
import {
  type DirectService,
  directService,
  failedWith,
  honoursCancellation,
  noEndpointPicked,
  noteEndpoint,
} from '@outrigger/core/internal';
import type { Dispatcher } from 'undici';
import { type BodySinks, HttpAttempt } from './attempt.js';
import type { TransportSettings } from './options.js';
import type { OutboundRequest } from './outbound.js';
import type { EndpointDispatcher } from './pools.js';
import { attemptHeaders } from './propagation.js';

/** undici's header and body timers tick in ~1 s steps: whole seconds keep its timer reused. */
const TIMER_STEP_MS = 1_000;

/**
 * The innermost service: sends one attempt to `ctx.endpoint` through undici's dispatcher
 * handler API and settles at the response head with the attempt itself (the outcome the
 * classifier judges; its body follows). Its direct form hands the attempt its caller's settler. Cancellation registers the attempt as a listener on
 * `ctx.cancellation`, so an expired deadline or a caller's abort calls the abort undici handed
 * the attempt and the server sees the request closed, with no AbortSignal made for it.
 */
export function httpTransport(
  dispatcher: EndpointDispatcher,
  settings: TransportSettings,
  sinks?: BodySinks,
): Service<OutboundRequest, HttpAttempt> {
  const deadlineHeader = settings.deadlineHeader;
  // An abort rejects the attempt at once (`HttpAttempt.onAbort`), so deadlines need not race it.
  const send: DirectService<OutboundRequest, HttpAttempt> = (req, ctx, settler) => {
    if (ctx.aborted) return settler.settle(failedWith(abortError(ctx)));
    const endpoint = ctx.endpoint;
    if (endpoint === undefined) return settler.settle(failedWith(noEndpointPicked(ctx)));
    if (req.streamed) {
      if (req.bodyTaken) return settler.settle(failedWith(new BodyReplayError(ctx.service)));
      req.bodyTaken = true;
    }
    // One clock read per attempt (~60 ns), shared by the deadline header and undici's timers.
    const remaining =
      ctx.deadline === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : ctx.remainingMs();
    const attempt = new HttpAttempt(ctx, req, settler, req.bodyAtHead ? sinks : undefined);
    attempt.listen();
    try {
      noteEndpoint(ctx);
      const options = dispatchOptions(req, ctx, remaining, deadlineHeader);
      dispatcher.dispatch(endpoint, options, attempt);
    } catch (error) {
      // What throws before undici has the request (a propagator, a pool that cannot be made)
      // fails the attempt as a wire error would, and takes it off the cancellation.
      attempt.onError(error as Error);
    }
  };
  return honoursCancellation(directService(send));
}

function dispatchOptions(
  req: OutboundRequest,
  ctx: CallContext,
  remaining: number,
  deadlineHeader: string | undefined,
): Dispatcher.DispatchOptions {
  // When the client's own timers watch the call (`req.timed`), undici's are off (0): they could
  // only fire after ours, and each request would pay for them, a coarse timer made and cleared
  // per request (decision 0059). Otherwise a deadline the chain does not enforce (an inbound
  // one with timeouts off) gets backstops for the head and the body, rounded up and a step
  // late; no deadline leaves undici's defaults (null).
  const timer = req.timed ? 0 : backstop(remaining);
  // Every field in one literal: one object shape, no properties added after creation.
  return {
    path: req.target,
    method: req.method as Dispatcher.HttpMethod,
    headers: attemptHeaders(req.headers, remaining, deadlineHeader, ctx) as string[],
    body: req.body as string | Buffer | null,
    headersTimeout: timer,
    bodyTimeout: timer,
  };
}

function backstop(remaining: number): number | null {
  if (!(remaining < Number.POSITIVE_INFINITY)) return null;
  return Math.ceil(Math.max(0, remaining) / TIMER_STEP_MS + 1) * TIMER_STEP_MS;
}

/**
 * A streamed body was already sent once and cannot be sent again. The facade marks such calls
 * `retry: false`; this is the guard should any policy try anyway.
 */
export class BodyReplayError extends Error {
  readonly code = 'OUTRIGGER_BODY_NOT_REPLAYABLE';
  constructor(service: string) {
    super(
      `${service}: the streamed request body was already sent and is too long to replay ` +
        '(raise maxReplayBytes to make such calls retryable)',
    );
    this.name = 'BodyReplayError';
  }
}

/** True for Outrigger's own refusals (circuit open, bulkhead full, ...), as opposed to the wire. */
export function isRefusal(error: unknown): error is OutriggerError {
  return error instanceof OutriggerError;
}
