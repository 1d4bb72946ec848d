/** What one client made of the instances: outcomes and latency of every logical call. */
export interface Tally {
  ok: number;
  failed: number;
  readonly latencies: number[];
  readonly errors: Map<string, number>;
}

export function tally(): Tally {
  return { ok: 0, failed: 0, latencies: [], errors: new Map() };
}

/**
 * Runs `calls` logical calls, `concurrency` at a time, and tallies them. Bounded: it stops when
 * every call has settled, whatever the instances do.
 */
export async function drive(
  calls: number,
  concurrency: number,
  call: () => Promise<number>,
  onProgress: (done: number, t: Tally) => void,
): Promise<Tally> {
  const t = tally();
  let started = 0;
  let done = 0;
  const worker = async () => {
    while (started < calls) {
      started++;
      const begin = performance.now();
      try {
        const status = await call();
        if (status < 500) t.ok++;
        else {
          t.failed++;
          t.errors.set(`HTTP ${status}`, (t.errors.get(`HTTP ${status}`) ?? 0) + 1);
        }
      } catch (error) {
        t.failed++;
        const code =
          (error as { code?: string }).code ??
          (error as { cause?: { code?: string } }).cause?.code ??
          'error';
        t.errors.set(code, (t.errors.get(code) ?? 0) + 1);
      }
      t.latencies.push(performance.now() - begin);
      if (++done % 100 === 0) onProgress(done, t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return t;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

export function summary(t: Tally): string {
  const total = t.ok + t.failed;
  const errors = [...t.errors].map(([k, v]) => `${k}×${v}`).join(' ') || '-';
  return `${((100 * t.ok) / total).toFixed(1).padStart(5)}% ok   p50 ${percentile(t.latencies, 50).toFixed(0).padStart(4)} ms   p99 ${percentile(t.latencies, 99).toFixed(0).padStart(4)} ms   failures: ${errors}`;
}
