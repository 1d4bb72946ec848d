import type { CallContext } from '../context/call-context.js';
import { isOutriggerError } from '../errors/errors.js';

/**
 * What one outcome means, decided once and shared by every policy (Finagle's response
 * classifier): retries, the breaker, outlier detection and the balancer all read the same
 * verdict, so they never disagree about what a failure is.
 *
 * - `success`: healthy answer (an HTTP 404 is a success for health purposes).
 * - `failure`: counts against health, not retried (a 500, a malformed answer).
 * - `retryable`: counts against health; safe to retry if the request is idempotent.
 * - `unsent`: provably never reached the server (connection refused, no endpoint ready):
 *   may be requeued even when the request is not idempotent.
 * - `cancelled`: the caller gave up; says nothing about the downstream's health.
 */
export type Verdict = 'success' | 'failure' | 'retryable' | 'unsent' | 'cancelled';

export interface Classifier<Res = unknown> {
  classifyResult(result: Res, ctx: CallContext): Verdict;
  classifyError(error: unknown, ctx: CallContext): Verdict;
  /** A server's hint for when to try again (Retry-After, grpc-retry-pushback-ms), in ms. */
  retryAfterMs?(result: Res | undefined, error: unknown): number | undefined;
  /**
   * Releases a result nobody will see: a retried attempt's response, a hedge's loser. The HTTP
   * client drains or destroys the body here so its connection goes back to the pool.
   */
  discard?(result: Res): void;
}

/** Node socket errors where the request provably did not leave this process. */
const UNSENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Errors after which the server may or may not have seen the request. */
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET']);

export function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNSENT_CODES.has(code) || RETRYABLE_CODES.has(code))) {
      return code;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The protocol-free default: every result is a success; socket-level errors are judged by
 * their code (looking through `cause`); a per-try timeout is retryable; a caller's abort is
 * `cancelled`; local refusals (open circuit, full bulkhead) are failures that are not retried.
 */
export const defaultClassifier: Classifier = {
  classifyResult: () => 'success',
  classifyError(error) {
    if (isOutriggerError(error)) {
      if (error.code === 'CANCELLED') return 'cancelled';
      if (error.code === 'TIMEOUT') return 'retryable';
      return 'failure';
    }
    if ((error as { name?: unknown } | undefined)?.name === 'AbortError') return 'cancelled';
    const code = errorCode(error);
    if (code === undefined) return 'failure';
    return UNSENT_CODES.has(code) ? 'unsent' : 'retryable';
  },
};

/** True for verdicts that count against the downstream's health. */
export function isFailure(verdict: Verdict): boolean {
  return verdict === 'failure' || verdict === 'retryable' || verdict === 'unsent';
}
