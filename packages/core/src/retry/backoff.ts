/** How a backoff is spread, so that clients failing together do not retry together. */
export const JITTER_KINDS = ['full', 'decorrelated', 'none'] as const;
export type JitterKind = (typeof JITTER_KINDS)[number];

export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter: JitterKind;
}

/**
 * Delay before retry number `retry` (1 for the first retry). Exponential, capped, with jitter:
 * `full` draws uniformly from [0, min(max, base·2^(n-1))] (AWS "full jitter"); `decorrelated`
 * draws from [base, 3·previous] capped (AWS "decorrelated jitter"); `none` is plain exponential.
 */
export function backoffDelay(
  backoff: Backoff,
  retry: number,
  previousMs: number,
  random: () => number,
): number {
  const exp = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(retry - 1, 30));
  switch (backoff.jitter) {
    case 'none':
      return exp;
    case 'full':
      return random() * exp;
    case 'decorrelated': {
      const upper = Math.max(backoff.baseMs, previousMs * 3);
      return Math.min(backoff.maxMs, backoff.baseMs + random() * (upper - backoff.baseMs));
    }
  }
}
