import type { Classifier, Verdict } from '../classify/classifier.js';
import { defaultClassifier } from '../classify/classifier.js';
import type { CallContext } from '../context/call-context.js';
import { beginInstant, endInstant } from '../time/instant.js';
import {
  honoursCancellation,
  isCancellationHonoured,
  type Policy,
  type Service,
} from './service.js';

/** What `Guard.admit` returns when admission has to wait (a queue, a token, a first endpoint set). */
export const WAIT: unique symbol = Symbol('outrigger.guard.wait');

/**
 * One attempt passing a run of guards: the context handed inward, the attempt's start stamp,
 * and each guard's token. One object per attempt for the whole run.
 */
export class AttemptFrame {
  /** The context handed inward; a guard may replace it (the balancer adds the endpoint). */
  ctx: CallContext;
  /** When the attempt started, set by a guard that times it (the balancer); else 0. */
  start = 0;
  t0: unknown = undefined;
  t1: unknown = undefined;
  t2: unknown = undefined;
  t3: unknown = undefined;

  constructor(ctx: CallContext) {
    this.ctx = ctx;
  }
}

/**
 * A policy that admits an attempt (or refuses it) and hears how the attempt ended, without
 * touching the result: the breaker, the bulkhead, the rate limit, the load balancer.
 * `pipeline()` runs adjacent guards as one layer: one promise reaction and one pair of closures
 * per attempt for all of them, instead of one each (~250 B and a microtask per guard).
 */
export interface Guard<T = unknown> {
  /**
   * Admits the attempt now and returns the token `settle` gets back, or returns `WAIT` to be
   * admitted by `wait` instead. Throws to refuse. May replace `frame.ctx`.
   */
  admit(frame: AttemptFrame): T | typeof WAIT;
  /**
   * Admission that waits, for a guard whose `admit` may return `WAIT`. Rejects to refuse, and
   * at once when the call is aborted (a fused layer keeps `honoursCancellation`).
   */
  wait?(frame: AttemptFrame): Promise<T>;
  /** How the admitted attempt ended, judged by `classifier`. Absent when the guard need not know. */
  settle?(token: T, verdict: Verdict, frame: AttemptFrame): void;
  readonly classifier?: Classifier<never> | undefined;
}

/** A policy made of one guard; `pipeline()` fuses it with adjacent ones. */
export interface GuardPolicy extends Policy {
  readonly guard: Guard;
}

/** Guards per fused layer: the frame has four token fields. */
const MAX_RUN = 4;

/** The policy form of `guard`: alone it is a layer of one; in a pipeline it joins its neighbours. */
export function guardPolicy(guard: Guard): Policy & { readonly guard: Guard } {
  const policy = <Req, Res>(next: Service<Req, Res>): Service<Req, Res> =>
    guardLayer([guard], next);
  return Object.assign(policy, { guard });
}

export function isGuardPolicy(policy: Policy): policy is GuardPolicy {
  return (policy as Partial<GuardPolicy>).guard !== undefined;
}

/**
 * Wraps `next` in `guards` (outermost first; split into layers of at most four). Admission runs
 * outermost first; settlement innermost first, as nested layers would. A guard that refuses
 * settles the ones that admitted the attempt with the refusal's verdict, as if the attempt had
 * failed with it: to an outer breaker a full bulkhead looks the same either way.
 */
export function guardLayer<Req, Res>(
  guards: readonly Guard[],
  next: Service<Req, Res>,
): Service<Req, Res> {
  // Every guard's wait ends when the call is aborted, so a run keeps what `next` promises.
  const honoured = isCancellationHonoured(next);
  let inner = next;
  for (let end = guards.length; end > 0; end -= MAX_RUN) {
    inner = fused(guards.slice(Math.max(0, end - MAX_RUN), end), inner);
    if (honoured) honoursCancellation(inner);
  }
  return inner;
}

function fused<Req, Res>(guards: readonly Guard[], next: Service<Req, Res>): Service<Req, Res> {
  const n = guards.length;
  const settling = guards.map((g) => g.settle !== undefined);
  const anySettle = settling.includes(true);
  const classifiers = guards.map((g) => g.classifier as Classifier<unknown> | undefined);

  /**
   * Settles guards below `below`, innermost first, each with its classifier's verdict, computed
   * once per distinct classifier. A guard without one gets the verdict of the guard inside it
   * (or the default classifier's).
   */
  const settleFrom = (frame: AttemptFrame, below: number, failed: boolean, outcome: unknown) => {
    let lastClassifier: Classifier<unknown> | undefined;
    let verdict: Verdict = 'success';
    // A classifier or guard that throws must not keep the guards outside it from settling (a
    // bulkhead slot would leak): every guard settles, then the first error replaces the
    // outcome, as it would have coming out of nested layers.
    let threw = false;
    let thrown: unknown;
    for (let i = below - 1; i >= 0; i--) {
      if (!settling[i]) continue;
      const classifier =
        classifiers[i] ?? lastClassifier ?? (defaultClassifier as Classifier<unknown>);
      if (classifier !== lastClassifier) {
        lastClassifier = classifier;
        try {
          verdict = failed
            ? classifier.classifyError(outcome, frame.ctx)
            : classifier.classifyResult(outcome, frame.ctx);
        } catch (error) {
          // An outcome nobody could judge counts against the downstream.
          verdict = 'failure';
          if (!threw) thrown = error;
          threw = true;
        }
      }
      try {
        guards[i]!.settle!(tokenAt(frame, i), verdict, frame);
      } catch (error) {
        if (!threw) thrown = error;
        threw = true;
      }
    }
    if (threw) throw thrown;
  };

  /** Settles every guard, sharing one clock reading among them (the balancer's, the breaker's). */
  const settleInstant = (frame: AttemptFrame, failed: boolean, outcome: unknown) => {
    const opened = beginInstant();
    try {
      settleFrom(frame, n, failed, outcome);
    } finally {
      endInstant(opened);
    }
  };

  const refuse = (frame: AttemptFrame, at: number, error: unknown): Promise<Res> => {
    try {
      settleFrom(frame, at, true, error);
    } catch (settleError) {
      return Promise.reject(settleError);
    }
    return Promise.reject(error);
  };

  const admitFrom = (req: Req, frame: AttemptFrame, from: number): Promise<Res> => {
    for (let i = from; i < n; i++) {
      let token: unknown;
      try {
        token = guards[i]!.admit(frame);
      } catch (error) {
        return refuse(frame, i, error);
      }
      if (token === WAIT) return waitAt(req, frame, i);
      setToken(frame, i, token);
    }
    let pending: Promise<Res>;
    try {
      pending = next(req, frame.ctx);
    } catch (error) {
      pending = Promise.reject(error);
    }
    if (!anySettle) return pending;
    return pending.then(
      (result) => {
        settleInstant(frame, false, result);
        return result;
      },
      (error: unknown) => {
        settleInstant(frame, true, error);
        throw error;
      },
    );
  };

  const waitAt = (req: Req, frame: AttemptFrame, at: number): Promise<Res> =>
    guards[at]!.wait!(frame).then(
      (token) => {
        setToken(frame, at, token);
        return admitFrom(req, frame, at + 1);
      },
      (error: unknown) => refuse(frame, at, error),
    );

  return (req, ctx) => admitFrom(req, new AttemptFrame(ctx), 0);
}

function setToken(frame: AttemptFrame, i: number, token: unknown): void {
  if (i === 0) frame.t0 = token;
  else if (i === 1) frame.t1 = token;
  else if (i === 2) frame.t2 = token;
  else frame.t3 = token;
}

function tokenAt(frame: AttemptFrame, i: number): unknown {
  return i === 0 ? frame.t0 : i === 1 ? frame.t1 : i === 2 ? frame.t2 : frame.t3;
}
