/** Closed-loop load: `concurrency` callers, each issuing its next request when the last is done. */
import { percentile } from '../../lib/stats.js';

export type Call = () => Promise<unknown>;

export interface Slice {
  /** Requests per second over the slice. */
  readonly rps: number;
  /** Latency percentiles over the slice, µs. */
  readonly p50: number;
  readonly p99: number;
  /** This process's CPU (user + system) per request, µs. */
  readonly cpu: number;
}

export async function runSlice(call: Call, concurrency: number, total: number): Promise<Slice> {
  const latencies = new Float64Array(total);
  let issued = 0;
  const worker = async () => {
    while (issued < total) {
      const i = issued++;
      const start = performance.now();
      await call();
      latencies[i] = performance.now() - start;
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const workers: Promise<void>[] = [];
  for (let i = 0; i < concurrency; i++) workers.push(worker());
  await Promise.all(workers);
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    rps: (total / elapsedMs) * 1_000,
    p50: percentile(sorted, 50) * 1_000,
    p99: percentile(sorted, 99) * 1_000,
    cpu: (cpu.user + cpu.system) / total,
  };
}

/**
 * Closed loop for `ms` of wall time (duration-bounded, as the independent harness of issue 18
 * measured): requests completed per second. Each caller stops issuing at the end; the calls in
 * flight then finish and count.
 */
export async function timedSlice(call: Call, concurrency: number, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      await call();
      done++;
    }
  };
  const t0 = performance.now();
  const workers: Promise<void>[] = [];
  for (let i = 0; i < concurrency; i++) workers.push(worker());
  await Promise.all(workers);
  return (done / (performance.now() - t0)) * 1_000;
}
