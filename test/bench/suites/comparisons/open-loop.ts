/**
 * Open-loop load: calls issued on a fixed schedule (`rate` per second for `durationMs`) whether
 * or not earlier ones have finished, as traffic from many independent users arrives. A closed
 * loop would slow down with the server and hide exactly the tail these suites look at.
 */
import { percentile } from '../../lib/stats.js';

/** One call: resolves true on success; false or a throw is a failure (a throw's code is tallied). */
export type OpenCall = () => Promise<boolean>;

export interface OpenLoopResult {
  readonly calls: number;
  readonly ok: number;
  readonly failed: number;
  /** Calls still unfinished `drainMs` after the last was issued (counted as failed too). */
  readonly unfinished: number;
  /** Failures by reason: an error's `code` (or its name), `false` for a call that resolved false. */
  readonly reasons: Readonly<Record<string, number>>;
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
  const reasons: Record<string, number> = {};
  const fail = (reason: string) => {
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  };
  let allSettled!: () => void;
  const done = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  // Set when the drain ends: a call settling after that (its client being closed) was already
  // counted as unfinished.
  let over = false;
  const finish = (i: number, start: number, success: boolean, reason = 'false') => {
    if (over) return;
    latencies[i] = performance.now() - start;
    if (success) ok++;
    else {
      failed++;
      fail(reason);
    }
    if (++settled === total) allSettled();
  };
  const issue = (i: number) => {
    const start = performance.now();
    let p: Promise<boolean>;
    try {
      p = call();
    } catch (error) {
      p = Promise.reject(error);
    }
    p.then(
      (success) => finish(i, start, success),
      (error: unknown) => finish(i, start, false, reasonOf(error)),
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
  over = true;
  const unfinished = total - settled;
  if (unfinished) reasons.unfinished = unfinished;
  const sorted = Array.from(latencies)
    .filter((x) => !Number.isNaN(x))
    .sort((a, b) => a - b);
  return {
    calls: total,
    ok,
    failed: failed + unfinished,
    unfinished,
    reasons,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    maxLagMs,
  };
}

function reasonOf(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; statusCode?: unknown } | null;
  if (typeof e?.statusCode === 'number') return `status ${e.statusCode}`;
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.name === 'string' ? e.name : String(error);
}

/** `CODE ×n, ...`, most frequent first; `—` when nothing failed. */
export function formatReasons(reasons: Readonly<Record<string, number>>): string {
  const entries = Object.entries(reasons).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([k, n]) => `${k} ×${n}`).join(', ') : '—';
}

/** Reasons summed over several results. */
export function sumReasons(results: readonly OpenLoopResult[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const r of results) {
    for (const [k, n] of Object.entries(r.reasons)) sum[k] = (sum[k] ?? 0) + n;
  }
  return sum;
}
