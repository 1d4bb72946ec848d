import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { BalancerName } from '../balancer/by-name.js';
import type { JitterKind } from '../retry/backoff.js';

/** The options every Outrigger client takes (protocol packages add their own). */
export interface ClientOptions {
  /** The downstream's name: used for discovery, telemetry and `OUTRIGGER_<SERVICE>_*` variables. */
  service: string;
  /** A Discovery, or a static list of `host:port`. */
  discovery?: readonly string[] | object | undefined;
  /**
   * Once discovery has reported an error and no endpoint set has arrived, calls fail with
   * `NO_ENDPOINTS` (the error as cause) this long after client creation. Default 1,000.
   */
  discoveryInitialWaitMs?: number | undefined;
  /** A balancer name, or a balancer instance. */
  balancer?: BalancerName | object | undefined;
  /** This caller's zone, for zone-aware balancing. */
  zone?: string | undefined;
  timeout?: TimeoutOptions | false | undefined;
  retry?: RetryOptions | false | undefined;
  hedge?: HedgeOptions | false | undefined;
  breaker?: BreakerOptions | false | undefined;
  bulkhead?: BulkheadOptions | false | undefined;
  rateLimit?: RateLimitOptions | false | undefined;
  outlierDetection?: OutlierDetectionOptions | false | undefined;
  fault?: FaultOptions | false | undefined;
  /** OpenTelemetry spans for calls and attempts; on by default (no-op until an SDK is registered). */
  telemetry?: TelemetryOptions | false | undefined;
  /** The tracer provider to use instead of the global one (`trace.getTracerProvider()`), for tests. */
  tracerProvider?: TracerProvider | undefined;
  /** The meter provider to use instead of the global one (`metrics.getMeterProvider()`), for tests. */
  meterProvider?: MeterProvider | undefined;
  /** The environment to read `OUTRIGGER_*` from; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface TimeoutOptions {
  /** Total deadline of a logical call, retries included. Default 10,000. */
  totalMs?: number;
  /** Deadline of each attempt; never outlives the total. Default: none. */
  perTryMs?: number;
}

export interface RetryOptions {
  /** Attempts per call, the first included. Default 3, 1 to 10. */
  maxAttempts?: number;
  /**
   * Requeues per call of attempts that provably never reached a server (connection refused), on
   * top of `maxAttempts`, 0 to 10. Default: one pass over the endpoints (their number − 1, at
   * most 3). Decision 0044.
   */
  maxRequeues?: number;
  backoff?: { baseMs?: number; maxMs?: number; jitter?: JitterKind };
  /** Cap on server-requested delays. Default 10,000. */
  retryAfterMaxMs?: number;
  budget?: { ratio?: number; minPerSecond?: number; ttlMs?: number };
}

export interface HedgeOptions {
  /** Fixed delay before a hedge; by default the `percentile` of recent latency. */
  delayMs?: number;
  percentile?: number;
  maxAttempts?: number;
}

export interface BreakerOptions {
  errorThresholdPercent?: number;
  volumeThreshold?: number;
  resetTimeoutMs?: number;
  rollingWindowMs?: number;
}

export interface BulkheadOptions {
  maxConcurrent?: number;
  maxQueue?: number;
  queueTimeoutMs?: number;
}

export interface RateLimitOptions {
  perSecond?: number;
  burst?: number;
}

export interface OutlierDetectionOptions {
  consecutiveFailures?: number;
  baseEjectionMs?: number;
  maxEjectionMs?: number;
  maxEjectionPercent?: number;
  panicThresholdPercent?: number;
}

export interface TelemetryOptions {
  /** A child span per attempt under the call's span. Default true. */
  attemptSpans?: boolean;
  /**
   * Per-endpoint series (in flight, EWMA latency, ejected, ejections by endpoint). Default
   * false: one series per endpoint multiplies a backend's metric count by the fleet's size.
   */
  endpointMetrics?: boolean;
}

export interface FaultOptions {
  delay?: { percent?: number; ms?: number };
  abort?: { percent?: number; status?: number };
}

/** The settings after resolution: every section either `false` or fully filled. */
export interface EffectiveConfig {
  readonly service: string;
  readonly discovery: readonly string[] | object | undefined;
  readonly discoveryInitialWaitMs: number;
  readonly balancer: BalancerName | object;
  readonly zone: string | undefined;
  readonly timeout: { readonly totalMs: number; readonly perTryMs: number | undefined } | false;
  readonly retry:
    | {
        readonly maxAttempts: number;
        readonly maxRequeues: number | undefined;
        readonly backoff: {
          readonly baseMs: number;
          readonly maxMs: number;
          readonly jitter: JitterKind;
        };
        readonly retryAfterMaxMs: number;
        readonly budget: {
          readonly ratio: number;
          readonly minPerSecond: number;
          readonly ttlMs: number;
        };
      }
    | false;
  readonly hedge:
    | {
        readonly delayMs: number | undefined;
        readonly percentile: number;
        readonly maxAttempts: number;
      }
    | false;
  readonly breaker:
    | {
        readonly errorThresholdPercent: number;
        readonly volumeThreshold: number;
        readonly resetTimeoutMs: number;
        readonly rollingWindowMs: number;
      }
    | false;
  readonly bulkhead:
    | {
        readonly maxConcurrent: number;
        readonly maxQueue: number;
        readonly queueTimeoutMs: number | undefined;
      }
    | false;
  readonly rateLimit: { readonly perSecond: number; readonly burst: number } | false;
  readonly outlierDetection:
    | {
        readonly consecutiveFailures: number;
        readonly baseEjectionMs: number;
        readonly maxEjectionMs: number;
        readonly maxEjectionPercent: number;
        readonly panicThresholdPercent: number;
      }
    | false;
  readonly fault:
    | {
        readonly delay: { readonly percent: number; readonly ms: number };
        readonly abort: { readonly percent: number; readonly status: number };
      }
    | false;
  readonly telemetry: { readonly attemptSpans: boolean; readonly endpointMetrics: boolean } | false;
}
