import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors/errors.js';
import { type RateLimitPolicyOptions, rateLimit } from './index.js';

describe('rateLimit() options', () => {
  it.each([
    [{}, /option rateLimit.perSecond="unset" .* a rate/],
    [{ perSecond: 0 }, /option rateLimit.perSecond=0 is not valid: expected an integer from 1/],
    [{ perSecond: 10, burst: 0 }, /rateLimit.burst=0 .* from 1/],
    [
      { perSecond: 10, brust: 5 },
      /rateLimit.brust is not an option of rateLimit; did you mean burst\?/,
    ],
    [{ perSecond: 10, service: '' }, /option rateLimit.service="" .* non-empty/],
  ])('refuses bad options with CONFIG_INVALID naming them: %o', (options, message) => {
    expect(() => rateLimit(options as RateLimitPolicyOptions)).toThrow(ConfigInvalidError);
    expect(() => rateLimit(options as RateLimitPolicyOptions)).toThrow(message);
  });
});
