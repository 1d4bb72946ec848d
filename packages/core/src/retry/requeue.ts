import type { Endpoint } from '../discovery/endpoint.js';

/**
 * Requeues a call makes by default: one pass over the endpoints it can go to (their number − 1,
 * so each is tried once), at most this many. Beyond a few endpoints a dead fleet is a dead
 * fleet, and the budget, not a long pass, should decide how much extra load it gets.
 * Decision 0044.
 */
export const DEFAULT_MAX_REQUEUES = 3;

/**
 * How many never-sent attempts a call may requeue on top of `maxAttempts`: the configured
 * bound, else one pass over the `endpoints` known (0 when nobody says how many there are: a
 * `retry()` with no balancer below it cannot tell another endpoint from the same one).
 */
export function requeueBound(
  configured: number | undefined,
  endpoints: number | undefined,
): number {
  if (configured !== undefined) return configured;
  if (endpoints === undefined) return 0;
  return Math.max(0, Math.min(endpoints - 1, DEFAULT_MAX_REQUEUES));
}

/**
 * True when the next pick can still reach an endpoint this call has not tried: every attempt so
 * far went to a different endpoint, and fewer than `endpoints`. The balancer avoids tried
 * endpoints whenever another is eligible, so a repeat means none was (a small routed subset,
 * ejections): from then on a requeue would hit one that already refused, and waits a backoff.
 */
export function untriedLeft(
  tried: readonly Endpoint[] | undefined,
  endpoints: number | undefined,
): boolean {
  if (tried === undefined || endpoints === undefined || tried.length >= endpoints) return false;
  for (let i = 1; i < tried.length; i++) {
    for (let j = 0; j < i; j++) if (tried[i]!.id === tried[j]!.id) return false;
  }
  return true;
}
