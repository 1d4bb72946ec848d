import { GCProfiler } from 'node:v8';

/**
 * Bytes allocated per call: heap growth over `n` calls with no garbage collection in between
 * (checked with V8's GC profiler, which reports synchronously; a run that collected is repeated
 * with fewer calls). Needs `--expose-gc`. Allocation, not retention: what the young generation
 * has to absorb.
 */
export async function bytesPerCall(op: () => unknown, n = 2_000): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let tries = 0; tries < 8; tries++) {
    gc();
    await new Promise((r) => setImmediate(r));
    const profiler = new GCProfiler();
    profiler.start();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) {
      const r = op();
      if (r && typeof (r as Promise<unknown>).then === 'function') await r;
    }
    const after = process.memoryUsage().heapUsed;
    const collections = profiler.stop()?.statistics.length ?? 0;
    if (collections === 0) return (after - before) / n;
    n = Math.max(100, n >> 1);
  }
  return Number.NaN;
}
