import { describe, expect, it } from 'vitest';
import { ManualClock } from '../time/manual-clock.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full at burst and refills at perSecond, never beyond burst', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ perSecond: 10, burst: 2, clock });
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
    clock.advance(100);
    expect(bucket.tryTake()).toBe(true);
    clock.advance(60_000);
    expect(bucket.tokens).toBe(2);
  });

  it('burst defaults to one second of tokens', () => {
    const bucket = new TokenBucket({ perSecond: 50, clock: new ManualClock() });
    expect([bucket.burst, bucket.tokens]).toEqual([50, 50]);
  });

  it('lends tokens from the future in arrival order, within the longest wait allowed', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ perSecond: 10, burst: 1, clock });
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.take(1_000)).toBe(100);
    expect(bucket.take(1_000)).toBe(200);
    expect(bucket.take(250)).toBeUndefined();
    expect(bucket.waitMs()).toBe(300);
    bucket.refund();
    expect(bucket.take(1_000)).toBe(200);
    clock.advance(200);
    expect(bucket.tokens).toBeCloseTo(0);
    expect(bucket.tryTake()).toBe(false);
  });
});
