import { describe, expect, it } from 'vitest';
import { ManualClock } from '../time/manual-clock.js';
import { LatencyHistogram } from './latency-histogram.js';

describe('LatencyHistogram', () => {
  it('answers percentiles within its 8% bucket precision', () => {
    const clock = new ManualClock();
    const h = new LatencyHistogram(clock, 10_000, 10);
    for (let i = 1; i <= 100; i++) h.record(i);
    const p50 = h.percentile(50)!;
    const p99 = h.percentile(99)!;
    expect(p50).toBeGreaterThan(46);
    expect(p50).toBeLessThan(54);
    expect(p99).toBeGreaterThan(91);
    expect(p99).toBeLessThan(107);
  });

  it('needs minSamples before it answers', () => {
    const h = new LatencyHistogram(new ManualClock(), 10_000, 5);
    for (let i = 0; i < 4; i++) h.record(10);
    expect(h.percentile(50)).toBeUndefined();
    h.record(10);
    expect(h.percentile(50)).toBeDefined();
  });

  it('forgets samples older than the window', () => {
    const clock = new ManualClock();
    const h = new LatencyHistogram(clock, 1_000, 1);
    for (let i = 0; i < 50; i++) h.record(500);
    clock.advance(600);
    for (let i = 0; i < 50; i++) h.record(5);
    expect(h.percentile(90)!).toBeGreaterThan(400);
    clock.advance(600);
    h.record(5);
    expect(h.percentile(90)!).toBeLessThan(6);
  });
});
