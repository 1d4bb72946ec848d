import { EndpointBroadcast, endpoint, ManualClock } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { EmptyGrace } from './empty-grace.js';

const one = [endpoint({ host: '10.0.0.1', port: 80 })];

function setup(graceMs: number) {
  const clock = new ManualClock();
  const broadcast = new EndpointBroadcast();
  const sets: number[] = [];
  broadcast.subscribe({ onEndpoints: (e) => sets.push(e.length) });
  return { clock, sets, grace: new EmptyGrace(broadcast, clock, graceMs) };
}

describe('EmptyGrace', () => {
  it('delivers an empty answer only after it has stood for the grace', () => {
    const { clock, sets, grace } = setup(2_000);
    grace.offer(one);
    grace.offer([]);
    clock.advance(1_999);
    expect(sets).toEqual([1]);
    grace.offer([]);
    clock.advance(1);
    expect(sets).toEqual([1, 0]);
  });

  it('a non-empty answer within the grace cancels the pending empty one', () => {
    const { clock, sets, grace } = setup(2_000);
    grace.offer(one);
    grace.offer([]);
    clock.advance(500);
    grace.offer(one);
    clock.advance(5_000);
    expect(sets).toEqual([1]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an empty first answer is delivered at once (nothing to protect), as is any with grace 0', () => {
    const first = setup(2_000);
    first.grace.offer([]);
    expect(first.sets).toEqual([0]);
    const none = setup(0);
    none.grace.offer(one);
    none.grace.offer([]);
    expect(none.sets).toEqual([1, 0]);
  });

  it('stop() forgets a pending empty answer', () => {
    const { clock, sets, grace } = setup(1_000);
    grace.offer(one);
    grace.offer([]);
    grace.stop();
    clock.advance(5_000);
    expect(sets).toEqual([1]);
  });
});
