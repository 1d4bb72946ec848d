import type { Classifier, Verdict } from '@outrigger/core';
import { defaultClassifier } from '@outrigger/core';

/** What an HTTP attempt produced, as far as classification needs to know. */
export interface HttpOutcome {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * 502, 503 and 504 are retryable (the gateway or the instance says "not now"); 429 only when
 * the server says when (`Retry-After`); other 5xx count against health but are not retried,
 * since the server may have acted on the request; 4xx are the caller's problem, so a success
 * for health purposes.
 */
export function classifyStatus(statusCode: number, headers: HttpOutcome['headers']): Verdict {
  if (statusCode === 502 || statusCode === 503 || statusCode === 504) return 'retryable';
  if (statusCode === 429) return headers['retry-after'] !== undefined ? 'retryable' : 'failure';
  if (statusCode >= 500) return 'failure';
  return 'success';
}

/** `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP-date; undefined if absent or malformed. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export const httpClassifier: Classifier<HttpOutcome> = {
  classifyResult: (outcome) => classifyStatus(outcome.statusCode, outcome.headers),
  classifyError: (error, ctx) => defaultClassifier.classifyError(error, ctx),
  retryAfterMs: (outcome) =>
    outcome ? parseRetryAfter(outcome.headers['retry-after']) : undefined,
};
