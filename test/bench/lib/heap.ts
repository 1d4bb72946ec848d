import { Session } from 'node:inspector/promises';
import { type Stats, stats } from './stats.js';

interface ProfileNode {
  selfSize: number;
  children: ProfileNode[];
}

let session: Session | undefined;

/**
 * Bytes allocated per call, young garbage included: V8's sampling heap profiler, sampling about
 * every 32 bytes allocated over `n` calls (after a warm-up). Allocation, not retention: what the
 * young generation has to absorb. Heap growth between two `heapUsed` readings, used before,
 * swung by ±200 B between runs of the same chain; this stays within a few bytes.
 */
export async function bytesPerCall(op: () => unknown, n = 20_000): Promise<number> {
  return (await heapPerCall(op, n, 1)).median;
}

/** `bytesPerCall` repeated `runs` times. */
export async function heapPerCall(op: () => unknown, n = 20_000, runs = 3): Promise<Stats> {
  session ??= new Session();
  try {
    session.connect();
  } catch {
    // already connected
  }
  const loop = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const r = op();
      if (r && typeof (r as Promise<unknown>).then === 'function') await r;
    }
  };
  await loop(Math.max(1_000, n >> 2));
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 32,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await loop(n);
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
      profile: { head: ProfileNode };
    };
    let total = 0;
    const walk = (node: ProfileNode): void => {
      total += node.selfSize;
      for (const child of node.children) walk(child);
    };
    walk(profile.head);
    samples.push(total / n);
  }
  return stats(samples);
}
