import type { Classifier, Verdict } from '../classify/classifier.js';
import { type DirectService, directOf, directService } from './direct.js';
import { type AttemptFrame, FusedLayer } from './guard-layer.js';
import {
  honoursCancellation,
  isCancellationHonoured,
  type Policy,
  type Service,
} from './service.js';

export { AttemptFrame } from './guard-layer.js';

import { WAIT } from './guard-wait.js';

export { WAIT };

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
