import type { RetryBudget } from '../budget/retry-budget.js';
import type { Classifier } from '../classify/classifier.js';
import type { RetryOptions } from '../config/options.js';
import { JITTER_KINDS } from '../config/settings.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Clock } from '../time/clock.js';
import type { Backoff } from './backoff.js';

export interface RetryPolicyOptions extends Omit<RetryOptions, 'budget'> {
  /** A shared budget (one per client), or options for a budget of this policy's own. */
  budget?: RetryBudget | RetryOptions['budget'];
  classifier?: Classifier<never> | undefined;
  events?: EventBus | undefined;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
  /**
   * How many endpoints an attempt can go to now; the chain passes its load balancer's. It sets
   * the default requeue bound (one pass over them) and tells a requeue to an untried endpoint
   * (at once) from one that would meet a tried one again (after a backoff). Without it, requeues
   * default to 0 and always wait a backoff.
   */
  endpointCount?: (() => number) | undefined;
}

export interface CheckedRetryOptions {
  readonly maxAttempts: number;
  /** Undefined: one pass over the endpoints (`requeueBound`). */
  readonly maxRequeues: number | undefined;
  readonly backoff: Backoff;
  readonly retryAfterMaxMs: number;
}

function int(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigInvalidError({
      setting: `retry() ${name}`,
      value,
      expected: `an integer from ${min} to ${max}`,
    });
  }
  return value;
}

export function checkRetryOptions(options: RetryPolicyOptions): CheckedRetryOptions {
  const baseMs = int('backoff.baseMs', options.backoff?.baseMs ?? 25, 0, 3_600_000);
  const maxMs = int('backoff.maxMs', options.backoff?.maxMs ?? 250, baseMs, 3_600_000);
  const jitter = options.backoff?.jitter ?? 'full';
  if (!JITTER_KINDS.includes(jitter)) {
    throw new ConfigInvalidError({
      setting: 'retry() backoff.jitter',
      value: jitter,
      expected: `one of ${JITTER_KINDS.join(', ')}`,
    });
  }
  if (options.endpointCount !== undefined && typeof options.endpointCount !== 'function') {
    throw new ConfigInvalidError({
      setting: 'retry() endpointCount',
      value: options.endpointCount,
      expected: 'a function returning how many endpoints an attempt can go to',
    });
  }
  return {
    maxAttempts: int('maxAttempts', options.maxAttempts ?? 3, 1, 10),
    maxRequeues:
      options.maxRequeues === undefined
        ? undefined
        : int('maxRequeues', options.maxRequeues, 0, 10),
    backoff: { baseMs, maxMs, jitter },
    retryAfterMaxMs: int('retryAfterMaxMs', options.retryAfterMaxMs ?? 10_000, 0, 3_600_000),
  };
}
