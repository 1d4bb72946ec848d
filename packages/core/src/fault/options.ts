import { ConfigInvalidError } from '../errors/errors.js';

/**
 * What to inject: the `fault` section's shape (`{ delay: { percent, ms }, abort: { percent,
 * status } }`), plus an optional error of your choosing for aborts.
 */
export interface FaultSpec {
  delay?: { percent?: number | undefined; ms?: number | undefined } | undefined;
  abort?:
    | {
        percent?: number | undefined;
        /** Status of the injected `FaultInjectedError` (the HTTP client answers with it). Default 503. */
        status?: number | undefined;
        /**
         * Reject with this instead (a fresh error per call): e.g. an `ECONNRESET` to drill the
         * retry path. The `fault.injected` event still says the fault was injected.
         */
        error?: (() => unknown) | undefined;
      }
    | undefined;
}

export interface ResolvedFault {
  readonly delayPercent: number;
  readonly delayMs: number;
  readonly abortPercent: number;
  readonly abortStatus: number;
  readonly abortError: (() => unknown) | undefined;
}

/** Validates a fault spec, naming the bad option under `where` (`fault`, `routes[1].fault`). */
export function resolveFault(spec: FaultSpec, where: string): ResolvedFault {
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigInvalidError({
      setting: `option ${where}`,
      value: spec,
      expected: 'an options object, or false',
    });
  }
  const section = (name: 'delay' | 'abort'): Record<string, unknown> => {
    const value = spec[name];
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null) {
      throw new ConfigInvalidError({
        setting: `option ${where}.${name}`,
        value,
        expected: 'an options object',
      });
    }
    return value as Record<string, unknown>;
  };
  const number = (
    path: string,
    value: unknown,
    fallback: number,
    min: number,
    max: number,
    integer: boolean,
  ) => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
      throw new ConfigInvalidError({
        setting: `option ${where}.${path}`,
        value: v,
        expected: `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
      });
    }
    return v;
  };
  const delay = section('delay');
  const abort = section('abort');
  if (abort.error !== undefined && typeof abort.error !== 'function') {
    throw new ConfigInvalidError({
      setting: `option ${where}.abort.error`,
      value: abort.error,
      expected: 'a function returning the error to reject with',
    });
  }
  return {
    delayPercent: number('delay.percent', delay.percent, 0, 0, 100, false),
    delayMs: number('delay.ms', delay.ms, 0, 0, 3_600_000, true),
    abortPercent: number('abort.percent', abort.percent, 0, 0, 100, false),
    abortStatus: number('abort.status', abort.status, 503, 100, 599, true),
    abortError: abort.error as (() => unknown) | undefined,
  };
}
