import type { Classifier } from '../classify/classifier.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Clock } from '../time/clock.js';
import type { SettingDef } from './setting.js';
import { unknownOptionError } from './unknown-option.js';

/** The longest duration most settings take: an hour. */
export const HOUR_MS = 3_600_000;

/**
 * What every policy factory takes beside its own options; the chain assembler passes the
 * client's. Shared by breaker, bulkhead, rate limit and fallback.
 */
export interface PolicyExtras {
  /** Names the downstream in events and in errors raised outside a call; default `'service'`. */
  service?: string;
  /** Judges outcomes; default `defaultClassifier`. */
  classifier?: Classifier;
  /** Where events go; none means no event is even built. */
  events?: EventBus;
  /** For the policy's own state and waits; default the system clock (or the call's clock). */
  clock?: Clock;
}

const EXTRA_KEYS = ['service', 'classifier', 'events', 'clock'] as const;

/**
 * `value` if `def` allows it, else a `CONFIG_INVALID` naming `setting` (`retry() maxAttempts`),
 * the value and `expected` (by default `def.expected`). Concerns check their direct options with
 * their own defs, so a factory called directly refuses what settings do and no range is written
 * twice. It takes the def, not a name to find in `SETTINGS`: that list imports every concern's
 * options, so a lookup from one would be an import cycle.
 */
export function checkedValue<T>(
  def: SettingDef<T>,
  value: unknown,
  setting: string,
  expected = def.expected,
): T {
  if (!def.schema.safeParse(value).success) {
    throw new ConfigInvalidError({ setting, value, expected });
  }
  return value as T;
}

/**
 * The option `def` sets, read from its section's `options` by the last key of its path, or its
 * default; throws `CONFIG_INVALID` naming it (`option breaker.volumeThreshold`).
 */
export function settingValue<T>(def: SettingDef<T>, options: object): T | undefined {
  const key = def.path[def.path.length - 1]!;
  const value = (options as Record<string, unknown>)[key];
  if (value === undefined) return def.default;
  return checkedValue(def, value, `option ${def.path.join('.')}`);
}

/** Refuses unknown keys, so a typo (`volumeTreshold`) is an error and not a silent default. */
export function checkKeys(section: string, options: object, own: readonly string[]): void {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigInvalidError({
      setting: `option ${section}`,
      value: options,
      expected: 'an options object',
    });
  }
  const valid = [...own, ...EXTRA_KEYS];
  for (const key of Object.keys(options)) {
    if (valid.includes(key)) continue;
    throw unknownOptionError({
      path: `${section}.${key}`,
      value: (options as Record<string, unknown>)[key],
      valid,
      owner: section,
    });
  }
}

/** Checks the shape of the shared extras, so a wrong object fails at creation, not mid-call. */
export function checkExtras(section: string, extras: PolicyExtras): void {
  const bad = (key: string, value: unknown, expected: string): never => {
    throw new ConfigInvalidError({ setting: `option ${section}.${key}`, value, expected });
  };
  const { service, classifier, events, clock } = extras;
  if (service !== undefined && (typeof service !== 'string' || service.length === 0)) {
    bad('service', service, 'a non-empty service name');
  }
  if (
    classifier !== undefined &&
    (typeof classifier?.classifyResult !== 'function' ||
      typeof classifier.classifyError !== 'function')
  ) {
    bad('classifier', classifier, 'a Classifier with classifyResult() and classifyError()');
  }
  if (
    events !== undefined &&
    (typeof events?.has !== 'function' || typeof events.emit !== 'function')
  ) {
    bad('events', events, 'an EventBus');
  }
  if (
    clock !== undefined &&
    (typeof clock?.now !== 'function' ||
      typeof clock.setTimeout !== 'function' ||
      typeof clock.clearTimeout !== 'function')
  ) {
    bad('clock', clock, 'a Clock with now(), setTimeout() and clearTimeout()');
  }
}
