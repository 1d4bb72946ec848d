import type { BreakerOptions } from '../config/options.js';
import {
  checkExtras,
  checkKeys,
  HOUR_MS,
  type PolicyExtras,
  settingValue,
} from '../config/policy-options.js';
import { int, ms, onOff, percent, type SettingDef } from '../config/setting.js';

/** Window after opossum's and Hystrix's: 50% errors over at least 20 calls in 10 s. */
const ERROR_THRESHOLD_PERCENT = percent(
  {
    env: 'BREAKER_ERROR_THRESHOLD_PERCENT',
    path: ['breaker', 'errorThresholdPercent'],
    doc: 'Failure percentage in the window that opens the circuit.',
  },
  50,
);

const VOLUME_THRESHOLD = int(
  {
    env: 'BREAKER_VOLUME_THRESHOLD',
    path: ['breaker', 'volumeThreshold'],
    doc: 'Calls in the window before the breaker may open.',
  },
  1,
  1_000_000,
  20,
);

const RESET_TIMEOUT_MS = ms(
  {
    env: 'BREAKER_RESET_TIMEOUT_MS',
    path: ['breaker', 'resetTimeoutMs'],
    doc: 'Time open before one trial call is let through.',
  },
  1,
  HOUR_MS,
  10_000,
);

const ROLLING_WINDOW_MS = ms(
  {
    env: 'BREAKER_ROLLING_WINDOW_MS',
    path: ['breaker', 'rollingWindowMs'],
    doc: 'Length of the rolling window (10 buckets).',
  },
  100,
  HOUR_MS,
  10_000,
);

export const BREAKER_SETTINGS: readonly SettingDef[] = [
  onOff({ env: 'BREAKER', path: ['breaker'], doc: 'Service-level circuit breaker.' }, true),
  ERROR_THRESHOLD_PERCENT,
  VOLUME_THRESHOLD,
  RESET_TIMEOUT_MS,
  ROLLING_WINDOW_MS,
];

export interface BreakerPolicyOptions extends BreakerOptions, PolicyExtras {}

/** Breaker options with every default filled in. */
export interface ResolvedBreakerOptions {
  readonly errorThresholdPercent: number;
  readonly volumeThreshold: number;
  readonly resetTimeoutMs: number;
  readonly rollingWindowMs: number;
}

/**
 * Fills defaults and validates from the settings above, so a factory called directly refuses
 * exactly what `OUTRIGGER_*` variables and client options do.
 */
export function resolveBreakerOptions(options: BreakerPolicyOptions = {}): ResolvedBreakerOptions {
  checkKeys('breaker', options, [
    'errorThresholdPercent',
    'volumeThreshold',
    'resetTimeoutMs',
    'rollingWindowMs',
  ]);
  checkExtras('breaker', options);
  return {
    errorThresholdPercent: settingValue(ERROR_THRESHOLD_PERCENT, options) as number,
    volumeThreshold: settingValue(VOLUME_THRESHOLD, options) as number,
    resetTimeoutMs: settingValue(RESET_TIMEOUT_MS, options) as number,
    rollingWindowMs: settingValue(ROLLING_WINDOW_MS, options) as number,
  };
}
