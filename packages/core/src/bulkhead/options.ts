import type { BulkheadOptions } from '../config/options.js';
import {
  checkExtras,
  checkKeys,
  type PolicyExtras,
  settingValue,
} from '../config/policy-options.js';

export interface BulkheadPolicyOptions extends BulkheadOptions, PolicyExtras {}

/** Bulkhead options with every default filled in (Envoy's 1024 in flight and 1024 queued). */
export interface ResolvedBulkheadOptions {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** Longest wait for a slot; undefined: until the call's deadline. */
  readonly queueTimeoutMs: number | undefined;
}

/** Fills defaults and validates against the settings schema; throws `CONFIG_INVALID`. */
export function resolveBulkheadOptions(
  options: BulkheadPolicyOptions = {},
): ResolvedBulkheadOptions {
  checkKeys('bulkhead', options, ['maxConcurrent', 'maxQueue', 'queueTimeoutMs']);
  checkExtras('bulkhead', options);
  return {
    maxConcurrent: settingValue('bulkhead', 'maxConcurrent', options) as number,
    maxQueue: settingValue('bulkhead', 'maxQueue', options) as number,
    queueTimeoutMs: settingValue('bulkhead', 'queueTimeoutMs', options) as number | undefined,
  };
}
