import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors/errors.js';
import { serviceEnvKey } from './env.js';
import { resolveConfig } from './resolve.js';

const base = { service: 'payments', env: {} };

function invalid(fn: () => unknown): ConfigInvalidError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigInvalidError);
    return error as ConfigInvalidError;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('resolveConfig precedence', () => {
  it('uses production defaults with nothing set: deadlines, budgeted retries, breaker, bulkhead, outlier on', () => {
    const { config, sourceOf } = resolveConfig(base);
    expect(config.timeout).toEqual({ totalMs: 10_000, perTryMs: undefined });
    expect(config.retry).toMatchObject({
      maxAttempts: 3,
      budget: { ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 },
    });
    expect(config.breaker).toMatchObject({ errorThresholdPercent: 50, volumeThreshold: 20 });
    expect(config.bulkhead).toMatchObject({ maxConcurrent: 1024, maxQueue: 1024 });
    expect(config.outlierDetection).toMatchObject({
      consecutiveFailures: 5,
      panicThresholdPercent: 50,
    });
    expect(config.balancer).toBe('p2c-ewma');
    expect([config.hedge, config.rateLimit, config.fault]).toEqual([false, false, false]);
    expect(sourceOf('TIMEOUT_MS')).toEqual({ kind: 'default' });
  });

  it('OUTRIGGER_DEFAULT_* beats the built-in default', () => {
    const { config, sourceOf } = resolveConfig({
      ...base,
      env: { OUTRIGGER_DEFAULT_TIMEOUT_MS: '3000' },
    });
    expect(config.timeout).toMatchObject({ totalMs: 3_000 });
    expect(sourceOf('TIMEOUT_MS')).toEqual({
      kind: 'env',
      variable: 'OUTRIGGER_DEFAULT_TIMEOUT_MS',
    });
  });

  it('code beats OUTRIGGER_DEFAULT_*', () => {
    const { config, sourceOf } = resolveConfig({
      ...base,
      timeout: { totalMs: 2_000 },
      env: { OUTRIGGER_DEFAULT_TIMEOUT_MS: '3000' },
    });
    expect(config.timeout).toMatchObject({ totalMs: 2_000 });
    expect(sourceOf('TIMEOUT_MS')).toEqual({ kind: 'code', option: 'timeout.totalMs' });
  });

  it('OUTRIGGER_<SERVICE>_* beats code, so an operator can tune without a redeploy', () => {
    const { config, sourceOf } = resolveConfig({
      ...base,
      timeout: { totalMs: 2_000 },
      env: { OUTRIGGER_DEFAULT_TIMEOUT_MS: '3000', OUTRIGGER_PAYMENTS_TIMEOUT_MS: '1500' },
    });
    expect(config.timeout).toMatchObject({ totalMs: 1_500 });
    expect(sourceOf('TIMEOUT_MS')).toEqual({
      kind: 'env',
      variable: 'OUTRIGGER_PAYMENTS_TIMEOUT_MS',
    });
  });

  it('an operator can switch off what code switched on, and back on what code switched off', () => {
    const off = resolveConfig({
      ...base,
      breaker: { volumeThreshold: 5 },
      env: { OUTRIGGER_PAYMENTS_BREAKER: 'off' },
    });
    expect(off.config.breaker).toBe(false);
    const on = resolveConfig({ ...base, retry: false, env: { OUTRIGGER_PAYMENTS_RETRY: 'on' } });
    expect(on.config.retry).toMatchObject({ maxAttempts: 3 });
  });

  it('code false switches a section off; OUTRIGGER_DEFAULT_* cannot switch it back on', () => {
    const { config, sourceOf } = resolveConfig({
      ...base,
      retry: false,
      env: { OUTRIGGER_DEFAULT_RETRY: 'on' },
    });
    expect(config.retry).toBe(false);
    expect(sourceOf('RETRY')).toEqual({ kind: 'code', option: 'retry' });
  });

  it('maps service names to variable keys: upper case, every other character to _', () => {
    expect(serviceEnvKey('payments-api.v2')).toBe('PAYMENTS_API_V2');
    const { config } = resolveConfig({
      service: 'payments-api',
      env: { OUTRIGGER_PAYMENTS_API_RETRY_MAX_ATTEMPTS: '5' },
    });
    expect(config.retry).toMatchObject({ maxAttempts: 5 });
  });

  it('off-by-default sections switch on once configured, by code or by a tuning variable', () => {
    expect(resolveConfig({ ...base, hedge: { delayMs: 50 } }).config.hedge).toEqual({
      delayMs: 50,
      percentile: 95,
      maxAttempts: 2,
    });
    const fault = resolveConfig({ ...base, env: { OUTRIGGER_PAYMENTS_FAULT_ABORT_PERCENT: '10' } })
      .config.fault;
    expect(fault).toEqual({ delay: { percent: 0, ms: 0 }, abort: { percent: 10, status: 503 } });
    const rate = resolveConfig({ ...base, env: { OUTRIGGER_DEFAULT_RATE_LIMIT_PER_SECOND: '100' } })
      .config.rateLimit;
    expect(rate).toEqual({ perSecond: 100, burst: 100 });
    const killed = resolveConfig({
      ...base,
      hedge: { delayMs: 50 },
      env: { OUTRIGGER_PAYMENTS_HEDGE: 'off' },
    });
    expect(killed.config.hedge).toBe(false);
  });

  it('ENDPOINTS from the environment replaces code endpoints for the service', () => {
    const { config, sourceOf } = resolveConfig({
      ...base,
      discovery: ['10.0.0.5:8080'],
      env: { OUTRIGGER_PAYMENTS_ENDPOINTS: '127.0.0.1:1, [::1]:2' },
    });
    expect(config.discovery).toEqual(['127.0.0.1:1', '[::1]:2']);
    expect(sourceOf('ENDPOINTS')).toMatchObject({ kind: 'env' });
  });

  it('keeps a Discovery object from code as it is', () => {
    const discovery = { subscribe() {} };
    expect(resolveConfig({ ...base, discovery }).config.discovery).toBe(discovery);
  });

  it('describe() lists every effective setting with its source', () => {
    const text = resolveConfig({
      ...base,
      timeout: { totalMs: 2_000 },
      hedge: false,
      env: { OUTRIGGER_PAYMENTS_RETRY_BUDGET_RATIO: '0.1' },
    }).describe();
    expect(text).toMatch(/timeout\.totalMs\s+2000\s+code timeout\.totalMs/);
    expect(text).toMatch(/retry\.budget\.ratio\s+0\.1\s+env OUTRIGGER_PAYMENTS_RETRY_BUDGET_RATIO/);
    expect(text).toMatch(/retry\.maxAttempts\s+3\s+default/);
    expect(text).toMatch(/^hedge\s+off\s+code hedge$/m);
    expect(text).not.toMatch(/hedge\.delayMs/);
  });
});

describe('resolveConfig rejects bad input with CONFIG_INVALID naming variable, value and what is valid', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'not a number',
      { OUTRIGGER_PAYMENTS_TIMEOUT_MS: 'abc' },
      /OUTRIGGER_PAYMENTS_TIMEOUT_MS="abc" is not valid: expected an integer from 1 to 3600000 \(milliseconds\)/,
    ],
    [
      'negative',
      { OUTRIGGER_PAYMENTS_TIMEOUT_MS: '-5' },
      /OUTRIGGER_PAYMENTS_TIMEOUT_MS="-5" is not valid/,
    ],
    [
      'out of range',
      { OUTRIGGER_PAYMENTS_TIMEOUT_MS: '1e99' },
      /OUTRIGGER_PAYMENTS_TIMEOUT_MS="1e99" is not valid/,
    ],
    [
      'huge integer',
      { OUTRIGGER_DEFAULT_TIMEOUT_MS: '99999999999' },
      /OUTRIGGER_DEFAULT_TIMEOUT_MS="99999999999"/,
    ],
    [
      'fraction for an integer',
      { OUTRIGGER_PAYMENTS_RETRY_MAX_ATTEMPTS: '2.5' },
      /expected an integer from 1 to 10/,
    ],
    [
      'unknown balancer',
      { OUTRIGGER_PAYMENTS_BALANCER: 'fastest' },
      /BALANCER="fastest" is not valid: expected one of p2c-ewma, p2c-least-request, round-robin, random, ring-hash, maglev/,
    ],
    [
      'ratio of 3',
      { OUTRIGGER_PAYMENTS_RETRY_BUDGET_RATIO: '3' },
      /RETRY_BUDGET_RATIO="3" is not valid: expected a number from 0 to 1 \(a fraction\)/,
    ],
    [
      'bad switch',
      { OUTRIGGER_PAYMENTS_BREAKER: 'maybe' },
      /BREAKER="maybe" is not valid: expected on or off/,
    ],
    [
      'bad endpoint',
      { OUTRIGGER_PAYMENTS_ENDPOINTS: '10.0.0.5:99999' },
      /expected a comma-separated list of host:port/,
    ],
    ['empty', { OUTRIGGER_PAYMENTS_TIMEOUT_MS: '' }, /TIMEOUT_MS="" is not valid/],
  ];
  for (const [name, env, message] of cases) {
    it(name, () => {
      const error = invalid(() => resolveConfig({ ...base, env }));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toMatch(message);
      expect(error.setting).toBe(Object.keys(env)[0]);
    });
  }

  it('bad code values name the option', () => {
    expect(
      invalid(() => resolveConfig({ ...base, retry: { budget: { ratio: 3 } } })).message,
    ).toMatch(
      /payments: option retry\.budget\.ratio=3 is not valid: expected a number from 0 to 1/,
    );
    expect(invalid(() => resolveConfig({ ...base, timeout: { totalMs: -1 } })).message).toMatch(
      /option timeout\.totalMs=-1/,
    );
    expect(invalid(() => resolveConfig({ ...base, balancer: 'fastest' as never })).message).toMatch(
      /option balancer="fastest"/,
    );
    expect(invalid(() => resolveConfig({ ...base, retry: true as never })).message).toMatch(
      /option retry=true .*options object, or false/,
    );
  });

  it('unknown code options are reported with a suggestion', () => {
    expect(
      invalid(() => resolveConfig({ ...base, retry: { maxAttempt: 2 } as never })).message,
    ).toMatch(/retry\.maxAttempt is not an option of retry; did you mean maxAttempts\?/);
    expect(invalid(() => resolveConfig({ ...base, timout: {} } as never)).message).toMatch(
      /timout is not a client option; did you mean timeout\?/,
    );
  });

  it('a missing or reserved service name is rejected', () => {
    expect(invalid(() => resolveConfig({ service: '', env: {} })).message).toMatch(
      /option service="" is not valid: expected a service name of 1 to 63/,
    );
    expect(invalid(() => resolveConfig({ service: 'default', env: {} })).message).toMatch(
      /other than "default"/,
    );
  });

  it('rate limiting switched on without a rate says which setting is missing', () => {
    expect(
      invalid(() => resolveConfig({ ...base, env: { OUTRIGGER_PAYMENTS_RATE_LIMIT: 'on' } }))
        .message,
    ).toMatch(/RATE_LIMIT_PER_SECOND.*switched on by OUTRIGGER_PAYMENTS_RATE_LIMIT\)/);
  });

  it('rate limiting switched on by its burst alone names the burst as what switched it on', () => {
    expect(
      invalid(() => resolveConfig({ ...base, env: { OUTRIGGER_DEFAULT_RATE_LIMIT_BURST: '10' } }))
        .message,
    ).toMatch(/RATE_LIMIT_PER_SECOND.*switched on by OUTRIGGER_DEFAULT_RATE_LIMIT_BURST\)/);
    expect(
      invalid(() => resolveConfig({ ...base, env: {}, rateLimit: { burst: 10 } })).message,
    ).toMatch(/switched on by option rateLimit\.burst\)/);
  });

  it('a backoff cap below its base is rejected, naming both', () => {
    const error = invalid(() =>
      resolveConfig({ ...base, retry: { backoff: { baseMs: 100, maxMs: 50 } } }),
    );
    expect(error.message).toMatch(
      /option retry\.backoff\.maxMs=50 .*at least the base backoff \(100 ms, from option retry\.backoff\.baseMs\)/,
    );
  });
});

describe('resolveConfig catches typos in variable names', () => {
  it('a near miss in the service scope is fatal and suggests the real name', () => {
    const error = invalid(() =>
      resolveConfig({ ...base, env: { OUTRIGGER_PAYMENTS_TIMEOUT_MX: '100' } }),
    );
    expect(error.message).toMatch(
      /OUTRIGGER_PAYMENTS_TIMEOUT_MX="100".*Did you mean OUTRIGGER_PAYMENTS_TIMEOUT_MS\?/,
    );
  });

  it('a near miss in the DEFAULT scope is fatal too', () => {
    const error = invalid(() =>
      resolveConfig({ ...base, env: { OUTRIGGER_DEFAULT_RETRY_MAX_ATEMPTS: '2' } }),
    );
    expect(error.message).toMatch(/Did you mean OUTRIGGER_DEFAULT_RETRY_MAX_ATTEMPTS\?/);
  });

  it('a near miss of the service name is a warning, since it may be another service', () => {
    const { warnings } = resolveConfig({ ...base, env: { OUTRIGGER_PAYMENT_TIMEOUT_MS: '100' } });
    expect(warnings).toEqual([
      'OUTRIGGER_PAYMENT_TIMEOUT_MS looks like a typo of OUTRIGGER_PAYMENTS_TIMEOUT_MS; it was not applied',
    ]);
  });

  it('leaves alone the variables of other services, even ones whose name extends ours', () => {
    const { warnings } = resolveConfig({
      ...base,
      env: {
        OUTRIGGER_PAYMENTS_API_TIMEOUT_MS: 'abc',
        OUTRIGGER_LEDGER_TIMEOUT_MS: 'abc',
        OUTRIGGER_PAYMENTS_A_FAULT: 'x',
      },
    });
    expect(warnings).toEqual([]);
  });
});
