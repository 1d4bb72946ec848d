import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../budget/retry-budget.js';
import type { CallContext } from '../context/call-context.js';
import { EventBus } from '../events/events.js';
import { pipeline } from '../service/pipeline.js';
import { ManualClock, settle } from '../time/manual-clock.js';
import { hedge } from './policy.js';

/** Attempt n answers after latencies[n-1] ms (or never, if undefined), and records aborts. */
function backend(clock: ManualClock, latencies: (number | undefined)[]) {
  const aborted: number[] = [];
  const started: number[] = [];
  const svc = (_: null, ctx: CallContext) =>
    new Promise<string>((resolve) => {
      const n = started.length + 1;
      started.push(clock.now());
      ctx.cancellation.add({ onAbort: () => aborted.push(n) });
      const ms = latencies[n - 1];
      if (ms !== undefined) clock.setTimeout(() => resolve(`answer ${n}`), ms);
    });
  return { svc, aborted, started };
}

function recorder(events: EventBus) {
  const seen: string[] = [];
  events.on('hedge.started', (e) => seen.push(`started#${e.attempt} after ${e.delayMs}`));
  events.on('hedge.won', (e) => seen.push(`won by #${e.winner} of ${e.attempts}`));
  events.on('budget.exhausted', (e) => seen.push(`budget.exhausted ${e.purpose}`));
  return seen;
}

describe('hedge()', () => {
  it('sends a second attempt after the delay, takes the first answer and cancels the loser', async () => {
    const clock = new ManualClock();
    const events = new EventBus();
    const seen = recorder(events);
    const b = backend(clock, [undefined, 5]);
    const call = pipeline(hedge({ delayMs: 20, clock, events }))(b.svc);
    const result = call(null, { clock });
    await clock.advanceAsync(19);
    expect(b.started).toEqual([0]);
    await clock.advanceAsync(1);
    expect(b.started).toEqual([0, 20]);
    await clock.advanceAsync(5);
    await expect(result).resolves.toBe('answer 2');
    expect(b.aborted).toEqual([1]);
    expect(seen).toEqual(['started#2 after 20', 'won by #2 of 2']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not hedge a call that answers before the delay', async () => {
    const clock = new ManualClock();
    const b = backend(clock, [10]);
    const call = pipeline(hedge({ delayMs: 20, clock }))(b.svc);
    const result = call(null, { clock });
    await clock.advanceAsync(10);
    await expect(result).resolves.toBe('answer 1');
    expect(b.started).toEqual([0]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('hedges only what the budget allows', async () => {
    const clock = new ManualClock();
    const events = new EventBus();
    const seen = recorder(events);
    const b = backend(clock, [30]);
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0, clock });
    const call = pipeline(hedge({ delayMs: 10, clock, events, budget }))(b.svc);
    const result = call(null, { clock });
    await clock.advanceAsync(30);
    await expect(result).resolves.toBe('answer 1');
    expect(b.started).toEqual([0]);
    expect(seen).toEqual(['budget.exhausted hedge']);
  });

  it('never hedges a non-idempotent call', async () => {
    const clock = new ManualClock();
    const b = backend(clock, [50]);
    const call = pipeline(hedge({ delayMs: 10, clock }))(b.svc);
    const result = call(null, { clock, idempotent: false });
    await clock.advanceAsync(50);
    await expect(result).resolves.toBe('answer 1');
    expect(b.started).toEqual([0]);
  });

  it('takes its delay from a percentile of recent latency once it has enough samples', async () => {
    const clock = new ManualClock();
    const events = new EventBus();
    const seen = recorder(events);
    const latencies = [...Array(20).fill(10), undefined, 1];
    const b = backend(clock, latencies);
    const policy = hedge({ percentile: 90, clock, events, minSamples: 20 });
    const call = pipeline(policy)(b.svc);
    for (let i = 0; i < 20; i++) {
      const r = call(null, { clock });
      await clock.advanceAsync(10);
      await r;
    }
    expect(seen).toEqual([]);
    const p90 = policy.latency!.percentile(90)!;
    expect(p90).toBeGreaterThanOrEqual(9);
    expect(p90).toBeLessThanOrEqual(11);
    const result = call(null, { clock });
    await clock.advanceAsync(15);
    await expect(result).resolves.toBe('answer 22');
    expect(seen[0]).toMatch(/^started#2 after (9|10|11)\./);
  });

  it('a caller abort rejects at once and cancels every attempt', async () => {
    const clock = new ManualClock();
    const b = backend(clock, [undefined, undefined]);
    const controller = new AbortController();
    const call = pipeline(hedge({ delayMs: 10, clock }))(b.svc);
    const result = call(null, { clock, signal: controller.signal }).catch((e) => e);
    await clock.advanceAsync(10);
    controller.abort(new Error('bye'));
    expect(await result).toMatchObject({ code: 'CANCELLED' });
    expect(b.aborted.sort()).toEqual([1, 2]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('when every attempt fails, the call fails with the last failure', async () => {
    const clock = new ManualClock();
    let n = 0;
    const call = pipeline(hedge({ delayMs: 5, clock }))(
      (_: null, ctx) =>
        new Promise<string>((_resolve, reject) => {
          const me = ++n;
          clock.setTimeout(
            () => reject(Object.assign(new Error(`reset ${me}`), { code: 'ECONNRESET' })),
            me === 1 ? 20 : 1,
          );
          ctx.cancellation.add({ onAbort: () => undefined });
        }),
    );
    const result = call(null, { clock }).catch((e) => e.message);
    await clock.advanceAsync(25);
    expect(await result).toBe('reset 1');
    await settle();
  });

  it('rejects bad options', () => {
    expect(() => hedge({ maxAttempts: 1 })).toThrow(/hedge\(\) maxAttempts=1 is not valid/);
    expect(() => hedge({ percentile: 0 })).toThrow(/percentile/);
  });
});
