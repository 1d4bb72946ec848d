/** What every chaos case shares: outcomes with their timing, and a neighbour to watch. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { expect } from 'vitest';

export type Outcome<T> =
  | { readonly ok: true; readonly value: T; readonly ms: number }
  | { readonly ok: false; readonly error: unknown; readonly ms: number };

/** Runs `call` and says how it ended and how long it took; never throws. */
export async function outcome<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  const started = performance.now();
  try {
    const value = await call();
    return { ok: true, value, ms: performance.now() - started };
  } catch (error) {
    return { ok: false, error, ms: performance.now() - started };
  }
}

/** `n` calls from `concurrency` callers, each outcome in issue order. */
export async function runCalls<T>(
  n: number,
  concurrency: number,
  call: (i: number) => Promise<T>,
): Promise<Outcome<T>[]> {
  const results: Outcome<T>[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      results[i] = await outcome(() => call(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
  return results;
}

/** The failures among `outcomes`, as their errors. */
export const failures = <T>(outcomes: readonly Outcome<T>[]): unknown[] =>
  outcomes.flatMap((o) => (o.ok ? [] : [o.error]));

/** A short, comparable description of an error: its code (string or gRPC number) and name. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; code?: unknown; cause?: { code?: unknown } } | null;
  const cause = e?.cause?.code === undefined ? '' : ` (cause ${String(e.cause.code)})`;
  return `${e?.name ?? typeof error} ${String(e?.code ?? '')}${cause}`.trim();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface NeighbourReport {
  readonly calls: number;
  readonly errors: readonly string[];
  readonly p99Ms: number;
  /** The event loop's longest stall over the same time: what no client could have avoided. */
  readonly loopMaxMs: number;
}

/** The fewest calls a neighbour must make for its tail to say anything. */
const NEIGHBOUR_MIN_CALLS = 6;
/** How long `stop()` lets a neighbour go on to reach that count before it gives up. */
const NEIGHBOUR_STOP_WAIT_MS = 2_000;

/**
 * Another service's calls, made throughout a fault by the same process: `concurrency` callers,
 * each pausing `paceMs` between calls so that the neighbour measures rather than loads.
 * A fault that is over within a few blocked loop turns (a 5 MiB message on Node 22 took 45 ms)
 * leaves the neighbour too few calls to judge, so `stop()` first lets it reach
 * `NEIGHBOUR_MIN_CALLS`, within `NEIGHBOUR_STOP_WAIT_MS`: a neighbour held behind the fault
 * still cannot.
 */
export function neighbour(
  call: () => Promise<unknown>,
  { concurrency = 2, paceMs = 5 }: { concurrency?: number; paceMs?: number } = {},
): { stop(): Promise<NeighbourReport> } {
  let running = true;
  const latencies: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const errors: string[] = [];
  const worker = async () => {
    while (running) {
      const o = await outcome(call);
      latencies.push(o.ms);
      if (!o.ok) errors.push(describeError(o.error));
      await sleep(paceMs);
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    async stop() {
      const giveUpAt = performance.now() + NEIGHBOUR_STOP_WAIT_MS;
      while (latencies.length < NEIGHBOUR_MIN_CALLS && performance.now() < giveUpAt) {
        await sleep(paceMs);
      }
      running = false;
      await Promise.all(workers);
      loop.disable();
      latencies.sort((a, b) => a - b);
      const p99Ms = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
      const loopMaxMs = loop.max / 1e6;
      return { calls: latencies.length, errors, p99Ms: p99Ms ?? 0, loopMaxMs };
    },
  };
}

/**
 * A neighbour on healthy instances saw no error, and its tail is what the event loop's own
 * stalls explain plus `p99Ms`. The fault, the neighbour and their servers share one event loop
 * on a shared 2-core machine (load averages of 10 to 20 while this was written), where one GC
 * or scheduling stall lands on both neighbour callers at once, so the loop's longest stall is
 * taken out, and what the loop's queue adds under load is allowed for; what is left catches a
 * neighbour held behind the fault, whose own calls wait out deadlines of 1.5 s and more.
 */
export function expectUnaffected(report: NeighbourReport, p99Ms = 500): void {
  expect(report.errors, 'neighbour errors').toEqual([]);
  expect(report.calls, 'neighbour calls').toBeGreaterThanOrEqual(NEIGHBOUR_MIN_CALLS);
  expect(
    report.p99Ms,
    `neighbour p99 (ms), the loop's own longest stall ${report.loopMaxMs.toFixed(0)} ms`,
  ).toBeLessThan(report.loopMaxMs + p99Ms);
}

/**
 * The socket or undici error code under a call that failed on the wire, however the surface
 * wraps it: `fetch` rejects with a TypeError ('fetch failed' for the head, 'terminated' for the
 * body) whose `cause` is it, or Outrigger's UNAVAILABLE around it; `request` with UNAVAILABLE
 * around it, or with undici's error itself. Undefined for anything else (a refusal, a timeout).
 */
export function wireCode(error: unknown): string | undefined {
  let e = error as { code?: unknown; cause?: unknown; message?: unknown } | null | undefined;
  if (e instanceof TypeError && (e.message === 'fetch failed' || e.message === 'terminated')) {
    e = e.cause as typeof e;
  }
  if (e?.code === 'UNAVAILABLE' && e.cause !== undefined) e = e.cause as typeof e;
  return typeof e?.code === 'string' && e.code !== 'UNAVAILABLE' ? e.code : undefined;
}
