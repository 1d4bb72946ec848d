import { abortError } from '../context/abort-error.js';
import type { CallContext } from '../context/call-context.js';
import type { AbortListener } from '../context/cancellation.js';
import { RateLimitedError } from '../errors/errors.js';
import { type Guard, guardPolicy, WAIT } from '../service/guard.js';
import { namedPolicy, type Policy } from '../service/service.js';
import { type Clock, systemClock, type TimerHandle } from '../time/clock.js';
import type { RateLimitPolicyOptions } from './options.js';
import { TokenBucket } from './token-bucket.js';

export interface RateLimitPolicy extends Policy {
  readonly policyName: string;
  /** The bucket, for `describe()`, telemetry and tests. */
  readonly bucket: TokenBucket;
}

/**
 * A client-side rate limit: a call takes a token and goes; with the bucket empty it waits for
 * the next token if that comes before its deadline, and otherwise fails at once with
 * `RATE_LIMITED` (no point queueing for a token it could never use). A caller's abort ends the
 * wait at once and gives the token back.
 *
 * Success path with a token: one clock read and a subtraction; the service is called directly,
 * with no wrapper promise. Timers exist only for waiting calls, on `options.clock` (the
 * bucket's clock, the system clock by default).
 */
export function rateLimit(options: RateLimitPolicyOptions): RateLimitPolicy {
  const bucket = new TokenBucket(options);
  const clock = options.clock ?? systemClock;
  const { events } = options;

  const waitForToken = (ctx: CallContext): Promise<void> => {
    if (ctx.aborted) return Promise.reject(abortError(ctx));
    const service = options.service ?? ctx.service;
    const waitMs = bucket.take(ctx.remainingMs());
    if (waitMs === undefined) {
      const retryInMs = bucket.waitMs();
      if (events?.has('rate_limit.rejected')) {
        events.emit('rate_limit.rejected', { service, ctx, retryInMs });
      }
      return Promise.reject(
        new RateLimitedError({ service, perSecond: bucket.perSecond, retryInMs }),
      );
    }
    // A token came between `tryTake` and `take`.
    if (waitMs === 0) return Promise.resolve();
    if (events?.has('rate_limit.delayed'))
      events.emit('rate_limit.delayed', { service, ctx, waitMs });
    return new Promise<void>((resolve, reject) => {
      const wait = new TokenWait(bucket, ctx, clock, resolve, reject);
      ctx.cancellation.add(wait);
      // Rounded up: a timer firing early would let the call go before its token exists.
      wait.start(Math.ceil(waitMs));
    });
  };

  // A guard with nothing to settle: beside the breaker, bulkhead and balancer it adds no layer.
  const policy = guardPolicy({
    admit: () => (bucket.tryTake() ? undefined : WAIT),
    wait: (frame) => waitForToken(frame.ctx),
  } satisfies Guard<void>);

  return Object.assign(namedPolicy('rate-limit', policy, { keepsCancellation: true }), { bucket });
}

/** One waiting call: its timer or its caller's abort, whichever comes first. */
class TokenWait implements AbortListener {
  #timer: TimerHandle | undefined;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly ctx: CallContext,
    private readonly clock: Clock,
    private readonly resolve: () => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  start(ms: number): void {
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      this.ctx.cancellation.remove(this);
      this.resolve();
    }, ms);
    (this.#timer as { unref?(): unknown }).unref?.();
  }

  onAbort(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.bucket.refund();
    this.reject(abortError(this.ctx));
  }
}
