import { HOUR_MS } from '../config/policy-options.js';
import { ms, onOff, type SettingDef } from '../config/setting.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Clock } from '../time/clock.js';

export const TIMEOUT_SETTINGS: readonly SettingDef[] = [
  onOff({ env: 'TIMEOUT', path: ['timeout'], doc: 'Deadlines on every call.' }, true),
  ms(
    {
      env: 'TIMEOUT_MS',
      path: ['timeout', 'totalMs'],
      doc: 'Total deadline of a logical call, retries included.',
    },
    1,
    HOUR_MS,
    10_000,
  ),
  ms(
    {
      env: 'PER_TRY_TIMEOUT_MS',
      path: ['timeout', 'perTryMs'],
      doc: 'Deadline of each attempt (never beyond the total).',
    },
    1,
    HOUR_MS,
  ),
];

export interface TimeoutPolicyOptions {
  /**
   * Total deadline of the logical call (place it outside retries). Exactly one of `totalMs` and
   * `perTryMs` is given: a per-try timeout sits inside the retry policy, so it is a separate policy.
   */
  totalMs?: number | undefined;
  /** Deadline of each attempt; never beyond the total. */
  perTryMs?: number | undefined;
  service?: string | undefined;
  clock?: Clock | undefined;
  events?: EventBus | undefined;
}

/**
 * A `timeout()` built in code takes any positive duration a timer can hold (fractions, beyond an
 * hour), wider than the settings above, and has no default (without one, a call keeps the
 * deadline it inherited), so it repeats neither their range nor their default.
 */
const MAX_MS = 2_147_483_647;

export function checkTimeoutOptions(options: TimeoutPolicyOptions): {
  ms: number | undefined;
  kind: 'total' | 'per-try';
} {
  const { totalMs, perTryMs } = options;
  if (totalMs !== undefined && perTryMs !== undefined) {
    throw new ConfigInvalidError({
      setting: 'timeout()',
      value: { totalMs, perTryMs },
      expected:
        'one of totalMs or perTryMs: a per-try timeout belongs inside retry(), so it is its own policy',
    });
  }
  const [name, ms] = perTryMs !== undefined ? ['perTryMs', perTryMs] : ['totalMs', totalMs];
  if (ms !== undefined && !(Number.isFinite(ms) && ms > 0 && ms <= MAX_MS)) {
    throw new ConfigInvalidError({
      setting: `timeout() ${name}`,
      value: ms,
      expected: `a number of milliseconds from >0 to ${MAX_MS}`,
    });
  }
  return { ms, kind: perTryMs !== undefined ? 'per-try' : 'total' };
}
