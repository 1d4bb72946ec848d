import { PerformanceObserver } from 'node:perf_hooks';

/**
 * Bytes allocated per call: heap growth over `n` calls with no garbage collection in between
 * (checked with a GC observer; a run that collected is repeated with fewer calls). Needs
 * `--expose-gc`. Allocation, not retention: what the young generation has to absorb.
 */
export async function bytesPerCall(op: () => unknown, n = 2_000): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let tries = 0; tries < 8; tries++) {
    let collections = 0;
    const observer = new PerformanceObserver((list) => {
      collections += list.getEntries().length;
    });
    gc();
    await new Promise((r) => setImmediate(r));
    observer.observe({ entryTypes: ['gc'] });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) {
      const r = op();
      if (r && typeof (r as Promise<unknown>).then === 'function') await r;
    }
    const after = process.memoryUsage().heapUsed;
    await new Promise((r) => setImmediate(r));
    observer.disconnect();
    if (collections === 0) return (after - before) / n;
    n = Math.max(100, n >> 1);
  }
  return Number.NaN;
}
