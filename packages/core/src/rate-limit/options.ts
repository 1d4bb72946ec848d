import type { RateLimitOptions } from '../config/options.js';
import {
  checkExtras,
  checkKeys,
  type PolicyExtras,
  settingValue,
} from '../config/policy-options.js';
import { ConfigInvalidError } from '../errors/errors.js';

export interface RateLimitPolicyOptions extends RateLimitOptions, PolicyExtras {}

export interface ResolvedRateLimitOptions {
  /** Tokens added per second. Required: rate limiting is off until configured. */
  readonly perSecond: number;
  /** Bucket size: calls that may go at once after a quiet spell. Default: one second of tokens. */
  readonly burst: number;
}

/** Fills defaults and validates against the settings schema; throws `CONFIG_INVALID`. */
export function resolveRateLimitOptions(options: RateLimitPolicyOptions): ResolvedRateLimitOptions {
  checkKeys('rateLimit', options, ['perSecond', 'burst']);
  checkExtras('rateLimit', options);
  const perSecond = settingValue('rateLimit', 'perSecond', options) as number | undefined;
  if (perSecond === undefined) {
    throw new ConfigInvalidError({
      setting: 'option rateLimit.perSecond',
      value: 'unset',
      expected: 'a rate (rateLimit.perSecond or RATE_LIMIT_PER_SECOND) when rate limiting is on',
    });
  }
  const burst = (settingValue('rateLimit', 'burst', options) as number | undefined) ?? perSecond;
  return { perSecond, burst };
}
