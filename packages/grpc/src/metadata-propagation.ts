import { Metadata } from '@grpc/grpc-js';
import { context, propagation, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { CallContext } from '@outrigger/core';
import { traceContextOf } from '@outrigger/core/internal';

/**
 * Reads gRPC metadata for `propagation.extract`. Text values only: a propagator reads text
 * headers, and a `-bin` key's Buffer is not one. A repeated key gives all its values, which
 * propagators join (tracestate, baggage) or take the first of (traceparent).
 */
export const metadataGetter: TextMapGetter<Metadata> = {
  get(carrier, key) {
    const values = carrier.get(key);
    if (values.length === 1) return typeof values[0] === 'string' ? values[0] : undefined;
    const text = values.filter((value): value is string => typeof value === 'string');
    return text.length === 0 ? undefined : text;
  },
  keys(carrier) {
    return Object.keys(carrier.getMap());
  },
};

/**
 * Writes into gRPC metadata for `propagation.inject`, replacing a value the caller set under the
 * same key. A value grpc-js refuses (not printable ASCII) is left out rather than thrown:
 * telemetry never fails a call.
 */
export const metadataSetter: TextMapSetter<Metadata> = {
  set(carrier, key, value) {
    try {
      carrier.set(key, value);
    } catch {
      // Metadata.set validates; a bad propagated value is dropped, the call goes on.
    }
  },
};

/** The caller's metadata and, once a propagator writes something, the attempt's own copy. */
interface LazyCopy {
  readonly base: Metadata | undefined;
  copy: Metadata | undefined;
}

/** Copies the caller's metadata on the first write only, so a propagator with nothing to say copies nothing. */
const lazySetter: TextMapSetter<LazyCopy> = {
  set(carrier, key, value) {
    carrier.copy ??= carrier.base ? carrier.base.clone() : new Metadata();
    metadataSetter.set(carrier.copy, key, value);
  },
};

/**
 * The metadata of one attempt: the caller's, plus W3C trace context (traceparent, tracestate,
 * baggage) of the active context through the global propagator. Without a registered
 * propagator (no OpenTelemetry SDK) it returns `base` itself: no copy, no allocation. With one,
 * the caller's object is never touched: the propagator writes into a clone, made only when it
 * has something to write. The deadline needs nothing here: grpc-js sends it as `grpc-timeout`
 * from the call's `deadline` option.
 */
export function attemptMetadata(
  base: Metadata | undefined,
  attempt?: CallContext,
): Metadata | undefined {
  if (propagation.fields().length === 0) return base;
  const carrier: LazyCopy = { base, copy: undefined };
  // The attempt's span (set by the telemetry positions), else whatever is active.
  propagation.inject(attempt ? traceContextOf(attempt) : context.active(), carrier, lazySetter);
  return carrier.copy ?? base;
}
