import type { Classifier, Verdict } from '../classify/classifier.js';
import { defaultClassifier } from '../classify/classifier.js';
import type { CallContext } from '../context/call-context.js';
import { type DirectService, directOf, directService, type Settler } from './direct.js';
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
 * and each guard's token. One object per attempt for the whole run, and the settler of the
 * service inside: the attempt's outcome settles the guards on its way out, no reaction needed.
 */
export class AttemptFrame implements Settler<unknown> {
  /** The context handed inward; a guard may replace it (the balancer adds the endpoint). */
  ctx: CallContext;
  /** When the attempt started, set by a guard that times it (the balancer); else 0. */
  start = 0;
  t0: unknown = undefined;
  t1: unknown = undefined;
  t2: unknown = undefined;
  t3: unknown = undefined;
  readonly #layer: FusedLayer;
  /** @internal where the attempt's outcome goes once the guards have settled */
  readonly outer: Settler<unknown>;
  #done = false;

  constructor(ctx: CallContext, layer: FusedLayer, outer: Settler<unknown>) {
    this.ctx = ctx;
    this.#layer = layer;
    this.outer = outer;
  }

  /** @internal the service inside answered: the guards settle, then the outcome goes out */
  resolve(value: unknown): void {
    this.#end(false, value);
  }

  /** @internal */
  reject(error: unknown): void {
    this.#end(true, error);
  }

  /** @internal a guard refused: those that admitted the attempt (below it) settle with the refusal */
  refuse(below: number, error: unknown): void {
    this.#end(true, error, below);
  }

  #end(failed: boolean, outcome: unknown, below = this.#layer.size): void {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#layer.settleFrom(this, below, failed, outcome);
    } catch (settleError) {
      // What a guard or classifier threw replaces the outcome, as out of nested layers.
      failed = true;
      outcome = settleError;
    }
    if (failed) this.outer.reject(outcome);
    else this.outer.resolve(outcome);
  }
}

/**
 * A policy that admits an attempt (or refuses it) and hears how the attempt ended, without
 * touching the result: the breaker, the bulkhead, the rate limit, the load balancer.
 * `pipeline()` runs adjacent guards as one layer: one frame per attempt for all of them, which
 * is also the settler of the service inside (decision 0041), so they add no promise reaction.
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
    const run = guards.slice(Math.max(0, end - MAX_RUN), end);
    const layer = new FusedLayer(run, directOf(inner) as DirectService<unknown, unknown>);
    inner = directService(layer.direct as DirectService<Req, Res>);
    if (honoured) honoursCancellation(inner);
  }
  return inner;
}

/**
 * A run of up to four guards around `next`, as one layer. Its direct form admits an attempt
 * outermost first and hands `next` the attempt's frame as its settler: the outcome settles the
 * guards innermost first on its way out, with no promise reaction of the layer's own.
 */
class FusedLayer {
  readonly size: number;
  readonly #guards: readonly Guard[];
  readonly #settling: readonly boolean[];
  readonly #anySettle: boolean;
  readonly #classifiers: readonly (Classifier<unknown> | undefined)[];
  readonly #next: DirectService<unknown, unknown>;

  constructor(guards: readonly Guard[], next: DirectService<unknown, unknown>) {
    this.size = guards.length;
    this.#guards = guards;
    this.#settling = guards.map((g) => g.settle !== undefined);
    this.#anySettle = this.#settling.includes(true);
    this.#classifiers = guards.map((g) => g.classifier as Classifier<unknown> | undefined);
    this.#next = next;
  }

  readonly direct: DirectService<unknown, unknown> = (req, ctx, settler) => {
    this.#admitFrom(req, new AttemptFrame(ctx, this, settler), 0);
  };

  /**
   * Settles guards below `below`, innermost first, each with its classifier's verdict, computed
   * once per distinct classifier. A guard without one gets the verdict of the guard inside it
   * (or the default classifier's).
   */
  settleFrom(frame: AttemptFrame, below: number, failed: boolean, outcome: unknown): void {
    let lastClassifier: Classifier<unknown> | undefined;
    let verdict: Verdict = 'success';
    // A classifier or guard that throws must not keep the guards outside it from settling (a
    // bulkhead slot would leak): every guard settles, then the first error replaces the
    // outcome, as it would have coming out of nested layers.
    let threw = false;
    let thrown: unknown;
    for (let i = below - 1; i >= 0; i--) {
      if (!this.#settling[i]) continue;
      const classifier =
        this.#classifiers[i] ?? lastClassifier ?? (defaultClassifier as Classifier<unknown>);
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
        this.#guards[i]!.settle!(tokenAt(frame, i), verdict, frame);
      } catch (error) {
        if (!threw) thrown = error;
        threw = true;
      }
    }
    if (threw) throw thrown;
  }

  #admitFrom(req: unknown, frame: AttemptFrame, from: number): void {
    const guards = this.#guards;
    for (let i = from; i < this.size; i++) {
      let token: unknown;
      try {
        token = guards[i]!.admit(frame);
      } catch (error) {
        frame.refuse(i, error);
        return;
      }
      if (token === WAIT) {
        this.#waitAt(req, frame, i);
        return;
      }
      setToken(frame, i, token);
    }
    // Guards that need not hear the outcome leave it to go straight out.
    const settler = this.#anySettle ? frame : frame.outer;
    try {
      this.#next(req, frame.ctx, settler);
    } catch (error) {
      settler.reject(error);
    }
  }

  #waitAt(req: unknown, frame: AttemptFrame, at: number): void {
    this.#guards[at]!.wait!(frame).then(
      (token) => {
        setToken(frame, at, token);
        this.#admitFrom(req, frame, at + 1);
      },
      (error: unknown) => frame.refuse(at, error),
    );
  }
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
