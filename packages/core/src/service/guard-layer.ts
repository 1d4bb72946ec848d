/**
 * The machinery behind guards (`guard.ts`): a run of adjacent guards as one layer, with one
 * frame per attempt that is also the settler of the service inside (decisions 0037, 0041).
 */
import type { Classifier, Verdict } from '../classify/classifier.js';
import { defaultClassifier } from '../classify/classifier.js';
import type { CallContext } from '../context/call-context.js';
import type { DirectService, Settler } from './direct.js';
import type { Guard } from './guard.js';
import { WAIT } from './guard-wait.js';
import { classify, failedWith, type Outcome } from './outcome.js';

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
  settle(outcome: Outcome<unknown>): void {
    this.#end(outcome, this.#layer.size);
  }

  /** @internal a guard refused: those that admitted the attempt (below it) settle with the refusal */
  refuse(below: number, error: unknown): void {
    this.#end(failedWith(error), below);
  }

  #end(outcome: Outcome<unknown>, below: number): void {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#layer.settleFrom(this, below, outcome);
    } catch (settleError) {
      // What a guard or classifier threw replaces the outcome, as out of nested layers.
      outcome = failedWith(settleError);
    }
    this.outer.settle(outcome);
  }
}

/**
 * A run of up to four guards around `next`, as one layer. Its direct form admits an attempt
 * outermost first and hands `next` the attempt's frame as its settler: the outcome settles the
 * guards innermost first on its way out, with no promise reaction of the layer's own.
 */
export class FusedLayer {
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
  settleFrom(frame: AttemptFrame, below: number, outcome: Outcome<unknown>): void {
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
          verdict = classify(classifier, outcome, frame.ctx);
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
      settler.settle(failedWith(error));
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
