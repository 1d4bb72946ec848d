import { ConfigInvalidError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Clock } from '../time/clock.js';

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

const MAX_MS = 2_147_483_647;

export function checkTimeoutOptions(options: TimeoutPolicyOptions): {
  ms: number | undefined;
  kind: 'total' | 'per-try';
} {
  const { totalMs, perTryMs } = options;
  if (totalMs !== undefined && perTryMs !== undefined) {
    throw new ConfigInvalidError({
      setting: 'timeout()',
      value: JSON.stringify({ totalMs, perTryMs }),
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
