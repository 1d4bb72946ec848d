import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors/errors.js';
import { type FallbackOptions, fallback } from './index.js';

describe('fallback() options', () => {
  it.each([
    [{ value: 1 }, /option fallback.codes=undefined .* a non-empty list of error codes/],
    [{ codes: [], value: 1 }, /option fallback.codes="\[\]" /],
    [{ codes: 'CIRCUIT_OPEN', value: 1 }, /option fallback.codes="CIRCUIT_OPEN"/],
    [{ codes: ['CIRCUIT_OPEN'] }, /option fallback.value="unset" .* a fallback value/],
    [
      { codes: ['X'], value: 1, vaule: 2 },
      /fallback.vaule is not an option of fallback; did you mean value\?/,
    ],
  ])('refuses bad options with CONFIG_INVALID naming them: %o', (options, message) => {
    expect(() => fallback(options as FallbackOptions)).toThrow(ConfigInvalidError);
    expect(() => fallback(options as FallbackOptions)).toThrow(message);
  });
});
