import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors/errors.js';
import { type BreakerPolicyOptions, breaker } from './index.js';

describe('breaker() options', () => {
  it.each([
    [
      { volumeThreshold: 0 },
      /option breaker.volumeThreshold=0 is not valid: expected an integer from 1/,
    ],
    [{ errorThresholdPercent: 120 }, /errorThresholdPercent=120 .* from 0 to 100/],
    [{ resetTimeoutMs: '5s' }, /resetTimeoutMs="5s" .*milliseconds/],
    [{ rollingWindowMs: 10 }, /rollingWindowMs=10 .* from 100 to/],
    [
      { volumeTreshold: 5 },
      /breaker.volumeTreshold is not an option of breaker; did you mean volumeThreshold\?/,
    ],
    [{ clock: {} }, /option breaker.clock=.* a Clock/],
  ])('refuses bad options with CONFIG_INVALID naming them: %o', (options, message) => {
    const error = (() => {
      try {
        breaker(options as BreakerPolicyOptions);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as Error).message).toMatch(message);
  });

  it('fills defaults from the settings schema', () => {
    const { circuit } = breaker();
    expect([
      circuit.errorThresholdPercent,
      circuit.volumeThreshold,
      circuit.resetTimeoutMs,
      circuit.rollingWindowMs,
    ]).toEqual([50, 20, 10_000, 10_000]);
  });
});
