import type { Clock, TimerHandle } from './clock.js';

interface ManualTimer {
  at: number;
  seq: number;
  callback: (() => void) | undefined;
}

/**
 * A clock that only moves when told. Timers fire in deadline order (ties in scheduling order)
 * as `advance` passes them; `advanceAsync` also lets promise continuations run between timers,
 * which is what a policy test usually wants.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback };
    this.#timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as ManualTimer;
    timer.callback = undefined;
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Timers scheduled and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward synchronously, firing due timers in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (let next = this.#nextDue(until); next; next = this.#nextDue(until)) {
      this.#now = next.at;
      next.callback?.();
    }
    this.#now = until;
  }

  /** Moves time forward, letting microtasks and I/O callbacks settle before and after each timer. */
  async advanceAsync(ms: number, stepMs = Number.POSITIVE_INFINITY): Promise<void> {
    const until = this.#now + ms;
    await settle();
    for (;;) {
      const limit = Math.min(until, this.#now + stepMs);
      const next = this.#nextDue(limit);
      if (next) {
        this.#now = next.at;
        next.callback?.();
      } else {
        if (this.#now >= until) break;
        this.#now = limit;
      }
      await settle();
    }
  }

  #nextDue(until: number): ManualTimer | undefined {
    let best = -1;
    for (let i = 0; i < this.#timers.length; i++) {
      const t = this.#timers[i]!;
      if (t.at > until) continue;
      const b = best >= 0 ? this.#timers[best]! : undefined;
      if (!b || t.at < b.at || (t.at === b.at && t.seq < b.seq)) best = i;
    }
    if (best < 0) return undefined;
    return this.#timers.splice(best, 1)[0];
  }
}

/** Lets queued promise continuations run (several rounds, as chains of awaits need them). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
