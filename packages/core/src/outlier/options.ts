import type { OutlierDetectionOptions } from '../config/options.js';
import { ConfigInvalidError } from '../errors/errors.js';

/**
 * The `outlierDetection` section as the config resolves it, plus two of Envoy's knobs that the
 * settings schema does not carry (yet). Defaults are Envoy's.
 */
export interface OutlierOptions extends OutlierDetectionOptions {
  /** Failures in a row that eject an endpoint. Default 5. */
  consecutiveFailures?: number;
  /** First ejection; the n-th lasts n × this, up to `maxEjectionMs`. Default 30,000. */
  baseEjectionMs?: number;
  /** Default 300,000. */
  maxEjectionMs?: number;
  /** Share of the endpoints ejected at once at most; one may always be. Default 10. */
  maxEjectionPercent?: number;
  /** Below this share of healthy endpoints a subset balances over all of them. Default 50. */
  panicThresholdPercent?: number;
  /**
   * Envoy's `consecutive_gateway_failure`: ejects after this many `retryable`/`unsent` verdicts
   * in a row (502/503/504, resets, refused connections, per-try timeouts), which a plain
   * `failure` (a 500) interrupts. Those verdicts always count toward `consecutiveFailures` too,
   * as Envoy's `consecutive_5xx` counts gateway errors; this is a second, usually lower, bar.
   * Off (0) by default, as Envoy's enforcement of it is.
   */
  consecutiveGatewayFailures?: number | undefined;
  /** Time in service that takes one off the ejection multiplier (Envoy's `interval`). Default 10,000. */
  intervalMs?: number | undefined;
}

export interface ResolvedOutlierOptions {
  readonly consecutiveFailures: number;
  readonly consecutiveGatewayFailures: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectionPercent: number;
  readonly panicThresholdPercent: number;
  readonly intervalMs: number;
}

const HOUR = 3_600_000;

export function resolveOutlierOptions(
  options: OutlierOptions | false | undefined,
  service: string,
): ResolvedOutlierOptions | false {
  if (options === false) return false;
  const o = options ?? {};
  if (typeof o !== 'object' || o === null) {
    throw new ConfigInvalidError({
      setting: `${service}: option outlierDetection`,
      value: o,
      expected: 'an options object, or false to switch it off',
    });
  }
  const check = (
    name: keyof OutlierOptions,
    fallback: number,
    min: number,
    max: number,
    integer: boolean,
  ) => {
    const value = o[name] ?? fallback;
    if (
      typeof value !== 'number' ||
      !(value >= min && value <= max) ||
      (integer && !Number.isInteger(value))
    ) {
      throw new ConfigInvalidError({
        setting: `${service}: option outlierDetection.${name}`,
        value,
        expected: `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
      });
    }
    return value;
  };
  const resolved: ResolvedOutlierOptions = {
    consecutiveFailures: check('consecutiveFailures', 5, 1, 1_000, true),
    consecutiveGatewayFailures: check('consecutiveGatewayFailures', 0, 0, 1_000, true),
    baseEjectionMs: check('baseEjectionMs', 30_000, 1, HOUR, true),
    maxEjectionMs: check('maxEjectionMs', 300_000, 1, HOUR, true),
    maxEjectionPercent: check('maxEjectionPercent', 10, 0, 100, false),
    panicThresholdPercent: check('panicThresholdPercent', 50, 0, 100, false),
    intervalMs: check('intervalMs', 10_000, 1, HOUR, true),
  };
  if (resolved.maxEjectionMs < resolved.baseEjectionMs) {
    throw new ConfigInvalidError({
      setting: `${service}: option outlierDetection.maxEjectionMs`,
      value: resolved.maxEjectionMs,
      expected: `at least baseEjectionMs (${resolved.baseEjectionMs})`,
    });
  }
  return resolved;
}
