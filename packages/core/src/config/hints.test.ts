import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors/errors.js';
import type { ClientOptions } from './options.js';
import { resolveConfig } from './resolve.js';
import { nearestName } from './typo.js';

/** The CONFIG_INVALID that resolving `options` (on top of a valid base) throws. */
function refusal(
  options: Record<string, unknown>,
  env: Record<string, string> = {},
): ConfigInvalidError {
  try {
    resolveConfig({ service: 'payments', env, ...options } as ClientOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigInvalidError);
    return error as ConfigInvalidError;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('an unknown option names the key, the nearest valid one and every valid one', () => {
  it('inside a section, without pretending the value was wrong', () => {
    const error = refusal({ timeout: { totalMS: 2000 } });
    expect(error.message).toBe(
      'payments: timeout.totalMS is not an option of timeout; did you mean totalMs? ' +
        '(valid: totalMs, perTryMs). Write timeout: { totalMs: 2000 }',
    );
    expect(error).toMatchObject({
      setting: 'option timeout.totalMS',
      value: 2000,
      expected: 'one of totalMs, perTryMs',
    });
  });

  it('at the top level, guessing past case and plural, with the section written out', () => {
    const retries = refusal({ retries: 3 });
    expect(retries.message).toMatch(
      /^payments: retries is not a client option; did you mean retry\?/,
    );
    expect(retries.message).toMatch(/\. Write retry: \{ maxAttempts: 3 \}$/);
    expect(refusal({ Timeout: { totalMs: 5 } }).message).toMatch(/did you mean timeout\?/);
  });

  it('deeper down, and with no guess when nothing is near', () => {
    expect(refusal({ retry: { budget: { ration: 0.1 } } }).message).toBe(
      'payments: retry.budget.ration is not an option of retry.budget; did you mean ratio? ' +
        '(valid: ratio, minPerSecond, ttlMs). Write retry: { budget: { ratio: 0.1 } }',
    );
    expect(refusal({ timeout: { whenever: 1 } }).message).toBe(
      'payments: timeout.whenever is not an option of timeout (valid: totalMs, perTryMs)',
    );
  });

  it('suggests the valid form with the expected value when the given one would not do', () => {
    expect(refusal({ timeout: { total: 'soon' } }).message).toMatch(
      /did you mean totalMs\? .*Write timeout: \{ totalMs: <an integer from 1 to 3600000 \(milliseconds\)> \}$/,
    );
  });
});

describe('a section given a scalar shows the section built around its main setting', () => {
  it.each([
    [{ timeout: 2000 }, 'option timeout=2000', 'timeout: { totalMs: 2000 }'],
    [{ retry: 3 }, 'option retry=3', 'retry: { maxAttempts: 3 }'],
    [{ bulkhead: 64 }, 'option bulkhead=64', 'bulkhead: { maxConcurrent: 64 }'],
    [{ rateLimit: 100 }, 'option rateLimit=100', 'rateLimit: { perSecond: 100 }'],
    [{ retry: { budget: 0.1 } }, 'option retry.budget=0.1', 'retry: { budget: { ratio: 0.1 } }'],
    [{ fault: { delay: 5 } }, 'option fault.delay=5', 'fault: { delay: { percent: 5 } }'],
    [
      { timeout: '2s' },
      'option timeout="2s"',
      'timeout: { totalMs: <an integer from 1 to 3600000 (milliseconds)> }',
    ],
    [{ breaker: true }, 'option breaker=true', 'breaker: {} for its defaults'],
  ])('%o', (options, named, form) => {
    const { message } = refusal(options);
    expect(message).toContain(`payments: ${named} is not valid: expected an options object`);
    expect(message.endsWith(`. Write ${form}`)).toBe(true);
  });

  it('gives no form for an array, which no setting takes', () => {
    expect(refusal({ timeout: [1] }).message).not.toContain('Write');
  });
});

describe('an endpoint list with a URL in it says to drop the scheme', () => {
  it('in code, as an array or a single string', () => {
    expect(refusal({ discovery: ['http://10.0.0.5:8080'] }).message).toMatch(
      /option discovery=.*http:\/\/10\.0\.0\.5:8080.* is not valid: .*\. Drop the scheme from "http:\/\/10\.0\.0\.5:8080": \["10\.0\.0\.5:8080"\]$/,
    );
    expect(refusal({ discovery: 'https://payments.internal:443' }).message).toMatch(
      /Drop the scheme from "https:\/\/payments\.internal:443": \["payments\.internal:443"\]$/,
    );
    expect(refusal({ discovery: 'a:1' }).message).toMatch(
      /In code the endpoints are an array: \["a:1"\]$/,
    );
  });

  it('in the environment, keeping the good entries and asking for a missing port', () => {
    const env = { OUTRIGGER_PAYMENTS_ENDPOINTS: 'http://a:1,b:2' };
    expect(refusal({}, env).message).toBe(
      'OUTRIGGER_PAYMENTS_ENDPOINTS="http://a:1,b:2" is not valid: expected a comma-separated ' +
        'list of host:port (port 1 to 65535), at least one. Drop the scheme from "http://a:1": a:1,b:2',
    );
    expect(refusal({}, { OUTRIGGER_PAYMENTS_ENDPOINTS: 'http://a' }).message).toMatch(
      /Drop the scheme from "http:\/\/a" and give the port: a:<port>$/,
    );
    expect(refusal({}, { OUTRIGGER_PAYMENTS_ENDPOINTS: 'a' }).message).toMatch(
      /Give "a" its port: a:<port>$/,
    );
  });
});

describe('nearestName', () => {
  it('matches past case and a plural ending, then within two edits', () => {
    expect(nearestName('retries', ['timeout', 'retry'])).toBe('retry');
    expect(nearestName('totalMS', ['totalMs', 'perTryMs'])).toBe('totalMs');
    expect(nearestName('maxAttempt', ['maxAttempts', 'maxRequeues'])).toBe('maxAttempts');
    expect(nearestName('bulkhed', ['breaker', 'bulkhead'])).toBe('bulkhead');
  });

  it('guesses nothing for a name that is not near any', () => {
    expect(nearestName('whenever', ['totalMs', 'perTryMs'])).toBeUndefined();
    expect(nearestName('tl', ['zone', 'env'])).toBeUndefined();
  });
});

describe('a section switch given a number in the environment', () => {
  it("names the section's main variable in the same scope", () => {
    expect(refusal({}, { OUTRIGGER_PAYMENTS_TIMEOUT: '2000' }).message).toBe(
      'OUTRIGGER_PAYMENTS_TIMEOUT="2000" is not valid: expected on or off (also true/false, 1/0, ' +
        'yes/no). TIMEOUT switches timeout on or off; for its value set OUTRIGGER_PAYMENTS_TIMEOUT_MS=2000',
    );
    expect(refusal({}, { OUTRIGGER_DEFAULT_RETRY: '5' }).message).toMatch(
      /for its value set OUTRIGGER_DEFAULT_RETRY_MAX_ATTEMPTS=5$/,
    );
    expect(refusal({}, { OUTRIGGER_PAYMENTS_BREAKER: 'maybe' }).message).not.toContain(
      'for its value',
    );
  });
});
