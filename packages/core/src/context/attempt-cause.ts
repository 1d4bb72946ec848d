import type { Verdict } from '../classify/classifier.js';
import { contextKey } from './context-key.js';

/**
 * Why an attempt that is not its call's first was made: a retry or requeue of an outcome
 * judged `reason`, or a hedge. Set by the retry and hedge positions on that attempt's context
 * (a derivation only when a call makes more than one attempt); telemetry names it on the
 * attempt's span.
 */
export type AttemptCause =
  | { readonly kind: 'retry' | 'requeue'; readonly reason: Verdict }
  | { readonly kind: 'hedge' };

export const ATTEMPT_CAUSE = contextKey<AttemptCause>('outrigger.attemptCause');

export const HEDGE_CAUSE: AttemptCause = Object.freeze({ kind: 'hedge' });
