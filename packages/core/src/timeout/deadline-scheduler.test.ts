import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../time/clock.js';
import { DeadlineScheduler, type Expirable } from './deadline-scheduler.js';

/** A clock whose timers fire when told, whatever its `now()` says (as Node's can, early). */
class EarlyClock implements Clock {
  time = 0;
  readonly timers: { callback: () => void; ms: number }[] = [];
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { callback, ms };
    this.timers.push(timer);
    return timer;
  }
  clearTimeout(): void {}
  fireNext(): void {
    this.timers.shift()!.callback();
  }
}

function entry(): Expirable & { expired: number } {
  return {
    expired: 0,
    expire() {
      this.expired++;
    },
    deadlinePrev: undefined,
    deadlineNext: undefined,
    deadlineBucket: undefined,
  };
}

describe('DeadlineScheduler', () => {
  it('a timer that fires before the deadline re-arms for the rest instead of expiring early', () => {
    const clock = new EarlyClock();
    const scheduler = new DeadlineScheduler(clock);
    const e = entry();
    scheduler.schedule(e, 300);
    expect(clock.timers.map((t) => t.ms)).toEqual([300]);
    clock.time = 298.8; // the loop's cached time lagged by 1.2 ms when the timer was set
    clock.fireNext();
    expect(e.expired).toBe(0);
    expect(clock.timers.map((t) => t.ms)).toEqual([300 - 298.8]);
    expect(scheduler.size).toEqual({ entries: 1, timers: 1 });
    clock.time = 300;
    clock.fireNext();
    expect(e.expired).toBe(1);
    expect(scheduler.size).toEqual({ entries: 0, timers: 0 });
  });

  it('a deadline cancelled before its timer fires is never expired', () => {
    const clock = new EarlyClock();
    const scheduler = new DeadlineScheduler(clock);
    const kept = entry();
    const cancelled = entry();
    scheduler.schedule(kept, 100);
    scheduler.schedule(cancelled, 100);
    scheduler.cancel(cancelled);
    clock.time = 100;
    clock.fireNext();
    expect([kept.expired, cancelled.expired]).toEqual([1, 0]);
  });

  it('deadlines that share a slot of the recent-bucket cache (64 ms apart) keep their own times', () => {
    const clock = new EarlyClock();
    const scheduler = new DeadlineScheduler(clock);
    const [a, b, a2, b2, late] = [entry(), entry(), entry(), entry(), entry()];
    scheduler.schedule(a, 100);
    scheduler.schedule(b, 164); // takes the slot a's bucket had
    scheduler.schedule(a2, 99.5); // back to a's bucket, through the map
    scheduler.schedule(b2, 163.2);
    scheduler.schedule(late, 2 ** 31 + 100); // past int32: the slot index must still be valid
    expect(scheduler.size).toEqual({ entries: 5, timers: 3 });
    expect(clock.timers.map((t) => t.ms)).toEqual([100, 164, 2 ** 31 + 100]);
    clock.time = 100;
    clock.fireNext();
    expect([a.expired, a2.expired, b.expired, b2.expired]).toEqual([1, 1, 0, 0]);
    clock.time = 164;
    clock.fireNext();
    expect([b.expired, b2.expired, late.expired]).toEqual([1, 1, 0]);
    // A bucket made again for an `at` that already fired is a new one, with its own timer.
    const again = entry();
    scheduler.schedule(again, 164);
    expect(scheduler.size).toEqual({ entries: 2, timers: 2 });
  });
});
