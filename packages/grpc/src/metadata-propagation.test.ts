import { Metadata } from '@grpc/grpc-js';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  type TextMapPropagator,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { attemptMetadata, metadataGetter, metadataSetter } from './metadata-propagation.js';
import { AlsContextManager } from './test-support/als-context-manager.js';

/** W3C trace context as far as these tests need it: writes only when a span context is active. */
const w3c: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const span = trace.getSpanContext(ctx);
    if (span === undefined) return;
    setter.set(carrier, 'traceparent', `00-${span.traceId}-${span.spanId}-01`);
    setter.set(carrier, 'tracestate', 'vendor=1');
  },
  extract: (ctx) => ctx,
  fields: () => ['traceparent', 'tracestate'],
};

const SPAN = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
};
const TRACEPARENT = `00-${SPAN.traceId}-${SPAN.spanId}-01`;

function inSpan<T>(fn: () => T): T {
  return context.with(trace.setSpanContext(ROOT_CONTEXT, SPAN), fn);
}

function registerTracing(): void {
  context.setGlobalContextManager(new AlsContextManager());
  propagation.setGlobalPropagator(w3c);
}

afterEach(() => {
  propagation.disable();
  context.disable();
});

describe('attemptMetadata', () => {
  it("returns the caller's own object, untouched, while no propagator is registered", () => {
    context.setGlobalContextManager(new AlsContextManager());
    const base = new Metadata();
    base.set('x-tenant', 'a');
    expect(inSpan(() => attemptMetadata(base))).toBe(base);
    expect(inSpan(() => attemptMetadata(undefined))).toBeUndefined();
    expect(base.toJSON()).toEqual({ 'x-tenant': ['a'] });
  });

  it("injects the active trace context into a copy and leaves the caller's metadata alone", () => {
    registerTracing();
    const base = new Metadata();
    base.set('x-tenant', 'a');
    base.set('traceparent', 'stale');
    const out = inSpan(() => attemptMetadata(base));
    expect(out).not.toBe(base);
    expect(out?.toJSON()).toEqual({
      'x-tenant': ['a'],
      traceparent: [TRACEPARENT],
      tracestate: ['vendor=1'],
    });
    expect(base.toJSON()).toEqual({ 'x-tenant': ['a'], traceparent: ['stale'] });
  });

  it('makes metadata of its own when the caller gave none', () => {
    registerTracing();
    const out = inSpan(() => attemptMetadata(undefined));
    expect(out).toBeInstanceOf(Metadata);
    expect(out?.get('traceparent')).toEqual([TRACEPARENT]);
  });

  it('copies nothing when the propagator has nothing to write (no active span)', () => {
    registerTracing();
    const base = new Metadata();
    expect(attemptMetadata(base)).toBe(base);
    expect(attemptMetadata(undefined)).toBeUndefined();
  });
});

describe('metadataGetter and metadataSetter', () => {
  it('read text values, one or many, and skip binary ones', () => {
    const md = new Metadata();
    md.set('traceparent', TRACEPARENT);
    md.add('baggage', 'a=1');
    md.add('baggage', 'b=2');
    md.set('trace-bin', Buffer.from([1, 2]));
    expect(metadataGetter.get(md, 'traceparent')).toBe(TRACEPARENT);
    expect(metadataGetter.get(md, 'baggage')).toEqual(['a=1', 'b=2']);
    expect(metadataGetter.get(md, 'trace-bin')).toBeUndefined();
    expect(metadataGetter.get(md, 'tracestate')).toBeUndefined();
    expect(metadataGetter.keys(md).sort()).toEqual(['baggage', 'trace-bin', 'traceparent']);
  });

  it('replaces a value under the same key, and drops one grpc-js refuses instead of throwing', () => {
    const md = new Metadata();
    md.add('traceparent', 'one');
    md.add('traceparent', 'two');
    metadataSetter.set(md, 'traceparent', TRACEPARENT);
    expect(md.get('traceparent')).toEqual([TRACEPARENT]);
    expect(() => metadataSetter.set(md, 'baggage', 'caf\u00e9')).not.toThrow();
    expect(md.get('baggage')).toEqual([]);
  });
});
