import { CallContext, TimeoutError } from '@outrigger/core';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { HttpAttempt, MAX_DRAIN_BYTES } from './attempt.js';

class FakeController implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  constructor(readonly onAbortCalled?: (e: Error) => void) {}
  abort(reason: Error) {
    this.aborted = true;
    this.reason = reason;
    this.onAbortCalled?.(reason);
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
}

function start(ctx = CallContext.root()) {
  let settled: { value?: HttpAttempt; error?: unknown } | undefined;
  let done = 0;
  const attempt = new HttpAttempt(
    ctx,
    (value) => (settled = { value }),
    (error) => (settled = { error }),
  );
  attempt.owner = { attemptDone: () => done++ };
  return { attempt, settled: () => settled, done: () => done };
}

describe('HttpAttempt', () => {
  it('resolves at the head, buffers early body bytes, and hands them to the sink in order', () => {
    const { attempt, settled, done } = start();
    const c = new FakeController();
    attempt.onRequestStart(c);
    attempt.onResponseStart(c, 100, {}, 'Continue');
    expect(settled()).toBeUndefined();
    attempt.onResponseStart(c, 200, { 'content-length': '4' }, 'OK');
    expect(settled()?.value).toBe(attempt);
    attempt.onResponseData(c, Buffer.from('ab'));
    attempt.onResponseEnd(c, { 'x-trailer': '1' });
    expect(done()).toBe(1);
    const seen: string[] = [];
    attempt.attach({
      onData: (chunk) => seen.push(chunk.toString()) > 0,
      onEnd: (t) => seen.push(`end:${t['x-trailer']}`),
      onError: () => seen.push('error'),
    });
    expect(seen).toEqual(['ab', 'end:1']);
  });

  it('pauses the connection once 64 KiB wait for a reader, and resumes when one attaches', () => {
    const { attempt } = start();
    const c = new FakeController();
    attempt.onRequestStart(c);
    attempt.onResponseStart(c, 200, {}, 'OK');
    attempt.onResponseData(c, Buffer.alloc(64 * 1024));
    expect(c.paused).toBe(false);
    attempt.onResponseData(c, Buffer.alloc(1));
    expect(c.paused).toBe(true);
    attempt.attach({ onData: () => true, onEnd: () => {}, onError: () => {} });
    expect(c.paused).toBe(false);
  });

  it('an abort before undici starts the request rejects at once and cancels it at start', () => {
    const ctx = CallContext.root({ service: 'svc' });
    const { attempt, settled } = start(ctx);
    const timeout = new TimeoutError({ service: 'svc', timeoutMs: 50, kind: 'total' });
    ctx.cancellation.abort(timeout);
    expect(settled()?.error).toBe(timeout);
    const c = new FakeController();
    attempt.onRequestStart(c);
    expect(c.aborted).toBe(true);
    expect(c.reason).toBe(timeout);
  });

  it("an abort in flight calls undici's controller and leaves the cancellation's listeners clean", () => {
    const ctx = CallContext.root({ service: 'svc' });
    const { attempt, settled, done } = start(ctx);
    const c = new FakeController((reason) => attempt.onResponseError(c, reason));
    attempt.onRequestStart(c);
    expect(ctx.cancellation.listenerCount).toBe(1);
    ctx.cancellation.abort(new Error('caller gave up'));
    expect(c.aborted).toBe(true);
    expect(settled()?.error).toMatchObject({ code: 'CANCELLED' });
    expect(done()).toBe(1);
  });

  it('stops listening to the cancellation once the head arrives', () => {
    const ctx = CallContext.root();
    const { attempt } = start(ctx);
    const c = new FakeController();
    attempt.onRequestStart(c);
    attempt.onResponseStart(c, 200, {}, 'OK');
    expect(ctx.cancellation.listenerCount).toBe(0);
  });

  it('a network error before the head rejects with undici’s error', () => {
    const { attempt, settled, done } = start();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    attempt.onResponseError(new FakeController(), refused);
    expect(settled()?.error).toBe(refused);
    expect(done()).toBe(1);
  });

  it('discard drains a small body (keeping the connection) and cuts a large one', () => {
    const small = start();
    const c1 = new FakeController();
    small.attempt.onRequestStart(c1);
    small.attempt.onResponseStart(c1, 503, { 'content-length': '10' }, '');
    small.attempt.discard();
    small.attempt.onResponseData(c1, Buffer.alloc(10));
    expect(c1.aborted).toBe(false);

    const large = start();
    const c2 = new FakeController();
    large.attempt.onRequestStart(c2);
    large.attempt.onResponseStart(c2, 503, { 'content-length': String(MAX_DRAIN_BYTES + 1) }, '');
    large.attempt.discard();
    expect(c2.aborted).toBe(true);

    const chunked = start();
    const c3 = new FakeController();
    chunked.attempt.onRequestStart(c3);
    chunked.attempt.onResponseStart(c3, 503, {}, '');
    chunked.attempt.discard();
    chunked.attempt.onResponseData(c3, Buffer.alloc(MAX_DRAIN_BYTES + 1));
    expect(c3.aborted).toBe(true);
  });
});
