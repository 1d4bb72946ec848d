import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors/errors.js';
import { type BulkheadPolicyOptions, bulkhead } from './index.js';

describe('bulkhead() options', () => {
  it.each([
    [
      { maxConcurrent: 0 },
      /option bulkhead.maxConcurrent=0 is not valid: expected an integer from 1/,
    ],
    [{ maxQueue: -1 }, /bulkhead.maxQueue=-1 .* from 0 to/],
    [{ queueTimeoutMs: 0.5 }, /bulkhead.queueTimeoutMs=0.5 .*milliseconds/],
    [
      { maxConcurent: 4 },
      /bulkhead.maxConcurent is not an option of bulkhead; did you mean maxConcurrent\?/,
    ],
    [{ events: {} }, /option bulkhead.events=.* an EventBus/],
  ])('refuses bad options with CONFIG_INVALID naming them: %o', (options, message) => {
    expect(() => bulkhead(options as BulkheadPolicyOptions)).toThrow(ConfigInvalidError);
    expect(() => bulkhead(options as BulkheadPolicyOptions)).toThrow(message);
  });

  it('fills defaults from the settings schema', () => {
    const { bulkhead: slots } = bulkhead();
    expect([slots.maxConcurrent, slots.maxQueue, slots.queueTimeoutMs]).toEqual([
      1024,
      1024,
      undefined,
    ]);
  });
});
