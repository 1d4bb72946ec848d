import type { RetryBudget } from '../budget/retry-budget.js';
import type { Classifier } from '../classify/classifier.js';
import type { HedgeOptions } from '../config/options.js';
import { checkedValue, HOUR_MS } from '../config/policy-options.js';
import { int, ms, onOff, percent, type SettingDef } from '../config/setting.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Clock } from '../time/clock.js';

const PERCENTILE = percent(
  {
    env: 'HEDGE_DELAY_PERCENTILE',
    path: ['hedge', 'percentile'],
    doc: 'Latency percentile of recent calls used as the hedge delay.',
  },
  95,
);

const MAX_ATTEMPTS = int(
  {
    env: 'HEDGE_MAX_ATTEMPTS',
    path: ['hedge', 'maxAttempts'],
    doc: 'Attempts in flight at most, the first included.',
  },
  2,
  5,
  2,
);

export const HEDGE_SETTINGS: readonly SettingDef[] = [
  onOff(
    {
      env: 'HEDGE',
      path: ['hedge'],
      doc: 'Hedged requests for idempotent calls (off until configured).',
    },
    false,
  ),
  ms(
    {
      env: 'HEDGE_DELAY_MS',
      path: ['hedge', 'delayMs'],
      doc: 'Fixed hedge delay; unset means the latency percentile below.',
    },
    1,
    HOUR_MS,
  ),
  PERCENTILE,
  MAX_ATTEMPTS,
];

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
  const delayMs = options.delayMs;
  // In code a hedge may go at once (0), after a fraction of a millisecond or after hours; the
  // setting takes whole milliseconds from 1 to an hour, so this range is the code option's own.
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) {
    throw new ConfigInvalidError({
      setting: 'hedge() delayMs',
      value: delayMs,
      expected: 'a number of milliseconds >= 0',
    });
  }
  // The 0th percentile (the fastest call seen) would hedge nearly every call.
  const percentileExpected = `${PERCENTILE.expected}, above 0`;
  const percentile = checkedValue(
    PERCENTILE,
    options.percentile === undefined ? PERCENTILE.default : options.percentile,
    'hedge() percentile',
    percentileExpected,
  );
  if (percentile === 0) {
    throw new ConfigInvalidError({
      setting: 'hedge() percentile',
      value: percentile,
      expected: percentileExpected,
    });
  }
  const maxAttempts = checkedValue(
    MAX_ATTEMPTS,
    options.maxAttempts === undefined ? MAX_ATTEMPTS.default : options.maxAttempts,
    'hedge() maxAttempts',
  );
  return { delayMs, percentile, maxAttempts };
}
