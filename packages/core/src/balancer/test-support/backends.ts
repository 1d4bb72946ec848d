import { endpoint } from '../../discovery/endpoint.js';
import { Backend } from '../backend.js';
import type { PickRequest } from '../balancer.js';

/** `n` backends `10.0.x.y:80`, with weights from `weight(i)`. */
export function backends(n: number, weight: (i: number) => number = () => 1): Backend[] {
  return Array.from(
    { length: n },
    (_, i) =>
      new Backend(endpoint({ host: `10.0.${i >> 8}.${i & 255}`, port: 80, weight: weight(i) })),
  );
}

export function request(fields: Partial<PickRequest> = {}): PickRequest {
  return { now: 0, hash: undefined, exclude: undefined, ctx: undefined, ...fields };
}

/** Share of `picks` per backend id. */
export function shares(picks: readonly Backend[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const b of picks) counts.set(b.id, (counts.get(b.id) ?? 0) + 1);
  for (const [id, c] of counts) counts.set(id, c / picks.length);
  return counts;
}
