import { describe, expect, it, vi } from 'vitest';
import { CallContext } from '../context/call-context.js';
import { BulkheadFullError, TimeoutError } from '../errors/errors.js';
import { EventBus } from '../events/events.js';
import { ManualClock, settle } from '../time/manual-clock.js';
import { type BulkheadPolicyOptions, bulkhead } from './index.js';

interface Held {
  req: string;
  resolve(value: string): void;
  reject(error: unknown): void;
}

function setup(options: BulkheadPolicyOptions = {}) {
  const clock = new ManualClock(0);
  const events = new EventBus();
  const seen: string[] = [];
  events.on('bulkhead.queued', (e) => seen.push(`queued ${e.queued}`));
  events.on('bulkhead.rejected', (e) => seen.push(`rejected ${e.reason} ${e.active}/${e.queued}`));
  const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock, events, ...options });
  const running: Held[] = [];
  const svc = policy(
    (req: string) =>
      new Promise<string>((resolve, reject) => running.push({ req, resolve, reject })),
  );
  const started = () => running.map((h) => h.req);
  return { clock, seen, policy, svc, running, started, slots: policy.bulkhead };
}

describe('bulkhead()', () => {
  it('runs up to maxConcurrent at once and queues the rest in arrival order', async () => {
    const { svc, running, started, slots, seen, clock } = setup({ maxConcurrent: 2, maxQueue: 2 });
    const calls = ['a', 'b', 'c', 'd'].map((r) => svc(r, CallContext.root({ clock })));
    const settled = Promise.allSettled(calls);
    expect(started()).toEqual(['a', 'b']);
    expect([slots.active, slots.queued]).toEqual([2, 2]);
    running[1]!.resolve('b!');
    await settle();
    expect(started()).toEqual(['a', 'b', 'c']);
    running[0]!.reject(new Error('a failed'));
    await settle();
    expect(started()).toEqual(['a', 'b', 'c', 'd']);
    running[2]!.resolve('c!');
    running[3]!.resolve('d!');
    const results = await settled;
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect([slots.active, slots.queued, clock.pendingTimers]).toEqual([0, 0, 0]);
    expect(seen).toEqual(['queued 1', 'queued 2']);
  });

  it('rejects with BULKHEAD_FULL when every slot and queue place is taken', async () => {
    const { svc, seen, started, clock } = setup();
    void svc('a', CallContext.root({ clock }));
    void svc('b', CallContext.root({ clock }));
    const error = await svc('c', CallContext.root({ clock, service: 'payments' })).catch((e) => e);
    expect(error).toBeInstanceOf(BulkheadFullError);
    expect(error.message).toMatch(/^payments: 1 calls in flight and 1 queued/);
    expect(started()).toEqual(['a']);
    expect(seen).toEqual(['queued 1', 'rejected full 1/1']);
  });

  it('refuses at once with maxQueue 0', async () => {
    const { svc, clock } = setup({ maxQueue: 0 });
    void svc('a', CallContext.root({ clock }));
    await expect(svc('b', CallContext.root({ clock }))).rejects.toMatchObject({
      code: 'BULKHEAD_FULL',
    });
  });

  it('a caller abort during the queue wait rejects at once and frees its place (cockatiel#112)', async () => {
    const { svc, running, started, slots, clock } = setup();
    void svc('a', CallContext.root({ clock }));
    const controller = new AbortController();
    const ctxB = CallContext.root({ clock, signal: controller.signal });
    const b = svc('b', ctxB);
    await expect(svc('c', CallContext.root({ clock }))).rejects.toMatchObject({
      code: 'BULKHEAD_FULL',
    });

    controller.abort(new Error('user left'));
    await expect(b).rejects.toMatchObject({ code: 'CANCELLED', cause: { message: 'user left' } });
    expect(slots.queued).toBe(0);
    expect(ctxB.cancellation.listenerCount).toBe(0);

    const d = svc('d', CallContext.root({ clock }));
    expect(slots.queued).toBe(1);
    running[0]!.resolve('a!');
    await settle();
    expect(started()).toEqual(['a', 'd']);
    running[1]!.resolve('d!');
    await expect(d).resolves.toBe('d!');
    expect([slots.active, clock.pendingTimers]).toEqual([0, 0]);
  });

  it('rejects with TIMEOUT (kind queue) once the queue timeout passes, and frees the place', async () => {
    const { svc, slots, seen, clock } = setup({ queueTimeoutMs: 100 });
    void svc('a', CallContext.root({ clock }));
    const b = svc('b', CallContext.root({ clock }));
    clock.advance(99);
    expect(slots.queued).toBe(1);
    clock.advance(1);
    const error = await b.catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ kind: 'queue', timeoutMs: 100 });
    expect([slots.queued, clock.pendingTimers]).toEqual([0, 0]);
    expect(seen).toEqual(['queued 1', 'rejected timeout 1/0']);
  });

  it("ends a queue wait at the call's deadline when that comes first", async () => {
    const { svc, clock, slots } = setup({ queueTimeoutMs: 1_000 });
    void svc('a', CallContext.root({ clock }));
    const b = svc('b', CallContext.root({ clock, timeoutMs: 50 }));
    clock.advance(50);
    await expect(b).rejects.toMatchObject({ code: 'TIMEOUT', kind: 'queue', timeoutMs: 50 });
    await expect(
      svc('c', CallContext.root({ clock, deadline: clock.now() })),
    ).rejects.toMatchObject({ code: 'TIMEOUT', kind: 'queue' });
    expect([slots.queued, clock.pendingTimers]).toEqual([0, 0]);
  });

  it('an already aborted call is refused without queueing', async () => {
    const { svc, clock, slots } = setup();
    void svc('a', CallContext.root({ clock }));
    const signal = AbortSignal.abort(new Error('gone'));
    await expect(svc('b', CallContext.root({ clock, signal }))).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(slots.queued).toBe(0);
  });

  it('releases its slot when the service throws synchronously', async () => {
    const policy = bulkhead({ maxConcurrent: 1 });
    const svc = policy((): Promise<string> => {
      throw new Error('sync');
    });
    await expect(svc('a', CallContext.root())).rejects.toThrow('sync');
    expect(policy.bulkhead.active).toBe(0);
  });

  it('a throwing event listener never fails the call', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const events = new EventBus();
    events.on('bulkhead.rejected', () => {
      throw new Error('listener bug');
    });
    events.on('bulkhead.queued', () => {
      throw new Error('listener bug');
    });
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, events });
    let release!: () => void;
    const svc = policy(
      (req: string) => new Promise<string>((resolve) => (release = () => resolve(req))),
    );
    const a = svc('a', CallContext.root());
    const b = svc('b', CallContext.root());
    await expect(svc('c', CallContext.root())).rejects.toMatchObject({ code: 'BULKHEAD_FULL' });
    release();
    await expect(a).resolves.toBe('a');
    await settle();
    release();
    await expect(b).resolves.toBe('b');
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('leaves no timers or listeners after 100k calls', async () => {
    const clock = new ManualClock();
    const policy = bulkhead({ maxConcurrent: 8, maxQueue: 8, queueTimeoutMs: 1_000, clock });
    const svc = policy(async (i: number) => i);
    const outcomes = { fulfilled: 0, rejected: 0 };
    let listeners = 0;
    for (let batch = 0; batch < 5_000; batch++) {
      // 20 at once: 8 run, 8 queue (one of them aborted), 4 are refused.
      const contexts = Array.from({ length: 20 }, () => CallContext.root({ clock }));
      const calls = contexts.map((ctx, i) => svc(i, ctx));
      contexts[10]!.cancellation.abort(new Error('gave up'));
      for (const r of await Promise.allSettled(calls)) outcomes[r.status]++;
      for (const ctx of contexts) listeners += ctx.cancellation.listenerCount;
    }
    expect(outcomes).toEqual({ fulfilled: 75_000, rejected: 25_000 });
    expect([listeners, clock.pendingTimers]).toEqual([0, 0]);
    expect([policy.bulkhead.active, policy.bulkhead.queued]).toEqual([0, 0]);
  });
});
