import { describe, expect, it } from 'vitest';
import { CallContext } from '../context/call-context.js';
import { CALL_OPTIONS } from '../context/call-options.js';
import { EventBus } from '../events/events.js';
import { pipeline } from '../service/pipeline.js';
import type { Service } from '../service/service.js';
import { ManualClock, settle } from '../time/manual-clock.js';
import { schedulerFor } from './deadline-scheduler.js';
import { timeout } from './policy.js';

/** A service that never answers on its own, but records the abort it sees. */
function hanging() {
  const seen: { ctx?: CallContext; abortedAt?: number; reason?: unknown } = {};
  const svc: Service<unknown, string> = (_req, ctx) => {
    seen.ctx = ctx;
    ctx.cancellation.add({
      onAbort: (reason) => {
        seen.abortedAt = ctx.clock.now();
        seen.reason = reason;
      },
    });
    return new Promise(() => {});
  };
  return { svc, seen };
}

describe('timeout()', () => {
  it('rejects with TIMEOUT at the deadline and aborts the call so the transport can close it', async () => {
    const clock = new ManualClock();
    const events = new EventBus();
    const expired: unknown[] = [];
    events.on('timeout.expired', (e) => expired.push(e));
    const { svc, seen } = hanging();
    const call = pipeline(timeout({ totalMs: 100, clock, events }))(svc);
    const result = call(null, { clock, service: 'payments', operation: 'GET' }).catch((e) => e);
    await clock.advanceAsync(99);
    expect(seen.abortedAt).toBeUndefined();
    await clock.advanceAsync(1);
    const error = await result;
    expect(error).toMatchObject({ code: 'TIMEOUT', kind: 'total', timeoutMs: 100 });
    expect(seen.abortedAt).toBe(100);
    expect(seen.reason).toBe(error);
    expect(expired).toEqual([
      { service: 'payments', operation: 'GET', kind: 'total', timeoutMs: 100, attempt: 0 },
    ]);
  });

  it('never extends: an inner per-try timeout longer than the total does not outlive it', async () => {
    const clock = new ManualClock();
    const { svc, seen } = hanging();
    const call = pipeline(
      timeout({ totalMs: 100, clock }),
      timeout({ perTryMs: 5_000, clock }),
    )(svc);
    const result = call(null, { clock }).catch((e) => e);
    await settle();
    expect(seen.ctx!.deadline).toBe(100);
    await clock.advanceAsync(100);
    expect(await result).toMatchObject({ code: 'TIMEOUT', kind: 'total' });
  });

  it('a shorter per-try timeout fires first with kind per-try', async () => {
    const clock = new ManualClock();
    const { svc, seen } = hanging();
    const call = pipeline(
      timeout({ totalMs: 1_000, clock }),
      timeout({ perTryMs: 30, clock }),
    )(svc);
    const result = call(null, { clock }).catch((e) => e);
    await clock.advanceAsync(30);
    expect(await result).toMatchObject({ code: 'TIMEOUT', kind: 'per-try', timeoutMs: 30 });
    expect(seen.abortedAt).toBe(30);
  });

  it('enforces a deadline inherited from the caller, and a per-call override can only shorten it', async () => {
    const clock = new ManualClock();
    const { svc } = hanging();
    const call = pipeline(timeout({ totalMs: 1_000, clock }))(svc);
    const inherited = call(null, CallContext.root({ clock, deadline: 40 })).catch((e) => e);
    const override = call(
      null,
      CallContext.root({ clock }).with(CALL_OPTIONS, { timeoutMs: 20 }),
    ).catch((e) => e);
    await clock.advanceAsync(20);
    expect(await override).toMatchObject({ code: 'TIMEOUT', timeoutMs: 20 });
    await clock.advanceAsync(20);
    expect(await inherited).toMatchObject({ code: 'TIMEOUT', kind: 'inbound', timeoutMs: 40 });
  });

  it('a caller abort wins over everything and rejects at once with the caller reason', async () => {
    const clock = new ManualClock();
    const { svc, seen } = hanging();
    const controller = new AbortController();
    const call = pipeline(timeout({ totalMs: 100, clock }))(svc);
    const result = call(null, { clock, signal: controller.signal }).catch((e) => e);
    await settle();
    controller.abort(new Error('user left'));
    const error = await result;
    expect(error).toMatchObject({ code: 'CANCELLED' });
    expect((error as Error).cause).toMatchObject({ message: 'user left' });
    expect(seen.abortedAt).toBe(0);
  });

  it('an already expired deadline rejects without calling through', async () => {
    const clock = new ManualClock(50);
    let calls = 0;
    const call = pipeline(timeout({ totalMs: 100, clock }))(async () => calls++);
    await expect(call(null, CallContext.root({ clock, deadline: 50 }))).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    expect(calls).toBe(0);
  });

  it('one call timing out does not abort a concurrent call', async () => {
    const clock = new ManualClock();
    const a = hanging();
    const call = pipeline(timeout({ perTryMs: 10, clock }))(a.svc);
    const slow = call(null, { clock }).catch((e) => e);
    const b = hanging();
    const other = pipeline(timeout({ perTryMs: 1_000, clock }))(b.svc)(null, { clock }).catch(
      (e) => e,
    );
    await clock.advanceAsync(10);
    expect(await slow).toMatchObject({ code: 'TIMEOUT' });
    expect(b.seen.abortedAt).toBeUndefined();
    await clock.advanceAsync(990);
    expect(await other).toMatchObject({ code: 'TIMEOUT' });
  });

  it('leaves no deadline, timer or listener behind after 100k successful calls', async () => {
    const clock = new ManualClock();
    const root = CallContext.root({ clock });
    const call = pipeline(
      timeout({ totalMs: 1_000, clock }),
      timeout({ perTryMs: 500, clock }),
    )(async (x: number) => x);
    for (let i = 0; i < 100_000; i++) await call(i, root);
    expect(schedulerFor(clock).size.entries).toBe(0);
    expect(root.cancellation.listenerCount).toBe(0);
    clock.advance(2_000);
    expect(clock.pendingTimers).toBe(0);
    expect(schedulerFor(clock).size.timers).toBe(0);
  });

  it('shares one timer among calls whose deadlines fall in the same millisecond', async () => {
    const clock = new ManualClock();
    const call = pipeline(timeout({ totalMs: 100, clock }))(hanging().svc);
    const results = Array.from({ length: 50 }, () => call(null, { clock }).catch((e) => e.code));
    await settle();
    expect(clock.pendingTimers).toBe(1);
    await clock.advanceAsync(100);
    expect(new Set(await Promise.all(results))).toEqual(new Set(['TIMEOUT']));
  });

  it('rejects bad options, naming them', () => {
    expect(() => timeout({ totalMs: -1 })).toThrow(/timeout\(\) totalMs=-1 is not valid/);
    expect(() => timeout({ totalMs: 1, perTryMs: 1 })).toThrow(/one of totalMs or perTryMs/);
  });
});
