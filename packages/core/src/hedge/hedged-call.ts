import type { RetryBudget } from '../budget/retry-budget.js';
import type { Classifier } from '../classify/classifier.js';
import { abortError } from '../context/abort-error.js';
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
    this.#settle(undefined, abortError(this.#ctx), true);
  }

  #launch(): void {
    const token = new Cancellation().attachTo(this.#ctx.cancellation);
    this.#attempts.push(token);
    const n = this.#attempts.length;
    this.#pending++;
    const ctx = this.#ctx
      .withScope(token, this.#ctx.deadline)
      .withAttempt((this.#ctx.attempt || 1) + n - 1);
    this.#s.next(this.#req, ctx).then(
      (value) => this.#outcome(n, value, undefined, false),
      (error) => this.#outcome(n, undefined, error, true),
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
          operation: ctx.operation,
          purpose: 'hedge',
        });
      return;
    }
    if (events?.has('hedge.started')) {
      events.emit('hedge.started', {
        service: ctx.service,
        operation: ctx.operation,
        attempt: this.#attempts.length + 1,
        delayMs: this.#delayMs,
      });
    }
    this.#launch();
  };

  #outcome(n: number, value: Res | undefined, error: unknown, failed: boolean): void {
    this.#pending--;
    this.#attempts[n - 1]!.dispose();
    if (this.#settled) {
      if (!failed) this.#s.classifier.discard?.(value as Res);
      return;
    }
    const verdict = failed
      ? this.#s.classifier.classifyError(error, this.#ctx)
      : this.#s.classifier.classifyResult(value as Res, this.#ctx);
    // A success wins at once; a failure waits for the attempts still in flight, if any.
    if (verdict !== 'success' && this.#pending > 0) {
      if (!failed) this.#s.classifier.discard?.(value as Res);
      return;
    }
    if (verdict === 'success') {
      this.#s.onWin(this.#s.clock.now() - this.#started);
      const { events } = this.#s;
      if (this.#attempts.length > 1 && events?.has('hedge.won')) {
        events.emit('hedge.won', {
          service: this.#ctx.service,
          operation: this.#ctx.operation,
          winner: n,
          attempts: this.#attempts.length,
        });
      }
    }
    this.#settle(value, error, failed);
  }

  #settle(value: Res | undefined, error: unknown, failed: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer !== undefined) this.#s.clock.clearTimeout(this.#timer);
    this.#ctx.cancellation.remove(this);
    const lost = new CancelledError(this.#ctx.service, 'another hedged attempt answered first');
    for (const token of this.#attempts) token.abort(lost);
    if (this.#owned) settleAttemptLog(this.#owned);
    if (failed) this.#reject(error);
    else this.#resolve(value as Res);
  }
}
