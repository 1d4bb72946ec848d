import type { BreakerOptions } from '../config/options.js';
import {
  checkExtras,
  checkKeys,
  type PolicyExtras,
  settingValue,
} from '../config/policy-options.js';

export interface BreakerPolicyOptions extends BreakerOptions, PolicyExtras {}

/** Breaker options with every default filled in. */
export interface ResolvedBreakerOptions {
  readonly errorThresholdPercent: number;
  readonly volumeThreshold: number;
  readonly resetTimeoutMs: number;
  readonly rollingWindowMs: number;
}

/**
 * Fills defaults and validates, from the one settings schema (`config/settings.ts`), so a
 * factory called directly refuses exactly what `OUTRIGGER_*` variables and client options do.
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
    errorThresholdPercent: settingValue('breaker', 'errorThresholdPercent', options) as number,
    volumeThreshold: settingValue('breaker', 'volumeThreshold', options) as number,
    resetTimeoutMs: settingValue('breaker', 'resetTimeoutMs', options) as number,
    rollingWindowMs: settingValue('breaker', 'rollingWindowMs', options) as number,
  };
}
