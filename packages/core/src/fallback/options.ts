import { checkExtras, checkKeys, type PolicyExtras } from '../config/policy-options.js';
import type { CallContext } from '../context/call-context.js';
import { ConfigInvalidError } from '../errors/errors.js';

/** Which failures a fallback replaces: error codes (`CIRCUIT_OPEN`, `ECONNREFUSED`), or a test. */
export type FallbackWhen = readonly string[] | ((error: unknown, ctx: CallContext) => boolean);

/**
 * The replacement: a value, or a function of the error and the call's context returning one (or
 * a promise of one). To fall back to a function itself, return it from a function.
 */
export type FallbackValue<V> = V | ((error: unknown, ctx: CallContext) => V | Promise<V>);

export interface FallbackOptions<V = unknown> extends PolicyExtras {
  /** The failures to replace, by the error's own `code`, or a predicate. */
  codes: FallbackWhen;
  value: FallbackValue<V>;
}

/** Validates a fallback's options; throws `CONFIG_INVALID` naming the option. */
export function checkFallbackOptions(options: FallbackOptions<unknown>): void {
  checkKeys('fallback', options, ['codes', 'value']);
  checkExtras('fallback', options);
  const { codes } = options;
  const listOk =
    Array.isArray(codes) &&
    codes.length > 0 &&
    codes.every((c) => typeof c === 'string' && c.length > 0);
  if (typeof codes !== 'function' && !listOk) {
    throw new ConfigInvalidError({
      setting: 'option fallback.codes',
      value: Array.isArray(codes) ? listText(codes) : codes,
      expected:
        "a non-empty list of error codes (['CIRCUIT_OPEN', 'BULKHEAD_FULL']) or a predicate (error, ctx) => boolean",
    });
  }
  if (!('value' in options)) {
    throw new ConfigInvalidError({
      setting: 'option fallback.value',
      value: 'unset',
      expected: 'a fallback value, or a function (error, ctx) => value',
    });
  }
}

/** A list as JSON for the message; one holding what JSON cannot show (a BigInt) as its types. */
function listText(list: unknown[]): string {
  try {
    return JSON.stringify(list);
  } catch {
    return `[${list.map((item) => typeof item).join(', ')}]`;
  }
}
