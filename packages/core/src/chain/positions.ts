import { breaker } from '../breaker/policy.js';
import type { RetryBudget } from '../budget/retry-budget.js';
import { bulkhead } from '../bulkhead/policy.js';
import type { Classifier } from '../classify/classifier.js';
import type { EffectiveConfig } from '../config/options.js';
import type { Discovery } from '../discovery/discovery.js';
import type { EventBus } from '../events/events.js';
import { hedge } from '../hedge/policy.js';
import { rateLimit } from '../rate-limit/policy.js';
import { retry } from '../retry/policy.js';
import type { Policy } from '../service/service.js';
import type { Clock } from '../time/clock.js';
import { timeout } from '../timeout/policy.js';

/** What every position's builder may use: resolved settings and the client's shared parts. */
export interface BuildContext {
  readonly config: EffectiveConfig;
  readonly service: string;
  readonly classifier: Classifier<never>;
  readonly events: EventBus;
  readonly clock: Clock;
  readonly random: () => number;
  readonly budget: RetryBudget | undefined;
  /** Cleanups run by the chain's `close()`. */
  readonly closers: (() => Promise<void> | void)[];
  /** Set by the balancer position: the discovery the client uses. */
  discovery: Discovery | undefined;
}

type Builder = (b: BuildContext) => Policy | undefined;

/** How each position of `DEFAULT_CHAIN` is built from settings; undefined means not built. */
export const POSITION_BUILDERS: Readonly<Record<string, Builder>> = {
  'total-deadline': ({ config, events, service }) =>
    config.timeout ? timeout({ totalMs: config.timeout.totalMs, events, service }) : undefined,
  retry: ({ config, events, budget, classifier, random }) =>
    config.retry
      ? retry({
          maxAttempts: config.retry.maxAttempts,
          backoff: config.retry.backoff,
          retryAfterMaxMs: config.retry.retryAfterMaxMs,
          budget,
          classifier,
          events,
          random,
        })
      : undefined,
  hedge: ({ config, events, budget, classifier }) =>
    config.hedge
      ? hedge({
          ...(config.hedge.delayMs !== undefined ? { delayMs: config.hedge.delayMs } : {}),
          percentile: config.hedge.percentile,
          maxAttempts: config.hedge.maxAttempts,
          budget,
          deposit: !config.retry,
          classifier,
          events,
        })
      : undefined,
  'per-try-timeout': ({ config, events, service }) =>
    config.timeout && config.timeout.perTryMs !== undefined
      ? timeout({ perTryMs: config.timeout.perTryMs, events, service })
      : undefined,
  breaker: ({ config, service, classifier, events, clock }) =>
    config.breaker ? breaker({ ...config.breaker, service, classifier, events, clock }) : undefined,
  bulkhead: ({ config, service, classifier, events, clock }) =>
    config.bulkhead
      ? bulkhead({
          maxConcurrent: config.bulkhead.maxConcurrent,
          maxQueue: config.bulkhead.maxQueue,
          ...(config.bulkhead.queueTimeoutMs !== undefined
            ? { queueTimeoutMs: config.bulkhead.queueTimeoutMs }
            : {}),
          service,
          classifier,
          events,
          clock,
        })
      : undefined,
  'rate-limit': ({ config, service, classifier, events, clock }) =>
    config.rateLimit
      ? rateLimit({ ...config.rateLimit, service, classifier, events, clock })
      : undefined,
};
