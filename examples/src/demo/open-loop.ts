/**
 * An open-loop arrival schedule: call `n` is due at `start + n / rate`, whether or not earlier
 * calls came back. A closed loop (N workers, next call when one returns) lets a slow client
 * make fewer calls and look better than it is; here both clients get the same schedule.
 *
 * Timers fire late under load, so each wake starts every call that has fallen due since the
 * last one: the rate holds on average, in bursts of a few milliseconds at worst.
 */
export function openLoop(
  rate: number,
  durationMs: number,
  start: (n: number) => void,
  tickMs = 4,
): Promise<number> {
  const t0 = performance.now();
  const total = Math.floor((rate * durationMs) / 1_000);
  let started = 0;
  return new Promise((resolve) => {
    const wake = () => {
      const elapsed = performance.now() - t0;
      const due = Math.min(total, Math.floor((elapsed * rate) / 1_000) + 1);
      while (started < due) start(started++);
      if (started >= total || elapsed >= durationMs) {
        resolve(started);
        return;
      }
      setTimeout(wake, tickMs);
    };
    wake();
  });
}

/**
 * Bounds what a client can have in flight, so a client that stops answering cannot pile up
 * calls until memory runs out. A call refused here is not made and counts as a failure.
 */
export class InFlightCap {
  inFlight = 0;
  dropped = 0;
  constructor(readonly max: number) {}

  tryEnter(): boolean {
    if (this.inFlight >= this.max) {
      this.dropped++;
      return false;
    }
    this.inFlight++;
    return true;
  }

  leave(): void {
    this.inFlight--;
  }
}
