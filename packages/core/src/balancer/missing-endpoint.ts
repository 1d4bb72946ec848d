import type { CallContext } from '../context/call-context.js';
import { NoEndpointsError } from '../errors/errors.js';

/**
 * What a protocol's transport fails an attempt with when it gets no `ctx.endpoint`: the chain it
 * sits in has no balancer (a wiring mistake, not an outage), said in the error.
 */
export function noEndpointPicked(ctx: CallContext): NoEndpointsError {
  return new NoEndpointsError({
    service: ctx.service,
    reason: 'the attempt reached the transport without an endpoint (no balancer in the chain?)',
  });
}
