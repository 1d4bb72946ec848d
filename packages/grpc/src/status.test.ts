import {
  BulkheadFullError,
  CircuitOpenError,
  NoEndpointsError,
  RateLimitedError,
  RequestInvalidError,
  TimeoutError,
  UnavailableError,
} from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { GrpcStatus, grpcStatusFor } from './status.js';

describe('grpcStatusFor', () => {
  it('maps refusals to the documented statuses', () => {
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
    expect(grpcStatusFor(new UnavailableError({ service: 's', unsent: true }, undefined))).toBe(
      GrpcStatus.UNAVAILABLE,
    );
    expect(
      grpcStatusFor(
        new RequestInvalidError({ service: 's', input: 1, what: 'x', problem: 'y', fix: 'z' }),
      ),
    ).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(grpcStatusFor(new Error('other'))).toBeUndefined();
  });
});
