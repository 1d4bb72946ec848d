import { CallContext } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { classifyStatus, httpClassifier, parseRetryAfter } from './classify.js';

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
