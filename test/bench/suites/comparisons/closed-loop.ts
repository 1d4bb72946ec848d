/**
 * Closed-loop groups for the sidecar comparison: every variant warmed up, then `rounds` rounds of
 * one short slice each, the order rotating every round so each variant goes first as often as
 * the others and drift (GC, the other engineers' processes on two cores) falls on all alike.
 */
import { type Stats, stats } from '../../lib/stats.js';
import { type Call, runSlice, type Slice } from '../http/load.js';

export interface GroupOptions {
  readonly concurrency: number;
  readonly rounds: number;
  readonly sliceMs: number;
  readonly warmupMs: number;
}

export async function measureGroup(
  variants: Readonly<Record<string, Call>>,
  options: GroupOptions,
): Promise<Record<string, Slice[]>> {
  const { concurrency, rounds, sliceMs, warmupMs } = options;
  const names = Object.keys(variants);
  (globalThis as { gc?: () => void }).gc?.();
  const ops: Record<string, number> = {};
  for (const name of names) {
    let warm = await runSlice(variants[name]!, concurrency, Math.max(200, concurrency * 20));
    warm = await runSlice(variants[name]!, concurrency, Math.round((warm.rps * warmupMs) / 1_000));
    ops[name] = Math.max(concurrency * 4, Math.round((warm.rps * sliceMs) / 1_000));
  }
  const samples: Record<string, Slice[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!;
      samples[name]!.push(await runSlice(variants[name]!, concurrency, ops[name]!));
    }
  }
  return samples;
}

export const field = (s: readonly Slice[], key: keyof Slice): Stats => stats(s.map((x) => x[key]));

/** Per-round pairs (the same round, so the same drift), combined: median and min–max over rounds. */
export const paired = (
  a: readonly Slice[],
  b: readonly Slice[],
  f: (x: Slice, y: Slice) => number,
): Stats => stats(a.map((x, i) => f(x, b[i]!)));
