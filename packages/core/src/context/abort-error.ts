import { CancelledError, isOutriggerError } from '../errors/errors.js';
import type { CallContext } from './call-context.js';

/**
 * The error to reject with once `ctx` is aborted: the reason itself when it is already an
 * Outrigger error (a deadline's `TimeoutError`), otherwise `CANCELLED` with the caller's reason
 * as `cause`.
 */
export function abortError(ctx: CallContext): Error {
  const reason = ctx.cancellation.reason;
  return isOutriggerError(reason) ? reason : new CancelledError(ctx.service, reason);
}
