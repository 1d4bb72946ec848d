import type { RetryBudget } from '../budget/retry-budget.js';
import type { Classifier, Verdict } from '../classify/classifier.js';
import { ATTEMPT_CAUSE, type AttemptCause } from '../context/attempt-cause.js';
import { ATTEMPT_LOG, AttemptLog, settleAttemptLog } from '../context/attempt-log.js';
import type { CallContext } from '../context/call-context.js';
import { BudgetExhaustedError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { DirectService, Settler } from '../service/direct.js';
import { classify, failedWith, type Outcome } from '../service/outcome.js';
import type { Clock } from '../time/clock.js';
import { sleep } from '../time/sleep.js';
import { emitGaveUp, isFinal, nextDelay } from './decision.js';
import type { CheckedRetryOptions } from './options.js';
import { requeueBound, untriedLeft } from './requeue.js';

/** What every call of one `retry()` shares. */
export interface RetryRules {
  readonly checked: CheckedRetryOptions;
  readonly budget: RetryBudget;
  readonly classifier: Classifier<unknown>;
  readonly random: () => number;
  readonly events: EventBus | undefined;
  readonly clock: Clock | undefined;
  readonly endpointCount: (() => number) | undefined;
}

/**
 * One logical call under retry: the settler of each of its attempts in turn, and the call's
 * attempt log when no outer policy made one (so a retry goes to another endpoint). Each outcome
 * is judged the same way, the first as any other: a final one goes out, a retryable one is sent
 * again after its delay, within attempts, deadline and budget. One object per call.
 */
export class RetryCall<Req, Res> extends AttemptLog implements Settler<Res> {
  readonly #rules: RetryRules;
  readonly #inner: DirectService<Req, Res>;
  readonly #req: Req;
  readonly #ctx: CallContext;
  readonly #outer: Settler<Res>;
  /** False when an outer policy (a hedge, an outer retry) made the call's log. */
  readonly #ownsLog: boolean;
  /** The context of the attempt in flight; it carries this log when the log is ours. */
  #attemptCtx: CallContext;
  /** Outcomes counted against `maxAttempts`. */
  #attempts = 0;
  /** Unsent outcomes requeued within the requeue bound (not counted as attempts). */
  #requeues = 0;
  /** Delays waited so far: the exponent of the next backoff. */
  #waits = 0;
  #previousDelay: number;
  /** Why the next attempt is made (set when one is scheduled). */
  #cause: AttemptCause | undefined;

  constructor(
    rules: RetryRules,
    inner: DirectService<Req, Res>,
    req: Req,
    ctx: CallContext,
    outer: Settler<Res>,
  ) {
    super();
    this.#rules = rules;
    this.#inner = inner;
    this.#req = req;
    this.#ctx = ctx;
    this.#outer = outer;
    this.#ownsLog = ctx.get(ATTEMPT_LOG) === undefined;
    // The first attempt's context, in one derivation; later ones derive from it.
    this.#attemptCtx = this.#ownsLog
      ? ctx.withAttemptAnd(1, ATTEMPT_LOG, this)
      : ctx.withAttempt(1);
    this.#previousDelay = rules.checked.backoff.baseMs;
  }

  /** Sends the next attempt, numbered after every attempt and requeue before it. */
  send(): void {
    const n = this.#attempts + this.#requeues + 1;
    if (n > 1) this.#attemptCtx = this.#attemptCtx.withAttemptAnd(n, ATTEMPT_CAUSE, this.#cause!);
    try {
      this.#inner(this.#req, this.#attemptCtx, this);
    } catch (error) {
      this.settle(failedWith(error));
    }
  }

  /** An attempt ended: out if final, else again after its delay, or out if we must give up. */
  settle(outcome: Outcome<Res>): void {
    const ctx = this.#ctx;
    const { classifier, checked, budget, events } = this.#rules;
    let verdict: Verdict;
    try {
      verdict = classify(classifier, outcome as Outcome<unknown>, ctx);
    } catch (classifyError) {
      this.#end(failedWith(classifyError));
      return;
    }
    if (isFinal(verdict, ctx)) {
      this.#end(outcome);
      return;
    }
    const endpoints = this.#rules.endpointCount?.();
    // Within the bound a never-sent attempt is requeued; past it, it is one more attempt.
    const requeue =
      verdict === 'unsent' && this.#requeues < requeueBound(checked.maxRequeues, endpoints);
    if (requeue) this.#requeues++;
    else this.#attempts++;
    // At once only towards an endpoint not tried yet: against a dead fleet, a requeue that would
    // meet a refusal it already had waits a backoff rather than spin at 0 ms.
    const immediate =
      requeue && untriedLeft(this.#attemptCtx.get(ATTEMPT_LOG)?.endpoints, endpoints);
    const delay = nextDelay(
      checked,
      classifier,
      outcome.value,
      outcome.error,
      immediate,
      this.#waits + 1,
      this.#previousDelay,
      this.#rules.random,
    );
    const gaveUp =
      !requeue && this.#attempts >= checked.maxAttempts
        ? 'attempts'
        : delay === Number.POSITIVE_INFINITY
          ? 'retry_after'
          : delay >= ctx.remainingMs()
            ? 'deadline'
            : budget.tryWithdraw()
              ? undefined
              : 'budget';
    if (gaveUp) {
      emitGaveUp(events, ctx, this.#attempts + this.#requeues, gaveUp, requeue);
      this.#end(
        gaveUp === 'budget' && !outcome.ok
          ? failedWith(new BudgetExhaustedError(ctx.service, outcome.error))
          : outcome,
      );
      return;
    }
    if (outcome.ok) classifier.discard?.(outcome.value);
    this.#cause = { kind: requeue ? 'requeue' : 'retry', reason: verdict };
    if (events?.has('retry.scheduled')) {
      events.emit('retry.scheduled', {
        service: ctx.service,
        ctx,
        operation: ctx.operation,
        attempt: this.#attempts + this.#requeues + 1,
        delayMs: delay,
        verdict,
        requeue,
      });
    }
    this.#previousDelay = delay;
    if (delay > 0) this.#waits++;
    // The outcome may have come from inside a transport callback: the next attempt starts from
    // a clean stack, after its backoff, which ends early (rejecting) if the call is aborted.
    if (delay > 0) {
      sleep(delay, ctx, this.#rules.clock ?? ctx.clock).then(
        () => this.send(),
        (error: unknown) => this.#end(failedWith(error)),
      );
    } else {
      queueMicrotask(() => this.send());
    }
  }

  #end(outcome: Outcome<Res>): void {
    if (this.#ownsLog) {
      try {
        settleAttemptLog(this);
      } catch (error) {
        outcome = failedWith(error);
      }
    }
    this.#outer.settle(outcome);
  }
}
