/**
 * Open-loop load: calls issued on a fixed schedule (`rate` per second for `durationMs`) whether
 * or not earlier ones have finished, as traffic from many independent users arrives. A closed
 * loop would slow down with the server and hide exactly the tail these suites look at.
 */
import { percentile } from '../../lib/stats.js';

/** One call: resolves true on success, false (or throws) on failure. */
export type OpenCall = () => Promise<boolean>;

export interface OpenLoopResult {
  readonly calls: number;
  readonly ok: number;
  readonly failed: number;
  /** Calls still unfinished `drainMs` after the last was issued (counted as failed too). */
  readonly unfinished: number;
  /** Latency percentiles from issue to settle, ms. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** The latest a call was issued behind its schedule, ms (a loaded client falls behind). */
  readonly maxLagMs: number;
}

/** Timer granularity of the schedule: every tick issues the calls whose time has come. */
const TICK_MS = 1;

export async function openLoop(
  call: OpenCall,
  rate: number,
  durationMs: number,
  drainMs = 30_000,
): Promise<OpenLoopResult> {
  const total = Math.round((rate * durationMs) / 1_000);
  const latencies = new Float64Array(total).fill(Number.NaN);
  let ok = 0;
  let failed = 0;
  let settled = 0;
  let maxLagMs = 0;
  let allSettled!: () => void;
  const done = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  const finish = (i: number, start: number, success: boolean) => {
    latencies[i] = performance.now() - start;
    if (success) ok++;
    else failed++;
    if (++settled === total) allSettled();
  };
  const issue = (i: number) => {
    const start = performance.now();
    let p: Promise<boolean>;
    try {
      p = call();
    } catch {
      p = Promise.resolve(false);
    }
    p.then(
      (success) => finish(i, start, success),
      () => finish(i, start, false),
    );
  };
  const t0 = performance.now();
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && t0 + (next * 1_000) / rate <= now) {
      maxLagMs = Math.max(maxLagMs, now - (t0 + (next * 1_000) / rate));
      issue(next++);
    }
    if (next < total) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    done,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainMs);
    }),
  ]);
  clearTimeout(timer);
  const unfinished = total - settled;
  const sorted = Array.from(latencies)
    .filter((x) => !Number.isNaN(x))
    .sort((a, b) => a - b);
  return {
    calls: total,
    ok,
    failed: failed + unfinished,
    unfinished,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    maxLagMs,
  };
}
