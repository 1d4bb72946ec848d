import { type Stats, stats } from './stats.js';

export type Op = () => unknown;

export interface CompareOptions {
  /** Rounds; each round runs every variant for one slice, in a rotated order. */
  rounds?: number;
  /** Operations per slice. */
  ops: number;
  /** Operations of each variant run once before measuring (JIT warm-up). */
  warmup?: number;
}

/**
 * Per-operation cost of each variant in nanoseconds, measured in one process by alternating
 * short slices between the variants, so that drift (GC, turbo boost, the other core) falls on
 * all of them alike. Async ops are awaited one after another.
 */
export async function compare(
  variants: Record<string, Op>,
  options: CompareOptions,
): Promise<Record<string, Stats>> {
  const names = Object.keys(variants);
  const rounds = options.rounds ?? 15;
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const name of names) await runSlice(variants[name]!, options.warmup ?? options.ops);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!;
      const ns = await runSlice(variants[name]!, options.ops);
      samples[name]!.push(ns / options.ops);
    }
  }
  return Object.fromEntries(names.map((n) => [n, stats(samples[n]!)]));
}

async function runSlice(op: Op, ops: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) {
    const r = op();
    if (r !== undefined && typeof (r as Promise<unknown>).then === 'function') await r;
  }
  return Number(process.hrtime.bigint() - start);
}

/** Ratio of medians, with the spread of per-round ratios. */
export function ratio(a: Stats, b: Stats): Stats {
  const n = Math.min(a.samples.length, b.samples.length);
  const rs: number[] = [];
  for (let i = 0; i < n; i++) rs.push(a.samples[i]! / b.samples[i]!);
  return { ...stats(rs), median: a.median / b.median };
}
