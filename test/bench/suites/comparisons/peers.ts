/**
 * The clients the failure suites set beside Outrigger, each around undici over the same
 * instances, built the way the peers' READMEs show: no retry at all (round robin over Pools),
 * cockatiel's retry + circuit breaker, p-retry. A 5xx answer is thrown as an error, since that
 * is how a caller hands a bad status to a retry library.
 */
import {
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  retry,
  wrap,
} from 'cockatiel';
import pRetry from 'p-retry';
import { Pool } from 'undici';
import type { OpenCall } from './open-loop.js';

export interface BenchClient {
  readonly call: OpenCall;
  close(): Promise<void>;
}

export class StatusError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number) {
    super(`status ${statusCode}`);
    this.statusCode = statusCode;
  }
}

/** One Pool per instance, taken in turn: what a plain client does with a list of instances. */
export function roundRobinPools(addresses: readonly string[]) {
  const pools = addresses.map((a) => new Pool(`http://${a}`));
  let next = 0;
  /** One request to the next instance; throws StatusError on a 5xx. */
  const once = async (signal?: AbortSignal): Promise<void> => {
    const pool = pools[next++ % pools.length]!;
    const res = await pool.request({ path: '/', method: 'GET', signal });
    await res.body.text();
    if (res.statusCode >= 500) throw new StatusError(res.statusCode);
  };
  // destroy, not close: close waits for requests still out, and a round that ended with some
  // (counted as unfinished) must not wait on them.
  return { once, close: () => Promise.all(pools.map((p) => p.destroy())).then(() => undefined) };
}

/** Success once the promise resolves; a rejection is the failure's reason, tallied by the load loop. */
const settle = (p: Promise<unknown>): Promise<boolean> => p.then(() => true);

/** No retry: a failed request is a failed call. */
export function plainClient(addresses: readonly string[]): BenchClient {
  const rr = roundRobinPools(addresses);
  return { call: () => settle(rr.once()), close: rr.close };
}

/**
 * cockatiel's README composition: `wrap(retry, circuitBreaker)`, retry on anything with
 * exponential backoff (`maxAttempts: 3` is three retries, four attempts), a breaker opening after
 * five consecutive failures and half-opening after 10 s. Each attempt takes the next instance.
 */
export function cockatielClient(addresses: readonly string[]): BenchClient {
  const rr = roundRobinPools(addresses);
  const policy = wrap(
    retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
  );
  return { call: () => settle(policy.execute(({ signal }) => rr.once(signal))), close: rr.close };
}

/** cockatiel's retry alone, as above without the breaker: what "3 retries" costs by itself. */
export function cockatielRetryClient(addresses: readonly string[]): BenchClient {
  const rr = roundRobinPools(addresses);
  const policy = retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() });
  return { call: () => settle(policy.execute(({ signal }) => rr.once(signal))), close: rr.close };
}

/**
 * p-retry with `retries: 3` (four attempts). Its default backoff starts at 1 s; 25 ms doubling
 * to 250 ms (Outrigger's) changes how long a call takes, not how many attempts it makes, and
 * keeps the run short.
 */
export function pRetryClient(addresses: readonly string[]): BenchClient {
  const rr = roundRobinPools(addresses);
  return {
    call: () => settle(pRetry(() => rr.once(), { retries: 3, minTimeout: 25, maxTimeout: 250 })),
    close: rr.close,
  };
}
