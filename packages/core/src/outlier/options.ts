import type { OutlierDetectionOptions } from '../config/options.js';
import { checkedValue, HOUR_MS } from '../config/policy-options.js';
import { int, ms, onOff, percent, type SettingDef } from '../config/setting.js';
import { ConfigInvalidError } from '../errors/errors.js';

/** Envoy's defaults: 5 failures in a row, 30 s base ejection, 10% at most, panic under 50%. */
const CONSECUTIVE_FAILURES = int(
  {
    env: 'OUTLIER_CONSECUTIVE_FAILURES',
    path: ['outlierDetection', 'consecutiveFailures'],
    doc: 'Consecutive failures that eject an endpoint.',
  },
  1,
  1_000,
  5,
);

const BASE_EJECTION_MS = ms(
  {
    env: 'OUTLIER_BASE_EJECTION_MS',
    path: ['outlierDetection', 'baseEjectionMs'],
    doc: 'Ejection time, multiplied by the times ejected.',
  },
  1,
  HOUR_MS,
  30_000,
);

const MAX_EJECTION_MS = ms(
  {
    env: 'OUTLIER_MAX_EJECTION_MS',
    path: ['outlierDetection', 'maxEjectionMs'],
    doc: 'Longest ejection.',
  },
  1,
  HOUR_MS,
  300_000,
);

const MAX_EJECTION_PERCENT = percent(
  {
    env: 'OUTLIER_MAX_EJECTION_PERCENT',
    path: ['outlierDetection', 'maxEjectionPercent'],
    doc: 'Share of endpoints ejected at once at most (at least one).',
  },
  10,
);

const PANIC_THRESHOLD_PERCENT = percent(
  {
    env: 'PANIC_THRESHOLD_PERCENT',
    path: ['outlierDetection', 'panicThresholdPercent'],
    doc: 'Below this share of healthy endpoints, balance over all of them.',
  },
  50,
);

export const OUTLIER_SETTINGS: readonly SettingDef[] = [
  onOff(
    {
      env: 'OUTLIER_DETECTION',
      path: ['outlierDetection'],
      doc: 'Per-endpoint ejection of endpoints that keep failing.',
    },
    true,
  ),
  CONSECUTIVE_FAILURES,
  BASE_EJECTION_MS,
  MAX_EJECTION_MS,
  MAX_EJECTION_PERCENT,
  PANIC_THRESHOLD_PERCENT,
];

/**
 * The `outlierDetection` section as the config resolves it, plus two of Envoy's knobs that the
 * settings above do not carry (yet). Defaults are Envoy's.
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

export function resolveOutlierOptions(
  options: OutlierOptions | false | undefined,
  service: string,
): ResolvedOutlierOptions | false {
  if (options === false) return false;
  const o = options ?? {};
  const where = `${service}: option outlierDetection`;
  if (typeof o !== 'object' || o === null) {
    throw new ConfigInvalidError({
      setting: where,
      value: o,
      expected: 'an options object, or false to switch it off',
    });
  }
  const setting = (def: SettingDef<number>) => {
    const name = def.path[1] as keyof OutlierOptions;
    return checkedValue(def, o[name] ?? def.default, `${where}.${name}`);
  };
  // The two knobs no setting carries, with their ranges here.
  const codeOnly = (name: keyof OutlierOptions, fallback: number, min: number, max: number) => {
    const value = o[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || !(value >= min && value <= max)) {
      throw new ConfigInvalidError({
        setting: `${where}.${name}`,
        value,
        expected: `an integer from ${min} to ${max}`,
      });
    }
    return value;
  };
  const resolved: ResolvedOutlierOptions = {
    consecutiveFailures: setting(CONSECUTIVE_FAILURES),
    consecutiveGatewayFailures: codeOnly('consecutiveGatewayFailures', 0, 0, 1_000),
    baseEjectionMs: setting(BASE_EJECTION_MS),
    maxEjectionMs: setting(MAX_EJECTION_MS),
    maxEjectionPercent: setting(MAX_EJECTION_PERCENT),
    panicThresholdPercent: setting(PANIC_THRESHOLD_PERCENT),
    intervalMs: codeOnly('intervalMs', 10_000, 1, HOUR_MS),
  };
  if (resolved.maxEjectionMs < resolved.baseEjectionMs) {
    throw new ConfigInvalidError({
      setting: `${where}.maxEjectionMs`,
      value: resolved.maxEjectionMs,
      expected: `at least baseEjectionMs (${resolved.baseEjectionMs})`,
    });
  }
  return resolved;
}
