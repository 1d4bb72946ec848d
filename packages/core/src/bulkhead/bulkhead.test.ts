import { describe, expect, it } from 'vitest';
import { Bulkhead, type BulkheadWaiter } from './bulkhead.js';

function waiter(name: string, log: string[]): BulkheadWaiter {
  return { grant: () => log.push(name) };
}

describe('Bulkhead', () => {
  it('grants slots up to maxConcurrent, then hands each released slot to the longest waiter', () => {
    const log: string[] = [];
    const slots = new Bulkhead({ maxConcurrent: 2, maxQueue: 5 });
    expect([slots.tryAcquire(), slots.tryAcquire(), slots.tryAcquire()]).toEqual([
      true,
      true,
      false,
    ]);
    slots.enqueue(waiter('a', log));
    slots.enqueue(waiter('b', log));
    slots.release();
    expect(log).toEqual(['a']);
    expect([slots.active, slots.queued]).toEqual([2, 1]);
    slots.release();
    slots.release();
    expect(log).toEqual(['a', 'b']);
    expect([slots.active, slots.queued]).toEqual([1, 0]);
  });

  it('refuses to queue beyond maxQueue, and a dequeued waiter frees its place at once', () => {
    const slots = new Bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    slots.tryAcquire();
    const log: string[] = [];
    const gaveUp = slots.enqueue(waiter('gave up', log));
    expect(gaveUp).toBeDefined();
    expect(slots.enqueue(waiter('late', log))).toBeUndefined();
    expect(slots.dequeue(gaveUp!)).toBe(true);
    expect(slots.dequeue(gaveUp!)).toBe(false);
    expect(slots.enqueue(waiter('next', log))).toBeDefined();
    slots.release();
    expect(log).toEqual(['next']);
  });

  it('leaves from the middle of the queue and keeps the order of the rest', () => {
    const log: string[] = [];
    const slots = new Bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    slots.tryAcquire();
    const tickets = ['a', 'b', 'c', 'd'].map((n) => slots.enqueue(waiter(n, log))!);
    slots.dequeue(tickets[1]!);
    slots.dequeue(tickets[3]!);
    for (let i = 0; i < 3; i++) slots.release();
    expect(log).toEqual(['a', 'c']);
    expect([slots.active, slots.queued]).toEqual([0, 0]);
  });

  it('serves a long queue in constant time per call', () => {
    const noop = { grant: () => {} };
    // The same 20,000 serve-and-join steps, behind 1,000 and behind 100,000 queued calls, the
    // two sizes alternating so both meet the same machine; the fastest of five runs each. A
    // queue that walked to its head would be ~100x slower; a 100,000-entry queue's memory alone
    // costs a few times more on a busy machine, hence the bound of 10.
    const once = (queued: number) => {
      const slots = new Bulkhead({ maxConcurrent: 1, maxQueue: 200_000 });
      slots.tryAcquire();
      for (let i = 0; i < queued; i++) slots.enqueue(noop);
      const started = performance.now();
      for (let i = 0; i < 20_000; i++) {
        slots.release();
        slots.enqueue(noop);
      }
      return performance.now() - started;
    };
    once(1_000); // warm up
    let small = Number.POSITIVE_INFINITY;
    let large = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 5; run++) {
      small = Math.min(small, once(1_000));
      large = Math.min(large, once(100_000));
    }
    expect(large / small).toBeLessThan(10);
  });

  it('never counts below zero on a stray release', () => {
    const slots = new Bulkhead({ maxConcurrent: 1 });
    slots.release();
    expect(slots.active).toBe(0);
    expect(slots.tryAcquire()).toBe(true);
    expect(slots.tryAcquire()).toBe(false);
  });
});
