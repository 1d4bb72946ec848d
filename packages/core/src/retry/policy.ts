import { RetryBudget } from '../budget/retry-budget.js';
import { type Classifier, defaultClassifier, type Verdict } from '../classify/classifier.js';
import {
  ATTEMPT_LOG,
  type AttemptLog,
  newAttemptLog,
  settleAttemptLog,
} from '../context/attempt-log.js';
import type { CallContext } from '../context/call-context.js';
import { CALL_OPTIONS } from '../context/call-options.js';
import { BudgetExhaustedError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import { namedPolicy, type Policy, type Service } from '../service/service.js';
import { sleep } from '../time/sleep.js';
import { claimDeadline, settlesDeadline, type TimedCall } from '../timeout/timed-call.js';
import { backoffDelay } from './backoff.js';
import { type CheckedRetryOptions, checkRetryOptions, type RetryPolicyOptions } from './options.js';

/**
 * Retries what the shared classifier calls retryable, for idempotent requests only, with
 * exponential backoff and jitter, honouring a server's delay hint up to a cap, never sleeping
 * past the deadline, and never beyond the retry budget. An attempt that provably never reached
 * a server (`unsent`) is requeued even for a non-idempotent request, without counting as an
 * attempt, still within the budget. Each attempt goes to a different endpoint where one exists
 * (the attempt log tells the balancer what was tried).
 *
 * A retryable *result* (an HTTP 503) is returned as it is once retries are spent, so the caller
 * sees the last answer; a retryable *error* is rethrown, or wrapped in BUDGET_EXHAUSTED when the
 * budget refused the retry.
 */
export function retry(options: RetryPolicyOptions = {}): Policy {
  const checked = checkRetryOptions(options);
  const budget =
    options.budget instanceof RetryBudget
      ? options.budget
      : new RetryBudget({ ...options.budget, ...(options.clock ? { clock: options.clock } : {}) });
  const classifier = (options.classifier ?? defaultClassifier) as Classifier<unknown>;
  const random = options.random ?? Math.random;
  const events = options.events;

  type Outcome = { result: unknown; error: unknown; failed: boolean; verdict: Verdict };
  /** Final: not retryable, the call is over, or a retry would resend a non-idempotent request. */
  const final = (verdict: Verdict, ctx: CallContext) =>
    (verdict !== 'retryable' && verdict !== 'unsent') ||
    ctx.aborted ||
    (verdict !== 'unsent' && !ctx.idempotent);

  /** The slow path, entered only after a first retryable outcome. */
  async function again<Req, Res>(
    next: Service<Req, Res>,
    req: Req,
    ctx: CallContext,
    attemptCtx: CallContext,
    outcome: Outcome,
  ): Promise<Res> {
    let attempts = 0;
    let requeues = 0;
    let previousDelay = checked.backoff.baseMs;
    for (;;) {
      const { result, error, failed, verdict } = outcome;
      const requeue = verdict === 'unsent';
      if (requeue) requeues++;
      else attempts++;
      const delay = nextDelay(
        checked,
        classifier,
        result,
        error,
        requeue,
        attempts,
        previousDelay,
        random,
      );
      const gaveUp = (requeue ? requeues > checked.maxRequeues : attempts >= checked.maxAttempts)
        ? 'attempts'
        : delay === Number.POSITIVE_INFINITY
          ? 'retry_after'
          : delay >= ctx.remainingMs()
            ? 'deadline'
            : budget.tryWithdraw()
              ? undefined
              : 'budget';
      if (gaveUp) {
        emitGaveUp(events, ctx, attempts + requeues, gaveUp, requeue);
        if (!failed) return result as Res;
        throw gaveUp === 'budget' ? new BudgetExhaustedError(ctx.service, error) : error;
      }
      if (!failed) classifier.discard?.(result);
      if (events?.has('retry.scheduled')) {
        events.emit('retry.scheduled', {
          service: ctx.service,
          operation: ctx.operation,
          attempt: attempts + requeues + 1,
          delayMs: delay,
          verdict,
          requeue,
        });
      }
      if (delay > 0) await sleep(delay, ctx, options.clock ?? ctx.clock);
      previousDelay = delay;
      attemptCtx = attemptCtx.withAttempt(attempts + requeues + 1);
      try {
        const value = await next(req, attemptCtx);
        outcome = {
          result: value,
          error: undefined,
          failed: false,
          verdict: classifier.classifyResult(value, ctx),
        };
      } catch (e) {
        outcome = {
          result: undefined,
          error: e,
          failed: true,
          verdict: classifier.classifyError(e, ctx),
        };
      }
      if (final(outcome.verdict, ctx)) {
        if (outcome.failed) throw outcome.error;
        return outcome.result as Res;
      }
    }
  }

  /** Made only once a first outcome was retryable, so the success path allocates no closure for it. */
  function slow<Req, Res>(
    next: Service<Req, Res>,
    req: Req,
    ctx: CallContext,
    first: CallContext,
    owned: AttemptLog | undefined,
    outcome: Outcome,
  ): Promise<Res> {
    const rest = again(next, req, ctx, first, outcome);
    return owned ? rest.finally(() => settleAttemptLog(owned)) : rest;
  }

  return namedPolicy(
    'retry',
    <Req, Res>(next: Service<Req, Res>): Service<Req, Res> => {
      // The deadline directly outside hands us its settling: our reaction settles it too.
      return settlesDeadline((req: Req, ctx: CallContext): Promise<Res> => {
        const deadline = claimDeadline(ctx) as TimedCall<Res> | undefined;
        budget.deposit();
        if (
          (checked.maxAttempts === 1 && checked.maxRequeues === 0) ||
          ctx.get(CALL_OPTIONS)?.retry === false
        ) {
          const only = next(req, ctx.withAttempt(1));
          return deadline ? deadline.passOn(only) : only;
        }
        // The log is ours to settle when the logical call ends, unless an outer policy made it.
        const owned = ctx.get(ATTEMPT_LOG) ? undefined : newAttemptLog();
        const first = owned ? ctx.withAttemptAnd(1, ATTEMPT_LOG, owned) : ctx.withAttempt(1);
        // The first attempt runs on two closures, not an async frame: it is the common case.
        return next(req, first).then(
          (result) => {
            const verdict = classifier.classifyResult(result, ctx);
            if (!final(verdict, ctx)) {
              const rest = slow(next, req, ctx, first, owned, {
                result,
                error: undefined,
                failed: false,
                verdict,
              });
              return deadline ? deadline.passOn(rest) : rest;
            }
            if (owned) settleAttemptLog(owned);
            return deadline ? deadline.onValue(result) : result;
          },
          (error: unknown) => {
            const verdict = classifier.classifyError(error, ctx);
            if (!final(verdict, ctx)) {
              const rest = slow(next, req, ctx, first, owned, {
                result: undefined,
                error,
                failed: true,
                verdict,
              });
              return deadline ? deadline.passOn(rest) : rest;
            }
            if (owned) settleAttemptLog(owned);
            if (deadline) return deadline.onError(error);
            throw error;
          },
        );
      });
    },
    { keepsCancellation: true },
  );
}

function nextDelay(
  checked: CheckedRetryOptions,
  classifier: Classifier<unknown>,
  result: unknown,
  error: unknown,
  requeue: boolean,
  attempts: number,
  previousDelay: number,
  random: () => number,
): number {
  const hint = classifier.retryAfterMs?.(result, error);
  // A server's hint is honoured up to the cap. Beyond it we give up rather than come back sooner
  // than the server asked (Infinity); beyond the deadline, likewise, at once.
  if (hint !== undefined) return hint > checked.retryAfterMaxMs ? Number.POSITIVE_INFINITY : hint;
  // A requeue goes straight to another endpoint: the request never left this process.
  if (requeue) return 0;
  return backoffDelay(checked.backoff, attempts, previousDelay, random);
}

type GaveUpReason = 'attempts' | 'budget' | 'deadline' | 'retry_after';

function emitGaveUp(
  events: EventBus | undefined,
  ctx: CallContext,
  attempts: number,
  reason: GaveUpReason,
  requeue: boolean,
): void {
  if (reason === 'budget' && events?.has('budget.exhausted')) {
    events.emit('budget.exhausted', {
      service: ctx.service,
      operation: ctx.operation,
      purpose: requeue ? 'requeue' : 'retry',
    });
  }
  if (events?.has('retry.gave_up')) {
    events.emit('retry.gave_up', {
      service: ctx.service,
      operation: ctx.operation,
      attempts,
      reason,
    });
  }
}
