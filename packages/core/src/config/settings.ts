import {
  choice,
  hostPortList,
  int,
  ms,
  onOff,
  percent,
  ratio,
  type SettingDef,
  text,
} from './setting.js';

export const BALANCER_NAMES = [
  'p2c-ewma',
  'p2c-least-request',
  'round-robin',
  'random',
  'ring-hash',
  'maglev',
] as const;
export type BalancerName = (typeof BALANCER_NAMES)[number];

export const JITTER_KINDS = ['full', 'decorrelated', 'none'] as const;
export type JitterKind = (typeof JITTER_KINDS)[number];

const HOUR = 3_600_000;

/**
 * Every client setting, in README order. Defaults are production-grade and follow the systems
 * that earned them: Finagle's retry budget (20% + 10/s over 10 s), Envoy's retry backoff
 * (25 ms base, 10× cap), outlier detection (5 consecutive failures, 30 s base ejection, 10%
 * at most, panic under 50% healthy) and circuit-breaker limits (1024 concurrent, 1024 queued),
 * and opossum's / Hystrix's breaker window (50% errors over at least 20 calls in 10 s).
 */
export const SETTINGS: readonly SettingDef[] = [
  hostPortList({
    env: 'ENDPOINTS',
    path: ['discovery'],
    doc: 'Static endpoints; replaces the discovery given in code when set for the service.',
  }),
  ms(
    {
      env: 'DISCOVERY_INITIAL_WAIT_MS',
      path: ['discoveryInitialWaitMs'],
      doc: 'Once discovery has failed with no endpoint set yet, calls fail with NO_ENDPOINTS this long after client creation (a source that has not failed is waited for up to the deadline).',
    },
    0,
    HOUR,
    1_000,
  ),
  choice(
    { env: 'BALANCER', path: ['balancer'], doc: 'Load-balancing algorithm.' },
    BALANCER_NAMES,
    'p2c-ewma',
    true,
  ),
  text(
    {
      env: 'ZONE',
      path: ['zone'],
      doc: "This caller's zone, preferred while it has healthy capacity.",
    },
    /^[A-Za-z0-9._-]{1,128}$/,
    'a zone name of 1 to 128 letters, digits, dots, dashes or underscores',
  ),

  onOff({ env: 'TIMEOUT', path: ['timeout'], doc: 'Deadlines on every call.' }, true),
  ms(
    {
      env: 'TIMEOUT_MS',
      path: ['timeout', 'totalMs'],
      doc: 'Total deadline of a logical call, retries included.',
    },
    1,
    HOUR,
    10_000,
  ),
  ms(
    {
      env: 'PER_TRY_TIMEOUT_MS',
      path: ['timeout', 'perTryMs'],
      doc: 'Deadline of each attempt (never beyond the total).',
    },
    1,
    HOUR,
  ),

  onOff(
    { env: 'RETRY', path: ['retry'], doc: 'Retries of retryable failures of idempotent calls.' },
    true,
  ),
  int(
    {
      env: 'RETRY_MAX_ATTEMPTS',
      path: ['retry', 'maxAttempts'],
      doc: 'Attempts per call, the first included.',
    },
    1,
    10,
    3,
  ),
  int(
    {
      env: 'RETRY_MAX_REQUEUES',
      path: ['retry', 'maxRequeues'],
      doc: 'Requeues per call of attempts that never reached a server (connection refused), on top of the attempts; unset means one pass over the endpoints (their number − 1, at most 3).',
    },
    0,
    10,
  ),
  ms(
    {
      env: 'RETRY_BACKOFF_BASE_MS',
      path: ['retry', 'backoff', 'baseMs'],
      doc: 'First backoff; doubles per retry.',
    },
    1,
    HOUR,
    25,
  ),
  ms(
    { env: 'RETRY_BACKOFF_MAX_MS', path: ['retry', 'backoff', 'maxMs'], doc: 'Longest backoff.' },
    1,
    HOUR,
    250,
  ),
  choice(
    {
      env: 'RETRY_BACKOFF_JITTER',
      path: ['retry', 'backoff', 'jitter'],
      doc: 'Jitter of the backoff.',
    },
    JITTER_KINDS,
    'full',
  ),
  ms(
    {
      env: 'RETRY_AFTER_MAX_MS',
      path: ['retry', 'retryAfterMaxMs'],
      doc: 'Cap on a server-requested delay (Retry-After, grpc-retry-pushback-ms).',
    },
    0,
    HOUR,
    10_000,
  ),
  ratio(
    {
      env: 'RETRY_BUDGET_RATIO',
      path: ['retry', 'budget', 'ratio'],
      doc: 'Extra load allowed for retries, requeues and hedges, as a fraction of recent calls.',
    },
    0.2,
  ),
  int(
    {
      env: 'RETRY_BUDGET_MIN_PER_SECOND',
      path: ['retry', 'budget', 'minPerSecond'],
      doc: 'Retries per second always allowed, so a quiet client can still retry.',
    },
    0,
    100_000,
    10,
    'per second',
  ),
  ms(
    {
      env: 'RETRY_BUDGET_TTL_MS',
      path: ['retry', 'budget', 'ttlMs'],
      doc: 'Window over which the budget counts calls.',
    },
    1_000,
    60_000,
    10_000,
  ),

  onOff(
    {
      env: 'HEDGE',
      path: ['hedge'],
      doc: 'Hedged requests for idempotent calls (off until configured).',
    },
    false,
  ),
  ms(
    {
      env: 'HEDGE_DELAY_MS',
      path: ['hedge', 'delayMs'],
      doc: 'Fixed hedge delay; unset means the latency percentile below.',
    },
    1,
    HOUR,
  ),
  percent(
    {
      env: 'HEDGE_DELAY_PERCENTILE',
      path: ['hedge', 'percentile'],
      doc: 'Latency percentile of recent calls used as the hedge delay.',
    },
    95,
  ),
  int(
    {
      env: 'HEDGE_MAX_ATTEMPTS',
      path: ['hedge', 'maxAttempts'],
      doc: 'Attempts in flight at most, the first included.',
    },
    2,
    5,
    2,
  ),

  onOff({ env: 'BREAKER', path: ['breaker'], doc: 'Service-level circuit breaker.' }, true),
  percent(
    {
      env: 'BREAKER_ERROR_THRESHOLD_PERCENT',
      path: ['breaker', 'errorThresholdPercent'],
      doc: 'Failure percentage in the window that opens the circuit.',
    },
    50,
  ),
  int(
    {
      env: 'BREAKER_VOLUME_THRESHOLD',
      path: ['breaker', 'volumeThreshold'],
      doc: 'Calls in the window before the breaker may open.',
    },
    1,
    1_000_000,
    20,
  ),
  ms(
    {
      env: 'BREAKER_RESET_TIMEOUT_MS',
      path: ['breaker', 'resetTimeoutMs'],
      doc: 'Time open before one trial call is let through.',
    },
    1,
    HOUR,
    10_000,
  ),
  ms(
    {
      env: 'BREAKER_ROLLING_WINDOW_MS',
      path: ['breaker', 'rollingWindowMs'],
      doc: 'Length of the rolling window (10 buckets).',
    },
    100,
    HOUR,
    10_000,
  ),

  onOff(
    { env: 'BULKHEAD', path: ['bulkhead'], doc: 'Concurrency limit with a bounded queue.' },
    true,
  ),
  int(
    {
      env: 'BULKHEAD_MAX_CONCURRENT',
      path: ['bulkhead', 'maxConcurrent'],
      doc: 'Calls in flight at most.',
    },
    1,
    1_000_000,
    1024,
  ),
  int(
    {
      env: 'BULKHEAD_MAX_QUEUE',
      path: ['bulkhead', 'maxQueue'],
      doc: 'Calls waiting for a slot at most.',
    },
    0,
    1_000_000,
    1024,
  ),
  ms(
    {
      env: 'BULKHEAD_QUEUE_TIMEOUT_MS',
      path: ['bulkhead', 'queueTimeoutMs'],
      doc: 'Longest wait for a slot; unset means until the deadline.',
    },
    1,
    HOUR,
  ),

  onOff(
    {
      env: 'RATE_LIMIT',
      path: ['rateLimit'],
      doc: 'Client-side token-bucket rate limit (off until configured).',
    },
    false,
  ),
  int(
    {
      env: 'RATE_LIMIT_PER_SECOND',
      path: ['rateLimit', 'perSecond'],
      doc: 'Tokens added per second.',
    },
    1,
    10_000_000,
    undefined,
    'per second',
  ),
  int(
    {
      env: 'RATE_LIMIT_BURST',
      path: ['rateLimit', 'burst'],
      doc: 'Bucket size; unset means one second of tokens.',
    },
    1,
    10_000_000,
  ),

  onOff(
    {
      env: 'OUTLIER_DETECTION',
      path: ['outlierDetection'],
      doc: 'Per-endpoint ejection of endpoints that keep failing.',
    },
    true,
  ),
  int(
    {
      env: 'OUTLIER_CONSECUTIVE_FAILURES',
      path: ['outlierDetection', 'consecutiveFailures'],
      doc: 'Consecutive failures that eject an endpoint.',
    },
    1,
    1_000,
    5,
  ),
  ms(
    {
      env: 'OUTLIER_BASE_EJECTION_MS',
      path: ['outlierDetection', 'baseEjectionMs'],
      doc: 'Ejection time, multiplied by the times ejected.',
    },
    1,
    HOUR,
    30_000,
  ),
  ms(
    {
      env: 'OUTLIER_MAX_EJECTION_MS',
      path: ['outlierDetection', 'maxEjectionMs'],
      doc: 'Longest ejection.',
    },
    1,
    HOUR,
    300_000,
  ),
  percent(
    {
      env: 'OUTLIER_MAX_EJECTION_PERCENT',
      path: ['outlierDetection', 'maxEjectionPercent'],
      doc: 'Share of endpoints ejected at once at most (at least one).',
    },
    10,
  ),
  percent(
    {
      env: 'PANIC_THRESHOLD_PERCENT',
      path: ['outlierDetection', 'panicThresholdPercent'],
      doc: 'Below this share of healthy endpoints, balance over all of them.',
    },
    50,
  ),

  onOff(
    { env: 'FAULT', path: ['fault'], doc: 'Fault injection for drills (off until configured).' },
    false,
  ),
  percent(
    {
      env: 'FAULT_DELAY_PERCENT',
      path: ['fault', 'delay', 'percent'],
      doc: 'Share of calls delayed.',
    },
    0,
  ),
  ms({ env: 'FAULT_DELAY_MS', path: ['fault', 'delay', 'ms'], doc: 'Injected delay.' }, 0, HOUR, 0),
  percent(
    {
      env: 'FAULT_ABORT_PERCENT',
      path: ['fault', 'abort', 'percent'],
      doc: 'Share of calls aborted.',
    },
    0,
  ),
  int(
    {
      env: 'FAULT_ABORT_STATUS',
      path: ['fault', 'abort', 'status'],
      doc: 'Status of an injected abort (HTTP; mapped for gRPC).',
    },
    100,
    599,
    503,
    'an HTTP status',
  ),
];

export const SETTINGS_BY_ENV: ReadonlyMap<string, SettingDef> = new Map(
  SETTINGS.map((s) => [s.env, s]),
);
