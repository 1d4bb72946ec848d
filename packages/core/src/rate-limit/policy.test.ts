import { describe, expect, it, vi } from 'vitest';
import { CallContext } from '../context/call-context.js';
import { RateLimitedError } from '../errors/errors.js';
import { EventBus } from '../events/events.js';
import { ManualClock } from '../time/manual-clock.js';
import { type RateLimitPolicyOptions, rateLimit } from './index.js';

function setup(options: Partial<RateLimitPolicyOptions> = {}) {
  const clock = new ManualClock(0);
  const events = new EventBus();
  const seen: string[] = [];
  events.on('rate_limit.delayed', (e) => seen.push(`delayed ${e.waitMs}`));
  events.on('rate_limit.rejected', (e) => seen.push(`rejected ${e.retryInMs}`));
  const policy = rateLimit({ perSecond: 10, burst: 2, clock, events, ...options });
  const started: string[] = [];
  const svc = policy(async (req: string) => {
    started.push(req);
    return req;
  });
  return { clock, seen, policy, svc, started };
}

describe('rateLimit()', () => {
  it('passes calls straight through while tokens last', async () => {
    const { svc, started, clock, seen } = setup();
    const a = svc('a', CallContext.root({ clock }));
    const b = svc('b', CallContext.root({ clock }));
    expect(started).toEqual(['a', 'b']);
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    expect([seen, clock.pendingTimers]).toEqual([[], 0]);
  });

  it('delays a call until its token comes, in arrival order, when that is before its deadline', async () => {
    const { svc, started, clock, seen } = setup({ burst: 1 });
    void svc('a', CallContext.root({ clock }));
    const b = svc('b', CallContext.root({ clock, timeoutMs: 1_000 }));
    const c = svc('c', CallContext.root({ clock, timeoutMs: 1_000 }));
    expect(started).toEqual(['a']);
    await clock.advanceAsync(99);
    expect(started).toEqual(['a']);
    await clock.advanceAsync(1);
    expect(started).toEqual(['a', 'b']);
    await clock.advanceAsync(100);
    expect(started).toEqual(['a', 'b', 'c']);
    await expect(Promise.all([b, c])).resolves.toEqual(['b', 'c']);
    expect(seen).toEqual(['delayed 100', 'delayed 200']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects at once with RATE_LIMITED when the next token comes after the deadline', async () => {
    const { svc, started, clock, seen, policy } = setup({ burst: 1 });
    void svc('a', CallContext.root({ clock }));
    const error = await svc(
      'b',
      CallContext.root({ clock, timeoutMs: 50, service: 'payments' }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryInMs: 100 });
    expect(error.message).toMatch(/^payments: rate limit of 10\/s reached/);
    expect([started, seen, clock.pendingTimers]).toEqual([['a'], ['rejected 100'], 0]);
    // The refused call took no token: the next one still gets the first free slot.
    expect(policy.bucket.waitMs()).toBe(100);
  });

  it('a caller abort during the wait rejects at once and gives the token back', async () => {
    const { svc, started, clock, policy } = setup({ burst: 1 });
    void svc('a', CallContext.root({ clock }));
    const controller = new AbortController();
    const ctx = CallContext.root({ clock, signal: controller.signal });
    const b = svc('b', ctx);
    expect(policy.bucket.waitMs()).toBe(200);
    controller.abort(new Error('user left'));
    await expect(b).rejects.toMatchObject({ code: 'CANCELLED', cause: { message: 'user left' } });
    expect([ctx.cancellation.listenerCount, clock.pendingTimers]).toEqual([0, 0]);
    expect(policy.bucket.waitMs()).toBe(100);
    const c = svc('c', CallContext.root({ clock }));
    await clock.advanceAsync(100);
    await expect(c).resolves.toBe('c');
    expect(started).toEqual(['a', 'c']);
  });

  it('an already aborted call is refused without taking a token', async () => {
    const { svc, clock, policy } = setup({ burst: 1 });
    void svc('a', CallContext.root({ clock }));
    const signal = AbortSignal.abort('gone');
    await expect(svc('b', CallContext.root({ clock, signal }))).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(policy.bucket.waitMs()).toBe(100);
  });

  it('a throwing event listener never fails the call', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    const events = new EventBus();
    events.on('rate_limit.delayed', () => {
      throw new Error('listener bug');
    });
    const svc = rateLimit({ perSecond: 1, clock, events })(async (x: number) => x);
    await svc(1, CallContext.root({ clock }));
    const delayed = svc(2, CallContext.root({ clock }));
    await clock.advanceAsync(1_000);
    await expect(delayed).resolves.toBe(2);
    expect(warn).toHaveBeenCalledOnce();
  });

  it('leaves no timers or listeners after 100k calls', async () => {
    const clock = new ManualClock();
    const svc = rateLimit({ perSecond: 1_000, burst: 10, clock })(async (i: number) => i);
    const outcomes = { fulfilled: 0, rejected: 0 };
    let listeners = 0;
    for (let batch = 0; batch < 5_000; batch++) {
      // 20 at once: 10 go, 9 wait up to 10 ms (one is aborted), 1 would wait past its deadline.
      const contexts = Array.from({ length: 20 }, (_, i) =>
        CallContext.root({ clock, timeoutMs: i === 19 ? 5 : 1_000 }),
      );
      const calls = contexts.map((ctx, i) => svc(i, ctx));
      const settled = Promise.allSettled(calls);
      contexts[12]!.cancellation.abort(new Error('gave up'));
      clock.advance(10);
      for (const r of await settled) outcomes[r.status]++;
      for (const ctx of contexts) listeners += ctx.cancellation.listenerCount;
      clock.advance(20); // the bucket fills up again
    }
    expect(outcomes).toEqual({ fulfilled: 90_000, rejected: 10_000 });
    expect([listeners, clock.pendingTimers]).toEqual([0, 0]);
  });
});
