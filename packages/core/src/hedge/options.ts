import type { RetryBudget } from '../budget/retry-budget.js';
import type { Classifier } from '../classify/classifier.js';
import type { HedgeOptions } from '../config/options.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Clock } from '../time/clock.js';

export interface HedgePolicyOptions extends HedgeOptions {
  /** The client's shared budget; every hedge withdraws from it. */
  budget?: RetryBudget | undefined;
  /** Whether this policy deposits per call; false when a retry policy on the same budget does. Default true. */
  deposit?: boolean | undefined;
  /** Samples needed before a percentile delay is trusted; until then no hedging. Default 20. */
  minSamples?: number | undefined;
  classifier?: Classifier<never> | undefined;
  events?: EventBus | undefined;
  clock?: Clock | undefined;
}

export function checkHedgeOptions(options: HedgePolicyOptions): {
  delayMs: number | undefined;
  percentile: number;
  maxAttempts: number;
} {
  const { delayMs, percentile = 95, maxAttempts = 2 } = options;
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) {
    throw new ConfigInvalidError({
      setting: 'hedge() delayMs',
      value: delayMs,
      expected: 'a number of milliseconds >= 0',
    });
  }
  if (!(percentile > 0 && percentile <= 100)) {
    throw new ConfigInvalidError({
      setting: 'hedge() percentile',
      value: percentile,
      expected: 'a percentile above 0, at most 100',
    });
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 2 || maxAttempts > 5) {
    throw new ConfigInvalidError({
      setting: 'hedge() maxAttempts',
      value: maxAttempts,
      expected: 'an integer from 2 to 5',
    });
  }
  return { delayMs, percentile, maxAttempts };
}
