import type { RetryBudget } from '../budget/retry-budget.js';
import type { Classifier, Verdict } from '../classify/classifier.js';
import { abortError } from '../context/abort-error.js';
import { ATTEMPT_CAUSE, HEDGE_CAUSE } from '../context/attempt-cause.js';
import {
  ATTEMPT_LOG,
  type AttemptLog,
  newAttemptLog,
  settleAttemptLog,
} from '../context/attempt-log.js';
import type { CallContext } from '../context/call-context.js';
import { type AbortListener, Cancellation } from '../context/cancellation.js';
import { CancelledError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import { classify, failedWith, type Outcome, succeeded } from '../service/outcome.js';
import type { Service } from '../service/service.js';
import type { Clock, TimerHandle } from '../time/clock.js';

export interface HedgeSettings<Req, Res> {
  readonly next: Service<Req, Res>;
  readonly classifier: Classifier<Res>;
  readonly budget: RetryBudget;
  readonly clock: Clock;
  readonly events: EventBus | undefined;
  readonly maxAttempts: number;
  readonly onWin: (latencyMs: number) => void;
}

/**
 * One hedged call: the first attempt, then after `delayMs` (and again, up to `maxAttempts`) one
 * more attempt to another endpoint while the budget allows. The first successful answer wins and
 * the others are aborted (their transports close) and discarded. If every attempt fails, the
 * last outcome settles the call, for the retry policy outside to judge.
 */
export class HedgedCall<Req, Res> implements AbortListener {
  readonly #s: HedgeSettings<Req, Res>;
  readonly #req: Req;
  readonly #ctx: CallContext;
  readonly #delayMs: number;
  readonly #started: number;
  readonly #attempts: Cancellation[] = [];
  #pending = 0;
  #timer: TimerHandle | undefined;
  #settled = false;
  /** The attempt log, when this call made it (then it settles it). */
  readonly #owned: AttemptLog | undefined;
  readonly #resolve: (value: Res) => void;
  readonly #reject: (error: unknown) => void;

  constructor(
    s: HedgeSettings<Req, Res>,
    req: Req,
    ctx: CallContext,
    delayMs: number,
    resolve: (v: Res) => void,
    reject: (e: unknown) => void,
  ) {
    this.#s = s;
    this.#req = req;
    this.#delayMs = delayMs;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#started = s.clock.now();
    this.#owned = ctx.get(ATTEMPT_LOG) ? undefined : newAttemptLog();
    this.#ctx = this.#owned ? ctx.with(ATTEMPT_LOG, this.#owned) : ctx;
    ctx.cancellation.add(this);
    this.#launch();
  }

  onAbort(): void {
    this.#settle(failedWith(abortError(this.#ctx)));
  }

  #launch(): void {
    const token = new Cancellation().attachTo(this.#ctx.cancellation);
    this.#attempts.push(token);
    const n = this.#attempts.length;
    this.#pending++;
    const scoped = this.#ctx.withScope(token, this.#ctx.deadline);
    const attempt = (this.#ctx.attempt || 1) + n - 1;
    const ctx =
      n === 1
        ? scoped.withAttempt(attempt)
        : scoped.withAttemptAnd(attempt, ATTEMPT_CAUSE, HEDGE_CAUSE);
    this.#s.next(this.#req, ctx).then(
      (value) => this.#outcome(n, succeeded(value)),
      (error) => this.#outcome(n, failedWith(error)),
    );
    if (n < this.#s.maxAttempts) this.#timer = this.#s.clock.setTimeout(this.#hedge, this.#delayMs);
  }

  readonly #hedge = (): void => {
    this.#timer = undefined;
    if (this.#settled) return;
    const { budget, events } = this.#s;
    const ctx = this.#ctx;
    if (!budget.tryWithdraw()) {
      if (events?.has('budget.exhausted'))
        events.emit('budget.exhausted', {
          service: ctx.service,
          ctx,
          operation: ctx.operation,
          purpose: 'hedge',
        });
      return;
    }
    if (events?.has('hedge.started')) {
      events.emit('hedge.started', {
        service: ctx.service,
        ctx,
        operation: ctx.operation,
        attempt: this.#attempts.length + 1,
        delayMs: this.#delayMs,
      });
    }
    this.#launch();
  };

  #outcome(n: number, outcome: Outcome<Res>): void {
    this.#pending--;
    this.#attempts[n - 1]!.dispose();
    const { classifier } = this.#s;
    if (this.#settled) {
      if (outcome.ok) classifier.discard?.(outcome.value);
      return;
    }
    let verdict: Verdict;
    try {
      verdict = classify(classifier, outcome, this.#ctx);
    } catch (classifyError) {
      this.#settle(failedWith(classifyError));
      return;
    }
    // A success wins at once; a failure waits for the attempts still in flight, if any.
    if (verdict !== 'success' && this.#pending > 0) {
      if (outcome.ok) classifier.discard?.(outcome.value);
      return;
    }
    if (verdict === 'success') {
      this.#s.onWin(this.#s.clock.now() - this.#started);
      const { events } = this.#s;
      if (this.#attempts.length > 1 && events?.has('hedge.won')) {
        events.emit('hedge.won', {
          service: this.#ctx.service,
          ctx: this.#ctx,
          operation: this.#ctx.operation,
          winner: n,
          attempts: this.#attempts.length,
        });
      }
    }
    this.#settle(outcome);
  }

  #settle(outcome: Outcome<Res>): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer !== undefined) this.#s.clock.clearTimeout(this.#timer);
    this.#ctx.cancellation.remove(this);
    const lost = new CancelledError(this.#ctx.service, 'another hedged attempt answered first');
    for (const token of this.#attempts) token.abort(lost);
    if (this.#owned) settleAttemptLog(this.#owned);
    if (outcome.ok) this.#resolve(outcome.value);
    else this.#reject(outcome.error);
  }
}
