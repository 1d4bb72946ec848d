import {
  BulkheadFullError,
  CircuitOpenError,
  NoEndpointsError,
  RateLimitedError,
  TimeoutError,
} from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { GrpcStatus, grpcStatusFor } from './status.js';

describe('grpcStatusFor', () => {
  it('maps refusals to the statuses the brief fixes', () => {
    expect(grpcStatusFor(new CircuitOpenError({ service: 's' }))).toBe(GrpcStatus.UNAVAILABLE);
    expect(grpcStatusFor(new NoEndpointsError({ service: 's', reason: 'none' }))).toBe(
      GrpcStatus.UNAVAILABLE,
    );
    expect(grpcStatusFor(new TimeoutError({ service: 's', timeoutMs: 1, kind: 'total' }))).toBe(
      GrpcStatus.DEADLINE_EXCEEDED,
    );
    expect(
      grpcStatusFor(new BulkheadFullError({ service: 's', maxConcurrent: 1, maxQueue: 0 })),
    ).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(grpcStatusFor(new RateLimitedError({ service: 's', perSecond: 1, retryInMs: 1 }))).toBe(
      GrpcStatus.RESOURCE_EXHAUSTED,
    );
    expect(grpcStatusFor(new Error('other'))).toBeUndefined();
  });
});
