import type { Classifier } from '../classify/classifier.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Clock } from '../time/clock.js';
import type { SettingDef } from './setting.js';
import { SETTINGS } from './settings.js';
import { closest } from './typo.js';

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

/** The value of `section.key` in `options`, or its default; throws `CONFIG_INVALID` naming it. */
export function settingValue(section: string, key: string, options: object): unknown {
  const def = SETTINGS.find(
    (s) => s.path.length === 2 && s.path[0] === section && s.path[1] === key,
  ) as SettingDef | undefined;
  if (!def) throw new RangeError(`no setting ${section}.${key}`);
  const value = (options as Record<string, unknown>)[key];
  if (value === undefined) return def.default;
  if (!def.schema.safeParse(value).success) {
    throw new ConfigInvalidError({
      setting: `option ${section}.${key}`,
      value,
      expected: def.expected,
    });
  }
  return value;
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
    const guess = closest(key, valid);
    throw new ConfigInvalidError({
      setting: `option ${section}.${key}`,
      value: '(unknown option)',
      expected: `one of ${section}.{${valid.join(', ')}}`,
      ...(guess ? { hint: `Did you mean ${section}.${guess}?` } : {}),
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
