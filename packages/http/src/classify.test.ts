import { CallContext, FaultInjectedError } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import {
  classifyStatus,
  createHttpClassifier,
  httpClassifier,
  parseRetryAfter,
} from './classify.js';

describe('HTTP classification', () => {
  it('retries gateway errors, fails other 5xx, treats 4xx as healthy', () => {
    expect([502, 503, 504].map((s) => classifyStatus(s, {}))).toEqual([
      'retryable',
      'retryable',
      'retryable',
    ]);
    expect(classifyStatus(500, {})).toBe('failure');
    expect(classifyStatus(404, {})).toBe('success');
    expect(classifyStatus(200, {})).toBe('success');
  });

  it('retries 429 only when the server says when', () => {
    expect(classifyStatus(429, {})).toBe('failure');
    expect(classifyStatus(429, { 'retry-after': '2' })).toBe('retryable');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    const now = Date.parse('Wed, 25 Nov 2026 08:00:00 GMT');
    expect(parseRetryAfter('Wed, 25 Nov 2026 08:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('judges connection refused as never sent and a reset as retryable', () => {
    const ctx = CallContext.root();
    expect(
      httpClassifier.classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), ctx),
    ).toBe('unsent');
    expect(
      httpClassifier.classifyError(new Error('wrapped', { cause: { code: 'ECONNRESET' } }), ctx),
    ).toBe('retryable');
    expect(httpClassifier.classifyError(new Error('odd'), ctx)).toBe('failure');
  });
});

describe('createHttpClassifier', () => {
  const ctx = CallContext.root();

  it('judges an injected fault by the status it pretends, so drills exercise retries', () => {
    const c = createHttpClassifier();
    expect(c.classifyError(new FaultInjectedError({ service: 's', status: 503 }), ctx)).toBe(
      'retryable',
    );
    expect(c.classifyError(new FaultInjectedError({ service: 's', status: 500 }), ctx)).toBe(
      'failure',
    );
  });

  it("judges undici's own timers retryable and a closed pool unsent", () => {
    const c = createHttpClassifier();
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(c.classifyError(err('UND_ERR_HEADERS_TIMEOUT'), ctx)).toBe('retryable');
    expect(c.classifyError(err('UND_ERR_BODY_TIMEOUT'), ctx)).toBe('retryable');
    expect(c.classifyError(err('UND_ERR_CLOSED'), ctx)).toBe('unsent');
  });

  it('consults the user rules first and falls back to the built-in ones', () => {
    const c = createHttpClassifier((status) => (status === 500 ? 'retryable' : undefined));
    expect(c.classifyResult({ statusCode: 500, headers: {} }, ctx)).toBe('retryable');
    expect(c.classifyResult({ statusCode: 503, headers: {} }, ctx)).toBe('retryable');
    expect(c.classifyResult({ statusCode: 501, headers: {} }, ctx)).toBe('failure');
  });

  it('discards through the outcome so its connection can go back to the pool', () => {
    let discarded = 0;
    httpClassifier.discard!({ statusCode: 503, headers: {}, discard: () => discarded++ });
    expect(discarded).toBe(1);
  });

  it('reads the Retry-After hint of a result', () => {
    expect(
      httpClassifier.retryAfterMs!({ statusCode: 429, headers: { 'retry-after': '2' } }, undefined),
    ).toBe(2_000);
    expect(httpClassifier.retryAfterMs!(undefined, new Error('x'))).toBeUndefined();
  });
});
