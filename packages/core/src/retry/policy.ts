import { RetryBudget } from '../budget/retry-budget.js';
import { type Classifier, defaultClassifier, type Verdict } from '../classify/classifier.js';
import { ATTEMPT_LOG, AttemptLog, settleAttemptLog } from '../context/attempt-log.js';
import type { CallContext } from '../context/call-context.js';
import { CALL_OPTIONS } from '../context/call-options.js';
import { BudgetExhaustedError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import { directOf, directService, type Settler } from '../service/direct.js';
import { namedPolicy, type Policy, type Service } from '../service/service.js';
import { sleep } from '../time/sleep.js';
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

  /** Entered only after a first retryable outcome, and never inside the attempt's own callback. */
  async function later<Req, Res>(
    next: Service<Req, Res>,
    req: Req,
    ctx: CallContext,
    first: CallContext,
    owned: AttemptLog | undefined,
    outcome: Outcome,
  ): Promise<Res> {
    // The first attempt may have answered from inside its transport (a socket callback): the
    // next one starts from a clean stack.
    await Promise.resolve();
    try {
      return await again(next, req, ctx, first, outcome);
    } finally {
      if (owned) settleAttemptLog(owned);
    }
  }

  const rules: RetryRules = { classifier, final, later };

  return namedPolicy(
    'retry',
    <Req, Res>(next: Service<Req, Res>): Service<Req, Res> => {
      const inner = directOf(next);
      return directService<Req, Res>((req, ctx, settler) => {
        budget.deposit();
        if (
          (checked.maxAttempts === 1 && checked.maxRequeues === 0) ||
          ctx.get(CALL_OPTIONS)?.retry === false
        ) {
          inner(req, ctx.withAttempt(1), settler);
          return;
        }
        // The log is ours to settle when the logical call ends, unless an outer policy made it.
        const ownsLog = ctx.get(ATTEMPT_LOG) === undefined;
        const call = new FirstAttempt(rules, next, req, ctx, ownsLog, settler);
        const first = ownsLog ? ctx.withAttemptAnd(1, ATTEMPT_LOG, call) : ctx.withAttempt(1);
        call.first = first;
        inner(req, first, call);
      });
    },
    { keepsCancellation: true },
  );
}

type Outcome = { result: unknown; error: unknown; failed: boolean; verdict: Verdict };

/** What the first attempt's settler needs of its policy: one per `retry()`. */
interface RetryRules {
  readonly classifier: Classifier<unknown>;
  /** Final: not retryable, the call is over, or a retry would resend a non-idempotent request. */
  final(verdict: Verdict, ctx: CallContext): boolean;
  /** The slow path, after a first retryable outcome. */
  later<Req, Res>(
    next: Service<Req, Res>,
    req: Req,
    ctx: CallContext,
    first: CallContext,
    owned: AttemptLog | undefined,
    outcome: Outcome,
  ): Promise<Res>;
}

/**
 * The first attempt's settler, and the call's attempt log when retry owns it: one object per
 * call instead of a log, a reaction and two closures. A final outcome goes straight out; a
 * retryable one goes on to `later`. One class for every retry policy (its rules are a field),
 * so the balancer and the settlers around it see one shape, not one per policy.
 */
class FirstAttempt<Req, Res> extends AttemptLog implements Settler<Res> {
  readonly #rules: RetryRules;
  readonly #next: Service<Req, Res>;
  readonly #req: Req;
  readonly #ctx: CallContext;
  /** False when an outer policy (a hedge, an outer retry) made the call's log. */
  readonly #ownsLog: boolean;
  readonly #outer: Settler<Res>;
  /** The first attempt's context, which carries this log (set right after construction). */
  first: CallContext | undefined = undefined;

  constructor(
    rules: RetryRules,
    next: Service<Req, Res>,
    req: Req,
    ctx: CallContext,
    ownsLog: boolean,
    outer: Settler<Res>,
  ) {
    super();
    this.#rules = rules;
    this.#next = next;
    this.#req = req;
    this.#ctx = ctx;
    this.#ownsLog = ownsLog;
    this.#outer = outer;
  }

  resolve(result: Res): void {
    this.#judge(false, result);
  }

  reject(error: unknown): void {
    this.#judge(true, error);
  }

  /** Classifies the first outcome: a final one goes out, a retryable one on to `later`. */
  #judge(failed: boolean, outcome: unknown): void {
    const classifier = this.#rules.classifier;
    let verdict: Verdict;
    try {
      verdict = failed
        ? classifier.classifyError(outcome, this.#ctx)
        : classifier.classifyResult(outcome, this.#ctx);
    } catch (classifyError) {
      this.#end(true, classifyError);
      return;
    }
    if (this.#rules.final(verdict, this.#ctx)) this.#end(failed, outcome);
    else if (failed) this.#retry({ result: undefined, error: outcome, failed, verdict });
    else this.#retry({ result: outcome, error: undefined, failed, verdict });
  }

  #end(failed: boolean, outcome: unknown): void {
    if (this.#ownsLog) {
      try {
        settleAttemptLog(this);
      } catch (error) {
        failed = true;
        outcome = error;
      }
    }
    if (failed) this.#outer.reject(outcome);
    else this.#outer.resolve(outcome as Res);
  }

  #retry(outcome: Outcome): void {
    const outer = this.#outer;
    const owned = this.#ownsLog ? this : undefined;
    this.#rules.later(this.#next, this.#req, this.#ctx, this.first!, owned, outcome).then(
      (value) => outer.resolve(value),
      (error: unknown) => outer.reject(error),
    );
  }
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
