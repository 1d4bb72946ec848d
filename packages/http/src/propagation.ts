import { context, propagation, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { CallContext } from '@outrigger/core';

/** Writes into a flat header array, replacing a header of the same name the caller set. */
const flatSetter: TextMapSetter<string[]> = {
  set(carrier, key, value) {
    const lower = key.toLowerCase();
    for (let i = 0; i < carrier.length; i += 2) {
      if (carrier[i]!.toLowerCase() === lower) {
        carrier[i + 1] = value;
        return;
      }
    }
    carrier.push(key, value);
  },
};

/**
 * The headers of one attempt: the caller's, the remaining deadline (so the next hop can cap
 * its own calls), and W3C trace context through the global propagator, which is a no-op until
 * an OpenTelemetry SDK registers one. Copies the caller's array only when it adds something.
 */
export function attemptHeaders(
  base: string[],
  ctx: CallContext,
  deadlineHeader: string | undefined,
): string[] {
  let headers = base;
  if (deadlineHeader !== undefined && ctx.deadline !== Number.POSITIVE_INFINITY) {
    const ms = Math.max(1, Math.floor(ctx.remainingMs()));
    const own = indexOfHeader(base, deadlineHeader);
    if (own < 0) headers = base.concat(deadlineHeader, String(ms));
    else {
      // The caller set one too: send a single header with the earlier of the two deadlines.
      headers = base.slice();
      const theirs = parseTimeoutHeader(base[own + 1]);
      headers[own + 1] = String(theirs === undefined ? ms : Math.min(theirs, ms));
    }
  }
  // The no-op propagator writes nothing; only an SDK's makes the copy below worthwhile.
  if (propagation.fields().length > 0) {
    if (headers === base) headers = base.slice();
    propagation.inject(context.active(), headers, flatSetter);
  }
  return headers;
}

function indexOfHeader(flat: readonly string[], lower: string): number {
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.toLowerCase() === lower) return i;
  return -1;
}

/** Reads Node's lower-cased `IncomingHttpHeaders` for `propagation.extract`. */
export const incomingGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  get(carrier, key) {
    return carrier[key.toLowerCase()];
  },
  keys(carrier) {
    return Object.keys(carrier);
  },
};

/**
 * The remaining time an inbound request brings, in ms; undefined when absent or malformed.
 * Accepts an integer or decimal number of milliseconds; of repeated values (a list, or Node's
 * `a, b` join of a repeated header) the smallest wins, since deadlines only ever shrink.
 */
export function parseTimeoutHeader(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  let least: number | undefined;
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const trimmed = part.trim();
    if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
    const ms = Number(trimmed);
    if (least === undefined || ms < least) least = ms;
  }
  return least;
}
