import { type CallContext, isOutriggerError, UnavailableError } from '@outrigger/core';
import { httpClassifier } from './classify.js';
import { BodyReplayError } from './transport.js';

/**
 * What a failed call's caller gets, typed: Outrigger's refusals as they are, and a wire error
 * (a socket, TLS or undici error, which all carry a `code`) as `UNAVAILABLE` with the wire error
 * as `cause`, so that a caller can handle "the service could not be reached" by one stable code
 * without knowing Node's or undici's. Anything else (an error thrown by the caller's own
 * classifier, say) passes unchanged: it is not a failure of the service.
 */
export function typedFailure(error: unknown, ctx: CallContext | undefined): unknown {
  if (isOutriggerError(error) || error instanceof BodyReplayError) return error;
  if (typeof (error as { code?: unknown } | null)?.code !== 'string') return error;
  const unsent = ctx !== undefined && httpClassifier.classifyError(error, ctx) === 'unsent';
  return new UnavailableError({ service: ctx?.service ?? 'client', unsent }, error);
}
