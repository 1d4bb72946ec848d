import { checkedValue } from '../config/policy-options.js';
import { int, ms, ratio, type SettingDef } from '../config/setting.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { Clock } from '../time/clock.js';

export interface RetryBudgetOptions {
  /** Extra attempts allowed as a fraction of recent requests. Default 0.2 (Finagle, Linkerd). */
  ratio?: number;
  /** Extra attempts per second always allowed, so a quiet client can still retry. Default 10. */
  minPerSecond?: number;
  /** How long a deposit or a withdrawal counts. Default 10,000 ms. */
  ttlMs?: number;
  clock?: Clock;
}

const RATIO = ratio(
  {
    env: 'RETRY_BUDGET_RATIO',
    path: ['retry', 'budget', 'ratio'],
    doc: 'Extra load allowed for retries, requeues and hedges, as a fraction of recent calls.',
  },
  0.2,
);

const MIN_PER_SECOND = int(
  {
    env: 'RETRY_BUDGET_MIN_PER_SECOND',
    path: ['retry', 'budget', 'minPerSecond'],
    doc: 'Retries per second always allowed, so a quiet client can still retry.',
  },
  0,
  100_000,
  10,
  'per second',
);

/** The window's bounds, shared with a budget built in code (which may also take fractions). */
const TTL = { min: 1_000, max: 60_000 } as const;

const TTL_MS = ms(
  {
    env: 'RETRY_BUDGET_TTL_MS',
    path: ['retry', 'budget', 'ttlMs'],
    doc: 'Window over which the budget counts calls.',
  },
  TTL.min,
  TTL.max,
  10_000,
);

/** The `retry.budget` settings; one budget per client serves retries, requeues and hedges. */
export const RETRY_BUDGET_SETTINGS: readonly SettingDef[] = [RATIO, MIN_PER_SECOND, TTL_MS];

export interface ResolvedRetryBudgetOptions {
  readonly ratio: number;
  readonly minPerSecond: number;
  readonly ttlMs: number;
}

/**
 * Fills defaults from the settings and validates; throws `CONFIG_INVALID` naming the option.
 * A budget built in code may take a fraction of a retry per second (one every ten seconds), up
 * to a million, where the setting takes whole numbers up to 100,000.
 */
export function resolveRetryBudgetOptions(options: RetryBudgetOptions): ResolvedRetryBudgetOptions {
  return {
    ratio: checkedValue(RATIO, options.ratio ?? RATIO.default, 'retry budget ratio'),
    minPerSecond: check(
      'minPerSecond',
      options.minPerSecond ?? MIN_PER_SECOND.default,
      0,
      1e6,
      'a number from 0 to 1000000',
    ),
    ttlMs: check(
      'ttlMs',
      options.ttlMs ?? TTL_MS.default,
      TTL.min,
      TTL.max,
      `milliseconds from ${TTL.min} to ${TTL.max}`,
    ),
  };
}

function check(name: string, value: unknown, min: number, max: number, expected: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigInvalidError({ setting: `retry budget ${name}`, value, expected });
  }
  return value;
}
