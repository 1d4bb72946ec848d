export { checkServiceName, serviceEnvKey, variableName } from './env.js';
export type {
  BreakerOptions,
  BulkheadOptions,
  ClientOptions,
  EffectiveConfig,
  FaultOptions,
  HedgeOptions,
  OutlierDetectionOptions,
  RateLimitOptions,
  RetryOptions,
  TimeoutOptions,
} from './options.js';
export {
  formatSource,
  type ResolvedConfig,
  type ResolvedSetting,
  type ResolveOptions,
  resolveConfig,
  type SettingSource,
} from './resolve.js';
export type { SectionName, SettingDef } from './setting.js';
export {
  BALANCER_NAMES,
  type BalancerName,
  JITTER_KINDS,
  type JitterKind,
  SETTINGS,
} from './settings.js';
export { chainTable, settingsTable, withSettingsTable } from './table.js';
export { closest, editDistance, nearestName } from './typo.js';
export { unknownOptionError } from './unknown-option.js';
