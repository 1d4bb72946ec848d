import type { Classifier, Verdict } from '../classify/classifier.js';
import type { CallContext } from '../context/call-context.js';
import type { EventBus } from '../events/events.js';
import { backoffDelay } from './backoff.js';
import type { CheckedRetryOptions } from './options.js';

/** Final: not retryable, the call is over, or a retry would resend a non-idempotent request. */
export function isFinal(verdict: Verdict, ctx: CallContext): boolean {
  return (
    (verdict !== 'retryable' && verdict !== 'unsent') ||
    ctx.aborted ||
    (verdict !== 'unsent' && !ctx.idempotent)
  );
}

export function nextDelay(
  checked: CheckedRetryOptions,
  classifier: Classifier<unknown>,
  result: unknown,
  error: unknown,
  immediate: boolean,
  retry: number,
  previousDelay: number,
  random: () => number,
): number {
  const hint = classifier.retryAfterMs?.(result, error);
  // A server's hint is honoured up to the cap. Beyond it we give up rather than come back sooner
  // than the server asked (Infinity); beyond the deadline, likewise, at once.
  if (hint !== undefined) return hint > checked.retryAfterMaxMs ? Number.POSITIVE_INFINITY : hint;
  // A requeue to an untried endpoint goes at once: the request never left this process.
  if (immediate) return 0;
  return backoffDelay(checked.backoff, retry, previousDelay, random);
}

export type GaveUpReason = 'attempts' | 'budget' | 'deadline' | 'retry_after';

export function emitGaveUp(
  events: EventBus | undefined,
  ctx: CallContext,
  attempts: number,
  reason: GaveUpReason,
  requeue: boolean,
): void {
  if (reason === 'budget' && events?.has('budget.exhausted')) {
    events.emit('budget.exhausted', {
      service: ctx.service,
      ctx,
      operation: ctx.operation,
      purpose: requeue ? 'requeue' : 'retry',
    });
  }
  if (events?.has('retry.gave_up')) {
    events.emit('retry.gave_up', {
      service: ctx.service,
      ctx,
      operation: ctx.operation,
      attempts,
      reason,
    });
  }
}
