import type { RetryBudget } from '../budget/retry-budget.js';
import type { Classifier } from '../classify/classifier.js';
import type { RetryOptions } from '../config/options.js';
import { checkExtras, checkedValue, HOUR_MS, type PolicyExtras } from '../config/policy-options.js';
import { choice, int, ms, onOff, type SettingDef } from '../config/setting.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import type { Clock } from '../time/clock.js';
import { type Backoff, JITTER_KINDS } from './backoff.js';

const MAX_ATTEMPTS = int(
  {
    env: 'RETRY_MAX_ATTEMPTS',
    path: ['retry', 'maxAttempts'],
    doc: 'Attempts per call, the first included.',
  },
  1,
  10,
  3,
);

const MAX_REQUEUES = int(
  {
    env: 'RETRY_MAX_REQUEUES',
    path: ['retry', 'maxRequeues'],
    doc: 'Requeues per call of attempts that never reached a server (connection refused), on top of the attempts; unset means one pass over the endpoints (their number − 1, at most 3).',
  },
  0,
  10,
);

const BACKOFF_BASE_MS = ms(
  {
    env: 'RETRY_BACKOFF_BASE_MS',
    path: ['retry', 'backoff', 'baseMs'],
    doc: 'First backoff; doubles per retry.',
  },
  1,
  HOUR_MS,
  25,
);

const BACKOFF_MAX_MS = ms(
  { env: 'RETRY_BACKOFF_MAX_MS', path: ['retry', 'backoff', 'maxMs'], doc: 'Longest backoff.' },
  1,
  HOUR_MS,
  250,
);

const BACKOFF_JITTER = choice(
  {
    env: 'RETRY_BACKOFF_JITTER',
    path: ['retry', 'backoff', 'jitter'],
    doc: 'Jitter of the backoff.',
  },
  JITTER_KINDS,
  'full',
);

const RETRY_AFTER_MAX_MS = ms(
  {
    env: 'RETRY_AFTER_MAX_MS',
    path: ['retry', 'retryAfterMaxMs'],
    doc: 'Cap on a server-requested delay (Retry-After, grpc-retry-pushback-ms).',
  },
  0,
  HOUR_MS,
  10_000,
);

/** The `retry` settings; its budget's are in `budget/options.ts`. Envoy's backoff: 25 ms, 10× cap. */
export const RETRY_SETTINGS: readonly SettingDef[] = [
  onOff(
    { env: 'RETRY', path: ['retry'], doc: 'Retries of retryable failures of idempotent calls.' },
    true,
  ),
  MAX_ATTEMPTS,
  MAX_REQUEUES,
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  BACKOFF_JITTER,
  RETRY_AFTER_MAX_MS,
];

export interface RetryPolicyOptions extends Omit<RetryOptions, 'budget'> {
  /** A shared budget (one per client), or options for a budget of this policy's own. */
  budget?: RetryBudget | RetryOptions['budget'];
  classifier?: Classifier<never> | undefined;
  events?: EventBus | undefined;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
  /**
   * How many endpoints an attempt can go to now; the chain passes its load balancer's. It sets
   * the default requeue bound (one pass over them) and tells a requeue to an untried endpoint
   * (at once) from one that would meet a tried one again (after a backoff). Without it, requeues
   * default to 0 and always wait a backoff.
   */
  endpointCount?: (() => number) | undefined;
}

export interface CheckedRetryOptions {
  readonly maxAttempts: number;
  /** Undefined: one pass over the endpoints (`requeueBound`). */
  readonly maxRequeues: number | undefined;
  readonly backoff: Backoff;
  readonly retryAfterMaxMs: number;
}

/**
 * A backoff as its setting allows, or 0: in code a retry may skip the wait (tests, callers that
 * pace themselves), which an operator's setting may not (it starts at 1 ms).
 */
function backoffMs(def: SettingDef<number>, value: unknown, name: string): number {
  if (value === 0) return 0;
  return checkedValue(def, value, `retry() backoff.${name}`, `${def.expected}, or 0 for none`);
}

export function checkRetryOptions(options: RetryPolicyOptions): CheckedRetryOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigInvalidError({
      setting: 'retry() options',
      value: options,
      expected: 'an options object',
    });
  }
  // Read per call (classifier, events, clock, random): wrong ones would fail calls, not creation.
  checkExtras('retry', options as PolicyExtras);
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw new ConfigInvalidError({
      setting: 'retry() random',
      value: options.random,
      expected: 'a function returning a number in [0, 1), like Math.random',
    });
  }
  const backoff = options.backoff;
  const baseMs = backoffMs(BACKOFF_BASE_MS, backoff?.baseMs ?? BACKOFF_BASE_MS.default, 'baseMs');
  const maxMs = backoffMs(BACKOFF_MAX_MS, backoff?.maxMs ?? BACKOFF_MAX_MS.default, 'maxMs');
  if (maxMs < baseMs) {
    throw new ConfigInvalidError({
      setting: 'retry() backoff.maxMs',
      value: maxMs,
      expected: `at least backoff.baseMs (${baseMs})`,
    });
  }
  const jitter = checkedValue(
    BACKOFF_JITTER,
    backoff?.jitter ?? BACKOFF_JITTER.default,
    'retry() backoff.jitter',
  );
  if (options.endpointCount !== undefined && typeof options.endpointCount !== 'function') {
    throw new ConfigInvalidError({
      setting: 'retry() endpointCount',
      value: options.endpointCount,
      expected: 'a function returning how many endpoints an attempt can go to',
    });
  }
  return {
    maxAttempts: checkedValue(
      MAX_ATTEMPTS,
      options.maxAttempts ?? MAX_ATTEMPTS.default,
      'retry() maxAttempts',
    ),
    maxRequeues:
      options.maxRequeues === undefined
        ? undefined
        : checkedValue(MAX_REQUEUES, options.maxRequeues, 'retry() maxRequeues'),
    backoff: { baseMs, maxMs, jitter },
    retryAfterMaxMs: checkedValue(
      RETRY_AFTER_MAX_MS,
      options.retryAfterMaxMs ?? RETRY_AFTER_MAX_MS.default,
      'retry() retryAfterMaxMs',
    ),
  };
}
