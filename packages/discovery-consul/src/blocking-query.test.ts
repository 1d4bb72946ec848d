import { ManualClock, settle } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { BlockingLoop, type BlockingResult, backoffDelay, nextIndex } from './blocking-query.js';

describe('nextIndex (Consul blocking-query index rules)', () => {
  it('follows the index Consul returns', () => {
    expect(nextIndex(0, 10)).toBe(10);
    expect(nextIndex(10, 12)).toBe(12);
    expect(nextIndex(10, 10)).toBe(10);
  });
  it('resets to 0 when the index goes backwards', () => {
    expect(nextIndex(50, 7)).toBe(0);
  });
  it('treats an index below 1 (or missing) as 1', () => {
    expect(nextIndex(0, 0)).toBe(1);
    expect(nextIndex(0, -3)).toBe(1);
    expect(nextIndex(0, Number.NaN)).toBe(1);
    // Not a "backwards" reset either: 1 sent, 0 received is the same as 1, so it cannot spin.
    expect(nextIndex(1, 0)).toBe(1);
  });
});

describe('backoffDelay', () => {
  it('doubles from baseMs, capped at maxMs, jittered between half and all of it', () => {
    const b = { baseMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, b, () => 0.999999))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, b, () => 0))).toEqual([
      50, 100, 200, 400, 500,
    ]);
  });
});

interface Call {
  index: number;
  waitMs: number;
  at: number;
  signal: AbortSignal;
  resolve(result: BlockingResult<string>): void;
  reject(error: unknown): void;
}

function harness(overrides: { minIntervalMs?: number; random?: () => number } = {}) {
  const clock = new ManualClock(1_000);
  const calls: Call[] = [];
  const values: [string, number][] = [];
  const errors: number[] = [];
  const loop = new BlockingLoop<string>({
    query: (index, waitMs, signal) =>
      new Promise((resolve, reject) =>
        calls.push({ index, waitMs, at: clock.now(), signal, resolve, reject }),
      ),
    onValue: (value, index) => values.push([value, index]),
    onError: (_error, failures) => errors.push(failures),
    clock,
    random: overrides.random ?? (() => 0.5),
    waitMs: 60_000,
    minIntervalMs: overrides.minIntervalMs ?? 1_000,
    backoff: { baseMs: 100, maxMs: 800 },
  });
  const last = () => calls[calls.length - 1]!;
  return { clock, calls, values, errors, loop, last };
}

describe('BlockingLoop', () => {
  it('starts with index 0, then blocks with the index and wait Consul gave', async () => {
    const h = harness();
    h.loop.start();
    expect(h.calls).toHaveLength(1);
    expect(h.last()).toMatchObject({ index: 0, waitMs: 60_000 });
    h.last().resolve({ index: 42, value: 'a' });
    await h.clock.advanceAsync(0);
    expect(h.values).toEqual([['a', 42]]);
    expect(h.calls).toHaveLength(2);
    expect(h.last().index).toBe(42);
    h.loop.stop();
  });

  it('never spins: an unchanged index returned at once waits minIntervalMs from the query start', async () => {
    const h = harness();
    h.loop.start();
    h.last().resolve({ index: 7, value: 'a' });
    await h.clock.advanceAsync(0);
    const started = h.last().at;
    await h.clock.advanceAsync(200);
    h.last().resolve({ index: 7, value: 'a' });
    await h.clock.advanceAsync(799);
    expect(h.calls).toHaveLength(2);
    await h.clock.advanceAsync(1);
    expect(h.calls).toHaveLength(3);
    expect(h.last().at - started).toBe(1_000);
    h.loop.stop();
  });

  it('an unchanged index after a full wait (a timeout) goes straight on', async () => {
    const h = harness();
    h.loop.start();
    h.last().resolve({ index: 7, value: 'a' });
    await h.clock.advanceAsync(0);
    await h.clock.advanceAsync(60_000);
    h.last().resolve({ index: 7, value: 'a' });
    await h.clock.advanceAsync(0);
    expect(h.calls).toHaveLength(3);
    expect(h.last().at).toBe(h.calls[1]!.at + 60_000);
    h.loop.stop();
  });

  it('an index that goes backwards resets to 0 for a full read at once, then blocks again', async () => {
    const h = harness();
    h.loop.start();
    h.last().resolve({ index: 50, value: 'a' });
    await h.clock.advanceAsync(0);
    h.last().resolve({ index: 9, value: 'b' });
    await h.clock.advanceAsync(0);
    expect(h.last().index).toBe(0);
    h.last().resolve({ index: 9, value: 'b' });
    await h.clock.advanceAsync(0);
    expect(h.calls.map((c) => c.index)).toEqual([0, 50, 0, 9]);
    expect(h.values.map(([v]) => v)).toEqual(['a', 'b', 'b']);
    h.loop.stop();
  });

  it('an agent that always answers index 0 at once is queried with index 1 at most once per minIntervalMs', async () => {
    const h = harness();
    h.loop.start();
    // Bounded: 10 virtual seconds, answering each query at once with index 0.
    for (let ms = 0; ms <= 10_000; ms += 50) {
      const call = h.last();
      call.resolve({ index: 0, value: 'x' });
      await h.clock.advanceAsync(50);
    }
    expect(h.calls.slice(1).every((c) => c.index === 1)).toBe(true);
    expect(h.calls.length).toBeLessThanOrEqual(12);
    expect(h.calls.length).toBeGreaterThanOrEqual(10);
    h.loop.stop();
  });

  it('backs off with jitter on errors, up to the cap, keeps the index, and resets after a success', async () => {
    const h = harness({ random: () => 0.999999 });
    h.loop.start();
    h.last().resolve({ index: 5, value: 'a' });
    await h.clock.advanceAsync(0);
    const gaps: number[] = [];
    for (let i = 0; i < 5; i++) {
      const at = h.clock.now();
      h.last().reject(new Error('connect ECONNREFUSED'));
      await h.clock.advanceAsync(1_000, 1);
      gaps.push(h.last().at - at);
    }
    expect(gaps).toEqual([100, 200, 400, 800, 800]);
    expect(h.errors).toEqual([1, 2, 3, 4, 5]);
    expect(h.last().index).toBe(5);
    h.last().resolve({ index: 6, value: 'b' });
    await h.clock.advanceAsync(0);
    h.last().reject(new Error('500'));
    await h.clock.advanceAsync(0);
    expect(h.errors.at(-1)).toBe(1);
    h.loop.stop();
  });

  it('stop() aborts the query in flight and schedules nothing more', async () => {
    const h = harness();
    h.loop.start();
    const call = h.last();
    h.loop.stop();
    expect(call.signal.aborted).toBe(true);
    call.reject(new Error('aborted'));
    await settle();
    expect(h.errors).toEqual([]);
    expect(h.clock.pendingTimers).toBe(0);
    expect(h.calls).toHaveLength(1);
  });
});
