import { propagation, type TextMapPropagator } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { attemptHeaders, parseTimeoutHeader } from './propagation.js';

afterEach(() => propagation.disable());

describe('attemptHeaders', () => {
  it('sends the remaining deadline in whole ms, and copies nothing when nothing is added', () => {
    const base = ['accept', 'text/plain'];
    expect(attemptHeaders(base, 379.4, 'outrigger-timeout-ms')).toEqual([
      'accept',
      'text/plain',
      'outrigger-timeout-ms',
      '379',
    ]);
    expect(base).toHaveLength(2);
    expect(attemptHeaders(base, Number.POSITIVE_INFINITY, 'outrigger-timeout-ms')).toBe(base);
    expect(attemptHeaders(base, 379.4, undefined)).toBe(base);
    expect(attemptHeaders([], 0.2, 'outrigger-timeout-ms')).toEqual(['outrigger-timeout-ms', '1']);
  });

  it('formats the value per call, whatever the previous call sent', () => {
    const seen = [4999.7, 4999.2, 12, 4999.9].map((ms) => attemptHeaders([], ms, 'h')[1]);
    expect(seen).toEqual(['4999', '4999', '12', '4999']);
  });

  it("sends one deadline header: the earlier of the caller's own and the call's", () => {
    expect(attemptHeaders(['Outrigger-Timeout-Ms', '150'], 500, 'outrigger-timeout-ms')).toEqual([
      'Outrigger-Timeout-Ms',
      '150',
    ]);
    expect(attemptHeaders(['outrigger-timeout-ms', '900'], 500, 'outrigger-timeout-ms')).toEqual([
      'outrigger-timeout-ms',
      '500',
    ]);
  });

  it("never overwrites the caller's own value of the header", () => {
    // Not a number of ms: the caller's own use of that name, sent as written, with no deadline.
    const token = ['x-api-key', 'secret', 'accept', '*/*'];
    expect(attemptHeaders(token, 500, 'x-api-key')).toBe(token);
    expect(token).toEqual(['x-api-key', 'secret', 'accept', '*/*']);
    // An earlier or equal deadline of the caller's goes out exactly as written.
    const list = ['outrigger-timeout-ms', '150, 9999'];
    expect(attemptHeaders(list, 500, 'outrigger-timeout-ms')).toBe(list);
    const same = ['outrigger-timeout-ms', '500'];
    expect(attemptHeaders(same, 500.7, 'outrigger-timeout-ms')).toBe(same);
  });

  it('injects trace context through the registered propagator, replacing a stale header', () => {
    const w3c: TextMapPropagator = {
      inject: (_ctx, carrier, setter) => setter.set(carrier, 'traceparent', '00-abc-def-01'),
      extract: (ctx) => ctx,
      fields: () => ['traceparent'],
    };
    propagation.setGlobalPropagator(w3c);
    const base = ['Traceparent', 'stale'];
    const out = attemptHeaders(base, Number.POSITIVE_INFINITY, undefined);
    expect(out).toEqual(['Traceparent', '00-abc-def-01']);
    expect(base).toEqual(['Traceparent', 'stale']);
    // With the deadline header added first, the propagator writes into that same new array.
    const both = attemptHeaders([], 250, 'outrigger-timeout-ms');
    expect(both).toEqual(['outrigger-timeout-ms', '250', 'traceparent', '00-abc-def-01']);
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
