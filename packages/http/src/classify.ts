import type { IncomingHttpHeaders } from 'node:http';
import type { Classifier, Verdict } from '@outrigger/core';
import { defaultClassifier, errorCode, FaultInjectedError } from '@outrigger/core';
import type { ResponseClassifier } from './options.js';

/** What an HTTP attempt produced, as far as classification needs to know. */
export interface HttpOutcome {
  readonly statusCode: number;
  readonly headers: Readonly<IncomingHttpHeaders>;
  /** Releases the body nobody will read (drains it, or cuts the connection if it is large). */
  discard?(): void;
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
  // Date.parse alone reads nearly anything as a date ("1.5", "-5", "foo 1" are days in 2001),
  // which would turn a malformed hint into "retry now"; only RFC 9110's three forms are dates.
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const at = Date.parse(ASCTIME.test(trimmed) ? `${trimmed} GMT` : trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
const IMF_FIXDATE = `${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT`;
const RFC850_DATE = `(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT`;
const ASCTIME_DATE = `${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}`;
/** The three forms of RFC 9110, section 5.6.7. */
const HTTP_DATE = new RegExp(`^(?:${IMF_FIXDATE}|${RFC850_DATE}|${ASCTIME_DATE})$`);
/** asctime has no zone: HTTP means GMT, where Date.parse would read local time. */
const ASCTIME = new RegExp(`^${ASCTIME_DATE}$`);

/** undici's own errors, beyond the socket codes core knows. */
const UNDICI_VERDICTS: Readonly<Record<string, Verdict>> = {
  // undici's header/body timers are a backstop behind the deadline: the server was too slow.
  UND_ERR_HEADERS_TIMEOUT: 'retryable',
  UND_ERR_BODY_TIMEOUT: 'retryable',
  // Dispatched to a pool that had already closed: nothing was written.
  UND_ERR_CLOSED: 'unsent',
  UND_ERR_DESTROYED: 'retryable',
};

/**
 * The HTTP classifier. Statuses by `classifyStatus` (after the user's `classifyResponse`, if
 * any); errors by socket code through `cause`, as core does, plus undici's timers; an injected
 * fault by the status it pretends, so that drills exercise retries like the real thing.
 */
export function createHttpClassifier(custom?: ResponseClassifier): Classifier<HttpOutcome> {
  const status = custom
    ? (code: number, headers: HttpOutcome['headers']) =>
        custom(code, headers) ?? classifyStatus(code, headers)
    : classifyStatus;
  return {
    classifyResult: (outcome) => status(outcome.statusCode, outcome.headers),
    classifyError(error, ctx) {
      if (error instanceof FaultInjectedError) return status(error.status, {});
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && UNDICI_VERDICTS[code] && errorCode(error) === undefined) {
        return UNDICI_VERDICTS[code]!;
      }
      return defaultClassifier.classifyError(error, ctx);
    },
    retryAfterMs: (outcome) =>
      outcome ? parseRetryAfter(outcome.headers['retry-after']) : undefined,
    discard: (outcome) => outcome.discard?.(),
  };
}

export const httpClassifier: Classifier<HttpOutcome> = createHttpClassifier();
