import { describe, expect, it } from 'vitest';
import { type ConfigInvalidError, OutriggerError } from '../errors/errors.js';
import { resolveConfig } from './resolve.js';

/** The CONFIG_INVALID error `fn` throws; fails the test on anything else. */
function refusal(fn: () => unknown): ConfigInvalidError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OutriggerError);
    expect((error as OutriggerError).code).toBe('CONFIG_INVALID');
    return error as ConfigInvalidError;
  }
  throw new Error('expected CONFIG_INVALID, but nothing was thrown');
}

describe('environment values are read strictly', () => {
  // Each of these read as a valid value before: trimmed, signed, or cut at a control character.
  const integers = [' 100 ', '+100', '100\u0000', '100\r', '\t100', '100.', '0x64', '1_000'];
  for (const raw of integers) {
    it(`refuses TIMEOUT_MS=${JSON.stringify(raw)}, naming the variable, value and form`, () => {
      const error = refusal(() =>
        resolveConfig({ service: 'payments', env: { OUTRIGGER_PAYMENTS_TIMEOUT_MS: raw } }),
      );
      expect(error.setting).toBe('OUTRIGGER_PAYMENTS_TIMEOUT_MS');
      expect(error.value).toBe(raw);
      expect(error.message).toContain(`OUTRIGGER_PAYMENTS_TIMEOUT_MS=${JSON.stringify(raw)}`);
      expect(error.message).toMatch(/expected an integer from 1 to 3600000 \(milliseconds\)/);
      expect(error.message).toMatch(/digits only|spaces around it|control character/);
    });
  }

  it('says which of spaces, control characters or form is wrong', () => {
    const message = (raw: string) =>
      refusal(() => resolveConfig({ service: 'p', env: { OUTRIGGER_DEFAULT_TIMEOUT_MS: raw } }))
        .message;
    expect(message(' 100 ')).toMatch(/It has spaces around it; remove them$/);
    expect(message('100\u0000')).toMatch(/It contains a control character; remove it$/);
    expect(message('+100')).toMatch(/Write it as digits only, such as 250/);
  });

  it('refuses a signed, spaced or exponent decimal, and takes a plain one', () => {
    for (const raw of ['+0.2', ' 0.2', '0.2 ', '2e-1', '.2', '0.2\u0000']) {
      const error = refusal(() =>
        resolveConfig({ service: 'p', env: { OUTRIGGER_P_RETRY_BUDGET_RATIO: raw } }),
      );
      expect(error.message).toMatch(/expected a number from 0 to 1 \(a fraction\)/);
    }
    const { config } = resolveConfig({
      service: 'p',
      env: { OUTRIGGER_P_RETRY_BUDGET_RATIO: '0.25' },
    });
    expect(config.retry).toMatchObject({ budget: { ratio: 0.25 } });
  });

  it('applies the same rule to switches, choices and lists', () => {
    for (const env of [
      { OUTRIGGER_P_BREAKER: ' off' },
      { OUTRIGGER_P_BALANCER: 'round-robin\n' },
      { OUTRIGGER_P_ENDPOINTS: '127.0.0.1:1\u0000' },
    ]) {
      expect(refusal(() => resolveConfig({ service: 'p', env })).setting).toBe(Object.keys(env)[0]);
    }
    // Spaces after the commas of a list stay allowed: they are inside the value.
    const { config } = resolveConfig({
      service: 'p',
      env: { OUTRIGGER_P_BREAKER: 'OFF', OUTRIGGER_P_ENDPOINTS: '127.0.0.1:1, 127.0.0.1:2' },
    });
    expect(config.breaker).toBe(false);
    expect(config.discovery).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
  });
});

describe('service names', () => {
  const bad: unknown[] = [
    'a/b',
    'a b',
    ' payments',
    'payments\u0000',
    '-payments',
    '.payments',
    'paymënts',
    'a'.repeat(64),
    '',
    42,
    undefined,
  ];
  for (const service of bad) {
    it(`refuses ${JSON.stringify(service) ?? String(service)}, saying what a name may hold`, () => {
      const error = refusal(() => resolveConfig({ service: service as string, env: {} }));
      expect(error.setting).toBe('option service');
      expect(error.value).toBe(service);
      expect(error.message).toMatch(
        /expected a service name of 1 to 63 letters, digits, '\.', '-' or '_', starting with a letter or digit/,
      );
    });
  }

  it('takes DNS, Kubernetes, Consul and gRPC style names', () => {
    for (const service of ['payments', 'payments-api', 'helloworld.Greeter', 'a_b', '9lives']) {
      expect(resolveConfig({ service, env: {} }).config.service).toBe(service);
    }
    expect(resolveConfig({ service: 'a'.repeat(63), env: {} }).config.service).toHaveLength(63);
  });

  it('still refuses "default", whose variables belong to every service', () => {
    expect(refusal(() => resolveConfig({ service: 'Default', env: {} })).message).toMatch(
      /other than "default"/,
    );
  });
});
