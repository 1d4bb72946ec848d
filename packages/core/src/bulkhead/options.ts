import type { BulkheadOptions } from '../config/options.js';
import {
  checkExtras,
  checkKeys,
  HOUR_MS,
  type PolicyExtras,
  settingValue,
} from '../config/policy-options.js';
import { int, ms, onOff, type SettingDef } from '../config/setting.js';

/** Envoy's circuit-breaker limits: 1024 in flight and 1024 queued. */
const MAX_CONCURRENT = int(
  {
    env: 'BULKHEAD_MAX_CONCURRENT',
    path: ['bulkhead', 'maxConcurrent'],
    doc: 'Calls in flight at most.',
  },
  1,
  1_000_000,
  1024,
);

const MAX_QUEUE = int(
  {
    env: 'BULKHEAD_MAX_QUEUE',
    path: ['bulkhead', 'maxQueue'],
    doc: 'Calls waiting for a slot at most.',
  },
  0,
  1_000_000,
  1024,
);

const QUEUE_TIMEOUT_MS = ms(
  {
    env: 'BULKHEAD_QUEUE_TIMEOUT_MS',
    path: ['bulkhead', 'queueTimeoutMs'],
    doc: 'Longest wait for a slot; unset means until the deadline.',
  },
  1,
  HOUR_MS,
);

export const BULKHEAD_SETTINGS: readonly SettingDef[] = [
  onOff(
    { env: 'BULKHEAD', path: ['bulkhead'], doc: 'Concurrency limit with a bounded queue.' },
    true,
  ),
  MAX_CONCURRENT,
  MAX_QUEUE,
  QUEUE_TIMEOUT_MS,
];

export interface BulkheadPolicyOptions extends BulkheadOptions, PolicyExtras {}

/** Bulkhead options with every default filled in. */
export interface ResolvedBulkheadOptions {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** Longest wait for a slot; undefined: until the call's deadline. */
  readonly queueTimeoutMs: number | undefined;
}

/** Fills defaults and validates from the settings above; throws `CONFIG_INVALID`. */
export function resolveBulkheadOptions(
  options: BulkheadPolicyOptions = {},
): ResolvedBulkheadOptions {
  checkKeys('bulkhead', options, ['maxConcurrent', 'maxQueue', 'queueTimeoutMs']);
  checkExtras('bulkhead', options);
  return {
    maxConcurrent: settingValue(MAX_CONCURRENT, options) as number,
    maxQueue: settingValue(MAX_QUEUE, options) as number,
    queueTimeoutMs: settingValue(QUEUE_TIMEOUT_MS, options),
  };
}
