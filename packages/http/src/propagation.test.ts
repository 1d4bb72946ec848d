import { propagation, type TextMapPropagator } from '@opentelemetry/api';
import { CallContext, ManualClock } from '@outrigger/core';
import { afterEach, describe, expect, it } from 'vitest';
import { attemptHeaders, parseTimeoutHeader } from './propagation.js';

afterEach(() => propagation.disable());

describe('attemptHeaders', () => {
  it('sends the remaining deadline in whole ms, and copies nothing when nothing is added', () => {
    const clock = new ManualClock(1_000);
    const ctx = CallContext.root({ clock, timeoutMs: 500 });
    clock.advance(120.6);
    const base = ['accept', 'text/plain'];
    expect(attemptHeaders(base, ctx, 'outrigger-timeout-ms')).toEqual([
      'accept',
      'text/plain',
      'outrigger-timeout-ms',
      '379',
    ]);
    expect(base).toHaveLength(2);
    expect(attemptHeaders(base, CallContext.root(), 'outrigger-timeout-ms')).toBe(base);
    expect(attemptHeaders(base, ctx, undefined)).toBe(base);
  });

  it("sends one deadline header: the earlier of the caller's own and the call's", () => {
    const clock = new ManualClock(0);
    const ctx = CallContext.root({ clock, timeoutMs: 500 });
    expect(attemptHeaders(['Outrigger-Timeout-Ms', '150'], ctx, 'outrigger-timeout-ms')).toEqual([
      'Outrigger-Timeout-Ms',
      '150',
    ]);
    expect(attemptHeaders(['outrigger-timeout-ms', '900'], ctx, 'outrigger-timeout-ms')).toEqual([
      'outrigger-timeout-ms',
      '500',
    ]);
  });

  it('injects trace context through the registered propagator, replacing a stale header', () => {
    const w3c: TextMapPropagator = {
      inject: (_ctx, carrier, setter) => setter.set(carrier, 'traceparent', '00-abc-def-01'),
      extract: (ctx) => ctx,
      fields: () => ['traceparent'],
    };
    propagation.setGlobalPropagator(w3c);
    const base = ['Traceparent', 'stale'];
    const out = attemptHeaders(base, CallContext.root(), undefined);
    expect(out).toEqual(['Traceparent', '00-abc-def-01']);
    expect(base).toEqual(['Traceparent', 'stale']);
  });
});

describe('parseTimeoutHeader', () => {
  it('reads integer or decimal ms and ignores anything else', () => {
    expect(parseTimeoutHeader('250')).toBe(250);
    expect(parseTimeoutHeader(['12.5'])).toBe(12.5);
    expect(parseTimeoutHeader('-1')).toBeUndefined();
    expect(parseTimeoutHeader('1e3')).toBeUndefined();
    expect(parseTimeoutHeader(undefined)).toBeUndefined();
    expect(parseTimeoutHeader('150, 9999')).toBe(150);
    expect(parseTimeoutHeader(['300', '200'])).toBe(200);
  });
});
