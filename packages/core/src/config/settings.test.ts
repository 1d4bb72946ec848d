import { describe, expect, it } from 'vitest';
import { resolveBreakerOptions } from '../breaker/options.js';
import { RetryBudget } from '../budget/retry-budget.js';
import { resolveBulkheadOptions } from '../bulkhead/options.js';
import { resolveFault } from '../fault/options.js';
import { checkHedgeOptions } from '../hedge/options.js';
import { resolveOutlierOptions } from '../outlier/options.js';
import { checkRetryOptions } from '../retry/options.js';
import { SETTINGS, SETTINGS_BY_ENV } from './settings.js';

/** The default of the setting with this env suffix. */
const d = (env: string) => {
  const def = SETTINGS_BY_ENV.get(env);
  if (!def) throw new Error(`no setting ${env}`);
  return def.default;
};

describe('SETTINGS, collected from each concern', () => {
  it('has one setting per variable and per option path', () => {
    expect(SETTINGS_BY_ENV.size).toBe(SETTINGS.length);
    expect(new Set(SETTINGS.map((s) => s.path.join('.'))).size).toBe(SETTINGS.length);
  });

  it('holds only defaults that its own ranges allow', () => {
    for (const def of SETTINGS) {
      if (def.default !== undefined) expect(def.schema.safeParse(def.default).success).toBe(true);
    }
  });

  it('gives a policy built in code the same defaults as a client', () => {
    expect(checkRetryOptions({})).toEqual({
      maxAttempts: d('RETRY_MAX_ATTEMPTS'),
      maxRequeues: undefined,
      backoff: {
        baseMs: d('RETRY_BACKOFF_BASE_MS'),
        maxMs: d('RETRY_BACKOFF_MAX_MS'),
        jitter: d('RETRY_BACKOFF_JITTER'),
      },
      retryAfterMaxMs: d('RETRY_AFTER_MAX_MS'),
    });
    const budget = new RetryBudget();
    expect([budget.ratio, budget.minPerSecond, budget.ttlMs]).toEqual(
      ['RETRY_BUDGET_RATIO', 'RETRY_BUDGET_MIN_PER_SECOND', 'RETRY_BUDGET_TTL_MS'].map(d),
    );
    expect(checkHedgeOptions({})).toEqual({
      delayMs: undefined,
      percentile: d('HEDGE_DELAY_PERCENTILE'),
      maxAttempts: d('HEDGE_MAX_ATTEMPTS'),
    });
    expect(resolveBreakerOptions()).toEqual({
      errorThresholdPercent: d('BREAKER_ERROR_THRESHOLD_PERCENT'),
      volumeThreshold: d('BREAKER_VOLUME_THRESHOLD'),
      resetTimeoutMs: d('BREAKER_RESET_TIMEOUT_MS'),
      rollingWindowMs: d('BREAKER_ROLLING_WINDOW_MS'),
    });
    expect(resolveBulkheadOptions()).toEqual({
      maxConcurrent: d('BULKHEAD_MAX_CONCURRENT'),
      maxQueue: d('BULKHEAD_MAX_QUEUE'),
      queueTimeoutMs: undefined,
    });
    expect(resolveOutlierOptions({}, 'svc')).toMatchObject({
      consecutiveFailures: d('OUTLIER_CONSECUTIVE_FAILURES'),
      baseEjectionMs: d('OUTLIER_BASE_EJECTION_MS'),
      maxEjectionMs: d('OUTLIER_MAX_EJECTION_MS'),
      maxEjectionPercent: d('OUTLIER_MAX_EJECTION_PERCENT'),
      panicThresholdPercent: d('PANIC_THRESHOLD_PERCENT'),
    });
    expect(resolveFault({}, 'fault')).toEqual({
      delayPercent: d('FAULT_DELAY_PERCENT'),
      delayMs: d('FAULT_DELAY_MS'),
      abortPercent: d('FAULT_ABORT_PERCENT'),
      abortStatus: d('FAULT_ABORT_STATUS'),
      abortError: undefined,
    });
  });

  it('lets a retry built in code skip the backoff, which the setting refuses', () => {
    expect(checkRetryOptions({ backoff: { baseMs: 0, maxMs: 0 } }).backoff).toMatchObject({
      baseMs: 0,
      maxMs: 0,
    });
    expect(() => checkRetryOptions({ backoff: { baseMs: -1 } })).toThrow(
      /retry\(\) backoff\.baseMs=-1 is not valid: expected an integer from 1 to 3600000 \(milliseconds\), or 0 for none/,
    );
  });
});
