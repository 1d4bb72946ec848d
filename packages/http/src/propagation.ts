import { context, propagation, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { CallContext } from '@outrigger/core';
import { traceContextOf } from '@outrigger/core/internal';

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
 * The deadline header's value, formatted once per whole ms rather than once per request: at a
 * steady rate nearly every attempt sends the same value (the same timeout, a few µs apart), and
 * `String(n)` plus its string cost more than the comparison. Module state: JS is single-threaded.
 */
let lastMs = -1;
let lastText = '';
function msText(ms: number): string {
  if (ms !== lastMs) {
    lastText = String(ms);
    lastMs = ms;
  }
  return lastText;
}

/**
 * The headers of one attempt: the caller's, the remaining deadline (so the next hop can cap
 * its own calls; a deadline header the caller set is kept unless ours is earlier), and W3C
 * trace context through the global propagator, which is a no-op until an OpenTelemetry SDK
 * registers one. Copies the caller's array only when it adds something.
 *
 * `remainingMs` is the attempt's time left (`Infinity` for none), read once by the transport,
 * which also derives undici's backstop timers from it: one clock read per attempt.
 */
export function attemptHeaders(
  base: readonly string[],
  remainingMs: number,
  deadlineHeader: string | undefined,
  attempt?: CallContext,
): readonly string[] {
  let headers = base;
  if (deadlineHeader !== undefined && remainingMs !== Number.POSITIVE_INFINITY) {
    const ms = Math.max(1, Math.floor(remainingMs));
    const own = indexOfHeader(base, deadlineHeader);
    if (own >= 0) {
      // The caller set one too. Theirs is never overwritten by a later deadline: of two numbers
      // the earlier is sent (deadlines only shrink); a value that is not a number of ms is the
      // caller's own use of that name and goes out as they wrote it, with no deadline of ours.
      const theirs = parseTimeoutHeader(base[own + 1]);
      if (theirs !== undefined && ms < theirs) {
        const copy = base.slice();
        copy[own + 1] = msText(ms);
        headers = copy;
      }
    } else if (base.length === 0) {
      // The common case, no headers of the caller's: a two-element literal, not a concat.
      headers = [deadlineHeader, msText(ms)];
    } else {
      headers = withPair(base, deadlineHeader, msText(ms));
    }
  }
  // The no-op propagator writes nothing; only an SDK's makes the copy below worthwhile.
  if (propagation.fields().length > 0) {
    const copy = headers === base ? base.slice() : (headers as string[]);
    // The attempt's span (set by the telemetry positions), else whatever is active.
    propagation.inject(attempt ? traceContextOf(attempt) : context.active(), copy, flatSetter);
    headers = copy;
  }
  return headers;
}

/** `base` plus one pair, copied by hand: cheaper than `concat` for a few headers. */
function withPair(base: readonly string[], name: string, value: string): string[] {
  const n = base.length;
  const out = new Array<string>(n + 2);
  for (let i = 0; i < n; i++) out[i] = base[i]!;
  out[n] = name;
  out[n + 1] = value;
  return out;
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
