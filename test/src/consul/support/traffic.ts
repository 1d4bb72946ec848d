/** Steady traffic through a real client, for the Consul integration tests. */
import type { HttpClient } from '@outrigger/http';

export interface TrafficResult {
  ok: number;
  failed: number;
  errors: unknown[];
  /** Summed duration of finished calls, ms: with ok + failed, the mean call time. */
  totalMs: number;
}

/** Mean duration of the calls finished so far, ms: how loaded the machine is, as calls feel it. */
export function meanCallMs(result: TrafficResult): number {
  const n = result.ok + result.failed;
  return n === 0 ? 0 : result.totalMs / n;
}

/**
 * Keeps `concurrency` calls in flight until `stop()` is called or `maxMs` passes (the bound),
 * counting outcomes; a call is ok when it resolves with a 2xx response read to the end.
 */
export function traffic(
  client: HttpClient,
  options: { concurrency?: number; maxMs?: number; path?: string } = {},
): { stop(): Promise<TrafficResult>; result: TrafficResult } {
  const result: TrafficResult = { ok: 0, failed: 0, errors: [], totalMs: 0 };
  const until = performance.now() + (options.maxMs ?? 20_000);
  let stopped = false;
  const worker = async () => {
    while (!stopped && performance.now() < until) {
      const started = performance.now();
      try {
        const res = await client.fetch(options.path ?? '/');
        await res.arrayBuffer();
        if (res.ok) result.ok++;
        else {
          result.failed++;
          result.errors.push(new Error(`HTTP ${res.status}`));
        }
      } catch (error) {
        result.failed++;
        result.errors.push(error);
      }
      result.totalMs += performance.now() - started;
    }
  };
  const workers = Array.from({ length: options.concurrency ?? 4 }, () => worker());
  return {
    result,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      return result;
    },
  };
}

/** Polls until `condition` holds (bounded), resolving with the time it took. */
export async function until(condition: () => boolean, maxMs = 5_000, stepMs = 1): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > maxMs)
      throw new Error(`condition not met within ${maxMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return performance.now() - started;
}
