import type { RateLimitOptions } from '../config/options.js';
import {
  checkExtras,
  checkKeys,
  type PolicyExtras,
  settingValue,
} from '../config/policy-options.js';
import { int, onOff, type SettingDef } from '../config/setting.js';
import { ConfigInvalidError } from '../errors/errors.js';

const PER_SECOND = int(
  {
    env: 'RATE_LIMIT_PER_SECOND',
    path: ['rateLimit', 'perSecond'],
    doc: 'Tokens added per second.',
  },
  1,
  10_000_000,
  undefined,
  'per second',
);

const BURST = int(
  {
    env: 'RATE_LIMIT_BURST',
    path: ['rateLimit', 'burst'],
    doc: 'Bucket size; unset means one second of tokens.',
  },
  1,
  10_000_000,
);

export const RATE_LIMIT_SETTINGS: readonly SettingDef[] = [
  onOff(
    {
      env: 'RATE_LIMIT',
      path: ['rateLimit'],
      doc: 'Client-side token-bucket rate limit (off until configured).',
    },
    false,
  ),
  PER_SECOND,
  BURST,
];

export interface RateLimitPolicyOptions extends RateLimitOptions, PolicyExtras {}

export interface ResolvedRateLimitOptions {
  /** Tokens added per second. Required: rate limiting is off until configured. */
  readonly perSecond: number;
  /** Bucket size: calls that may go at once after a quiet spell. Default: one second of tokens. */
  readonly burst: number;
}

/** Fills defaults and validates from the settings above; throws `CONFIG_INVALID`. */
export function resolveRateLimitOptions(options: RateLimitPolicyOptions): ResolvedRateLimitOptions {
  checkKeys('rateLimit', options, ['perSecond', 'burst']);
  checkExtras('rateLimit', options);
  const perSecond = settingValue(PER_SECOND, options);
  if (perSecond === undefined) {
    throw new ConfigInvalidError({
      setting: 'option rateLimit.perSecond',
      value: 'unset',
      expected: 'a rate (rateLimit.perSecond or RATE_LIMIT_PER_SECOND) when rate limiting is on',
    });
  }
  const burst = settingValue(BURST, options) ?? perSecond;
  return { perSecond, burst };
}
