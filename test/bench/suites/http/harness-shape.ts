/**
 * The shape of the independent harness from issue 18, which found Outrigger further behind raw
 * undici than the alternating count-bounded slices did: raw `pool.request` on
 * `new Pool(origin, { connections: 64 })`; the client made with `service`, `discovery` and
 * `timeout: { totalMs: 5000 }` only; every body read as text; pairs of 300 ms duration-bounded
 * slices, raw first, each Outrigger slice divided by the raw slice just before it; the median
 * of those ratios. Each run makes a fresh pool and client, as a fresh process would.
 */
import { createHttpClient } from '@outrigger/http';
import { Pool } from 'undici';
import { type Stats, stats } from '../../lib/stats.js';
import { type Call, timedSlice } from './load.js';

export const HARNESS_PAIRS = 20;
export const HARNESS_SLICE_MS = 300;
export const HARNESS_RUNS = 5;

export interface HarnessShape {
  /** The median ratio of each run. */
  readonly runs: Stats;
  /** Every pair's ratio, all runs together. */
  readonly pairs: Stats;
}

/** The two sides as the harness makes them, and how to close them. */
export interface HarnessSides {
  /** Raw `pool.request` on `new Pool(origin, { connections: 64 })`. */
  readonly raw: Call;
  /** The client made with `service`, `discovery` and `timeout: { totalMs: 5000 }` only. */
  readonly ours: Call;
  close(): Promise<void>;
}

/**
 * How each call reads its body: `text()` as the harness did, or `dump()`, through the stream on
 * both sides, where the client's whole-body read from the buffer (decision 0060) plays no part:
 * what is left is the chain's own cost.
 */
export type HarnessRead = 'text' | 'dump';

export function harnessSides(port: number, read: HarnessRead = 'text'): HarnessSides {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 64 });
  const client = createHttpClient({
    service: 'harness',
    discovery: [`127.0.0.1:${port}`],
    timeout: { totalMs: 5_000 },
  });
  return {
    raw: async () => {
      const res = await pool.request({ path: '/', method: 'GET' });
      await res.body[read]();
    },
    ours: async () => {
      const res = await client.request('/');
      await res.body[read]();
    },
    async close() {
      await client.close();
      await pool.close();
    },
  };
}

/** One run: `HARNESS_PAIRS` ratios at `concurrency`. */
export async function harnessRun(
  port: number,
  concurrency: number,
  read: HarnessRead = 'text',
): Promise<number[]> {
  const { raw, ours, close } = harnessSides(port, read);
  try {
    await timedSlice(ours, concurrency, 500);
    await timedSlice(raw, concurrency, 500);
    const ratios: number[] = [];
    for (let i = 0; i < HARNESS_PAIRS; i++) {
      const base = await timedSlice(raw, concurrency, HARNESS_SLICE_MS);
      ratios.push((await timedSlice(ours, concurrency, HARNESS_SLICE_MS)) / base);
    }
    return ratios;
  } finally {
    await close();
  }
}

/** `HARNESS_RUNS` runs at `concurrency`, every body read by `read`. */
export async function harnessShape(
  port: number,
  concurrency: number,
  read: HarnessRead = 'text',
): Promise<HarnessShape> {
  const medians: number[] = [];
  const all: number[] = [];
  for (let run = 0; run < HARNESS_RUNS; run++) {
    (globalThis as { gc?: () => void }).gc?.();
    const ratios = await harnessRun(port, concurrency, read);
    medians.push(stats(ratios).median);
    all.push(...ratios);
  }
  return { runs: stats(medians), pairs: stats(all) };
}
