import { BALANCER_SETTINGS } from '../balancer/options.js';
import { BREAKER_SETTINGS } from '../breaker/options.js';
import { RETRY_BUDGET_SETTINGS } from '../budget/options.js';
import { BULKHEAD_SETTINGS } from '../bulkhead/options.js';
import { DISCOVERY_SETTINGS } from '../discovery/options.js';
import { FAULT_SETTINGS } from '../fault/options.js';
import { HEDGE_SETTINGS } from '../hedge/options.js';
import { OUTLIER_SETTINGS } from '../outlier/options.js';
import { RATE_LIMIT_SETTINGS } from '../rate-limit/options.js';
import { RETRY_SETTINGS } from '../retry/options.js';
import { TELEMETRY_SETTINGS } from '../telemetry/options.js';
import { TIMEOUT_SETTINGS } from '../timeout/options.js';
import type { SettingDef } from './setting.js';

export { BALANCER_NAMES, type BalancerName } from '../balancer/by-name.js';
export { JITTER_KINDS, type JitterKind } from '../retry/backoff.js';

/**
 * Every client setting, in README order. Each concern declares its own in its `options.ts`
 * (default, range, env name, doc) and checks its direct options against them, so a default or a
 * range is written once; this file only collects them. Defaults are production-grade and follow
 * the systems that earned them: Finagle's retry budget (20% + 10/s over 10 s), Envoy's retry
 * backoff (25 ms base, 10× cap), outlier detection (5 consecutive failures, 30 s base ejection,
 * 10% at most, panic under 50% healthy) and circuit-breaker limits (1024 concurrent, 1024
 * queued), and opossum's / Hystrix's breaker window (50% errors over at least 20 calls in 10 s).
 */
export const SETTINGS: readonly SettingDef[] = [
  ...DISCOVERY_SETTINGS,
  ...BALANCER_SETTINGS,
  ...TIMEOUT_SETTINGS,
  ...RETRY_SETTINGS,
  ...RETRY_BUDGET_SETTINGS,
  ...HEDGE_SETTINGS,
  ...BREAKER_SETTINGS,
  ...BULKHEAD_SETTINGS,
  ...RATE_LIMIT_SETTINGS,
  ...OUTLIER_SETTINGS,
  ...FAULT_SETTINGS,
  ...TELEMETRY_SETTINGS,
];

export const SETTINGS_BY_ENV: ReadonlyMap<string, SettingDef> = new Map(
  SETTINGS.map((s) => [s.env, s]),
);
