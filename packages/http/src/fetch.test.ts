import {
  BulkheadFullError,
  CallContext,
  CancelledError,
  FaultInjectedError,
  UnavailableError,
} from '@outrigger/core';
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

  it("rejects with Outrigger's typed refusals, and network errors as fetch does, typed inside", () => {
    const full = new BulkheadFullError({ service: 's', maxConcurrent: 1, maxQueue: 0 });
    expect(() => responseForFailure(full, undefined)).toThrow(full);
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const ctx = CallContext.root({ service: 'payments' });
    try {
      responseForFailure(reset, undefined, ctx);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe('fetch failed');
      const typed = (error as Error).cause as UnavailableError;
      expect(typed).toBeInstanceOf(UnavailableError);
      expect(typed).toMatchObject({ code: 'UNAVAILABLE', unsent: false, cause: reset });
      expect(typed.message).toMatch(/^payments: the connection failed .*\(other side closed\)/);
    }
  });

  it('leaves an error that is not from the wire as the cause, unwrapped', () => {
    const bug = new Error('a classifier threw');
    expect(() => responseForFailure(bug, undefined)).toThrow(
      expect.objectContaining({ message: 'fetch failed', cause: bug }),
    );
  });
});
