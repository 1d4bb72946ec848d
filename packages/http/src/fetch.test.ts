import { BulkheadFullError, CancelledError, FaultInjectedError } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { FAULT_HEADER, responseForFailure } from './fetch.js';

describe('how fetch reports a failed call', () => {
  it('turns an injected abort into a Response with its status, marked as injected', () => {
    const res = responseForFailure(
      new FaultInjectedError({ service: 's', status: 503 }),
      undefined,
    );
    expect(res.status).toBe(503);
    expect(res.headers.get(FAULT_HEADER)).toBe('abort');
    expect(res.body).toBeNull();
  });

  it("rejects with the caller's reason when the caller aborted", () => {
    const controller = new AbortController();
    controller.abort(new Error('left'));
    expect(() =>
      responseForFailure(new CancelledError('s', controller.signal.reason), controller.signal),
    ).toThrow('left');
  });

  it("rejects with Outrigger's typed refusals, and wraps network errors as fetch does", () => {
    const full = new BulkheadFullError({ service: 's', maxConcurrent: 1, maxQueue: 0 });
    expect(() => responseForFailure(full, undefined)).toThrow(full);
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    try {
      responseForFailure(reset, undefined);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe('fetch failed');
      expect((error as Error).cause).toBe(reset);
    }
  });
});
