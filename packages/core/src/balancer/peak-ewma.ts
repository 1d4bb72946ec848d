/** Small-integer range of V8 (31 bits with pointer compression), as a mask. */
export const SMALL = 0x3fff_ffff;

/** `now` as the stamp's unit: whole milliseconds modulo 2^30, a small integer. */
export function tickOf(now: number): number {
  return (Math.floor(now) & SMALL) | 0;
}

/**
 * Peak-EWMA round-trip time, as Finagle's `PeakEwma` and tower's `RttEstimate` keep it: a sample
 * above the estimate replaces it at once (so one slow response is noticed immediately), a sample
 * below it is blended in by an exponential moving average over `decayMs`, and the estimate
 * decays toward zero with the time since the last sample. The decay is what brings a once-slow
 * or penalised endpoint back: left alone for a few `decayMs`, it looks cheap enough to be tried
 * again, and its next response says whether it still deserves to be avoided.
 *
 * Finagle and tower store the decayed value on every read; here a read computes it and stores
 * nothing, so a pick writes to no endpoint it does not choose. The blend after a read-free gap
 * uses the time since the last sample.
 *
 * Both numbers are kept as small integers (microseconds, and milliseconds modulo 2^30 for the
 * stamp), which V8 stores inside the object; a fractional number would live in a separate heap
 * box, and a pick reading two candidates at 10,000 endpoints would miss the cache twice more.
 * A gap longer than 2^30 ms (12 days) wraps, which at most leaves a long-idle endpoint looking
 * as fast as it last was. `Backend` extends this class, so the estimate sits in the object a
 * pick reads anyway.
 *
 * Time comes from the caller (`now` on the policy's clock), so simulations run on virtual time.
 */
export class PeakEwma {
  /** Microseconds at `stampMs`; -1 until the first sample. */
  rttUs = -1;
  /** `now` of the last sample, whole milliseconds modulo 2^30. */
  stampMs = 0;

  /** The stored estimate in ms (not decayed); negative before the first sample. */
  get rttMs(): number {
    return this.rttUs < 0 ? -1 : this.rttUs / 1_000;
  }

  /** The estimate decayed to `now`, in ms; negative when nothing was observed yet. */
  estimate(now: number, decayMs: number): number {
    const rtt = this.rttUs;
    if (rtt <= 0) return rtt < 0 ? -1 : 0;
    const elapsed = (tickOf(now) - this.stampMs) & SMALL;
    return (rtt / 1_000) * Math.exp(-elapsed / decayMs);
  }

  observe(sampleMs: number, now: number, decayMs: number): void {
    const current = this.estimate(now, decayMs);
    let next = sampleMs;
    if (current >= 0 && sampleMs <= current) {
      const w = Math.exp(-((tickOf(now) - this.stampMs) & SMALL) / decayMs);
      next = current * w + sampleMs * (1 - w);
    }
    // `| 0` keeps both small integers to V8 even when Math.round hands back a boxed number.
    this.rttUs = Math.min(SMALL, Math.max(0, Math.round(next * 1_000))) | 0;
    this.stampMs = tickOf(now);
  }
}
