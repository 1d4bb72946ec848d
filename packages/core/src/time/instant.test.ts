import { describe, expect, it } from 'vitest';
import { buildChain } from '../chain/build.js';
import type { CallContext } from '../context/call-context.js';
import { honoursCancellation } from '../service/service.js';
import type { Clock } from './clock.js';
import { beginInstant, endInstant, nowOf } from './instant.js';
import { ManualClock } from './manual-clock.js';

/** A manual clock that counts its reads. */
class CountingClock extends ManualClock {
  reads = 0;
  override now(): number {
    this.reads++;
    return super.now();
  }
}

describe('instants: one clock reading per synchronous stretch', () => {
  it('reads the clock once per clock inside an instant, and on every call outside one', () => {
    const a = new CountingClock();
    const b = new CountingClock();
    nowOf(a);
    nowOf(a);
    expect(a.reads).toBe(2);
    const opened = beginInstant();
    a.advance(5);
    expect(nowOf(a)).toBe(5);
    a.advance(5);
    expect(nowOf(a)).toBe(5);
    expect(nowOf(b)).toBe(0);
    expect([a.reads, b.reads]).toEqual([3, 1]);
    endInstant(opened);
    expect(nowOf(a)).toBe(10);
    expect(a.reads).toBe(4);
  });

  it('a nested begin shares the outer instant and does not close it', () => {
    const clock = new CountingClock();
    const outer = beginInstant();
    nowOf(clock);
    const inner = beginInstant();
    expect(inner).toBe(false);
    nowOf(clock);
    endInstant(inner);
    nowOf(clock);
    expect(clock.reads).toBe(1);
    endInstant(outer);
    nowOf(clock);
    expect(clock.reads).toBe(2);
  });

  it('the default chain reads the clock once to start a call and once to settle it', async () => {
    const clock = new CountingClock();
    const transport = honoursCancellation(async (_req: unknown, ctx: CallContext) => {
      // Inside the starting stretch, the transport sees the reading the deadline took.
      expect(ctx.remainingMs()).toBeCloseTo(1_000, 6);
      return 'ok';
    });
    const chain = buildChain<unknown, string>({
      options: {
        service: 'clocked',
        discovery: ['10.0.0.1:80', '10.0.0.2:80'],
        timeout: { totalMs: 1_000 },
        env: {},
      },
      transport,
      clock,
    });
    await chain.call(null, { clock });
    clock.reads = 0;
    for (let i = 0; i < 10; i++) await chain.call(null, { clock });
    expect(clock.reads).toBe(20);
    await chain.close();
  });

  it('never carries a reading across an await: a retry after a backoff sees the time passed', async () => {
    const clock = new ManualClock();
    const remaining: number[] = [];
    let attempts = 0;
    const transport = honoursCancellation(async (_req: unknown, ctx: CallContext) => {
      remaining.push(ctx.remainingMs());
      if (++attempts === 1) throw Object.assign(new Error('refused'), { code: 'ECONNRESET' });
      return 'ok';
    });
    const chain = buildChain<unknown, string>({
      options: {
        service: 'retried',
        discovery: ['10.0.0.1:80', '10.0.0.2:80'],
        timeout: { totalMs: 1_000 },
        retry: { backoff: { baseMs: 100, maxMs: 100, jitter: 'none' } },
        env: {},
      },
      transport,
      clock: clock as Clock,
    });
    const call = chain.call(null, { clock });
    await clock.advanceAsync(200);
    await expect(call).resolves.toBe('ok');
    expect(remaining[0]).toBeCloseTo(1_000, 6);
    expect(remaining[1]).toBeLessThanOrEqual(900);
    await chain.close();
  });
});
