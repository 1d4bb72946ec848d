import {
  abortError,
  type CallContext,
  NoEndpointsError,
  OutriggerError,
  type Service,
} from '@outrigger/core';
import type { Dispatcher } from 'undici';
import { HttpAttempt } from './attempt.js';
import type { TransportSettings } from './options.js';
import type { OutboundRequest } from './outbound.js';
import type { EndpointDispatcher } from './pools.js';
import { attemptHeaders } from './propagation.js';

/** undici's header and body timers tick in ~1 s steps: whole seconds keep its timer reused. */
const TIMER_STEP_MS = 1_000;

/**
 * The innermost service: sends one attempt to `ctx.endpoint` through undici's dispatcher
 * handler API and resolves at the response head with the attempt itself (the outcome the
 * classifier judges; its body follows). Cancellation registers the attempt as a listener on
 * `ctx.cancellation`, so an expired deadline or a caller's abort calls undici's controller
 * and the server sees the request closed, with no AbortSignal made for it.
 */
export function httpTransport(
  dispatcher: EndpointDispatcher,
  settings: TransportSettings,
): Service<OutboundRequest, HttpAttempt> {
  const deadlineHeader = settings.deadlineHeader;
  return (req, ctx) => {
    if (ctx.aborted) return Promise.reject(abortError(ctx));
    const endpoint = ctx.endpoint;
    if (endpoint === undefined) {
      return Promise.reject(
        new NoEndpointsError({
          service: ctx.service,
          reason:
            'the attempt reached the transport without an endpoint (no balancer in the chain?)',
        }),
      );
    }
    if (req.streamed) {
      if (req.bodyTaken) return Promise.reject(new BodyReplayError(ctx.service));
      req.bodyTaken = true;
    }
    return new Promise<HttpAttempt>((resolve, reject) => {
      const attempt = new HttpAttempt(ctx, resolve, reject);
      dispatcher.dispatch(endpoint, dispatchOptions(req, ctx, deadlineHeader), attempt);
    });
  };
}

function dispatchOptions(
  req: OutboundRequest,
  ctx: CallContext,
  deadlineHeader: string | undefined,
): Dispatcher.DispatchOptions {
  const options: Dispatcher.DispatchOptions = {
    path: req.target,
    method: req.method as Dispatcher.HttpMethod,
    headers: attemptHeaders(req.headers, ctx, deadlineHeader),
    body: req.body as string | Buffer | null,
  };
  if (ctx.deadline !== Number.POSITIVE_INFINITY) {
    // A backstop behind the chain's own timers, rounded up and a step late so that the
    // deadline (a TimeoutError) fires first; the body timer bounds a stalled body, which
    // the chain no longer watches once the head has arrived.
    const ms = Math.ceil(Math.max(0, ctx.remainingMs()) / TIMER_STEP_MS + 1) * TIMER_STEP_MS;
    options.headersTimeout = ms;
    options.bodyTimeout = ms;
  }
  return options;
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
