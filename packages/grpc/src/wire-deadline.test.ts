import type { CallContext } from '@outrigger/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WIRE_DEADLINE_MARGIN_MS, wireDeadline } from './wire-deadline.js';

/** A context whose clock reads `now` (the chain's monotonic ms). */
function at(now: number): CallContext {
  return { clock: { now: () => now } } as unknown as CallContext;
}

describe('wireDeadline', () => {
  afterEach(() => vi.restoreAllMocks());

  it('passes "no deadline" on as Infinity', () => {
    expect(wireDeadline(Number.POSITIVE_INFINITY, at(5))).toBe(Number.POSITIVE_INFINITY);
  });

  it('is the remaining time from the wall clock, plus the margin', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    expect(wireDeadline(800.5, at(300.25))).toBe(1_000_000 + 500.25 + WIRE_DEADLINE_MARGIN_MS);
  });

  // grpc-js arms `setTimeout(deadline - Date.now())`. Both `Date.now()` readings are whole
  // milliseconds of the wall clock, and the Node timer counts whole milliseconds of the loop's
  // monotonic clock, whose millisecond boundaries fall elsewhere. The earliest instant that
  // timer can fire must never come before the call's deadline, whatever those phases are.
  it("grpc-js's own timer never fires before the call's deadline, whatever the millisecond phases", () => {
    const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60_000 }),
        fraction,
        fraction,
        fc.double({ min: 0, max: 50, noNaN: true }),
        fraction,
        (remaining, wallPhase, monoPhase, armedAfter, armPhase) => {
          // At the conversion: wall time W0 (fractional), chain clock C0, deadline C0 + remaining.
          const wall0 = 1_000_000 + wallPhase;
          const chain0 = 10_000 + monoPhase;
          vi.spyOn(Date, 'now').mockReturnValue(Math.floor(wall0));
          const onWire = wireDeadline(chain0 + remaining, at(chain0));
          const deadlineOnWall = wall0 + remaining;

          // grpc-js arms its timer `armedAfter` ms later: its delay from a whole-ms Date.now().
          const wall1 = wall0 + armedAfter;
          const delay = Math.max(0, onWire - Math.floor(wall1));
          // The loop's clock reads whole ms, with its own phase: the timer may fire as soon as
          // the loop's whole-ms time has advanced by `delay` from its whole-ms start.
          const loopStart = 5_000 + armPhase;
          const earliestFire = wall1 + (Math.floor(loopStart) + delay - loopStart);
          expect(earliestFire).toBeGreaterThanOrEqual(deadlineOnWall - 1e-6);
        },
      ),
      // The worst phases: the conversion and the loop just before a millisecond's end, grpc-js
      // arming just after the next one begins. Each rounding then costs nearly 1 ms.
      { numRuns: 2_000, examples: [[300, 0.999, 0.5, 0.0011, 0.999]] },
    );
  });
});
