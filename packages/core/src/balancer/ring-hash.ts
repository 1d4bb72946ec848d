import { ConfigInvalidError } from '../errors/errors.js';
import type { Backend } from './backend.js';
import type { Balancer } from './balancer.js';
import { mix32 } from './hash.js';
import { byId, HashTablePicker } from './hash-table.js';
import { pickRandom, type Random } from './random.js';

export interface RingHashOptions {
  /** The ring is read through a table of 2^tableBits slots. Default 16 (65,536), 10 to 22. */
  tableBits?: number | undefined;
  /** Points on the ring of an endpoint of the highest weight (others in proportion, at least
   * one). Default 128. */
  replicas?: number | undefined;
  random?: Random | undefined;
}

const MAX_POINTS = 4_000_000;

/**
 * Ring hash (Karger et al.; Envoy's `RING_HASH`): every endpoint puts `replicas` points on a
 * 32-bit ring, derived from its id, and a key belongs to the first point at or after its hash.
 * Adding an endpoint moves only the keys its new points cover, about 1/N of them, all to it.
 *
 * The ring is sampled into a fixed table (the owner at each of 2^tableBits evenly spaced
 * positions), built with one pass over the points and no sort, so a pick is one shift and one
 * read whatever the number of endpoints. See docs/decisions/0012.
 */
export function ringHash(options: RingHashOptions = {}): Balancer {
  const bits = options.tableBits ?? 16;
  const replicas = options.replicas ?? 128;
  if (!Number.isInteger(bits) || bits < 10 || bits > 22) {
    throw new ConfigInvalidError({
      setting: 'ringHash tableBits',
      value: bits,
      expected: 'an integer from 10 to 22',
    });
  }
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 10_000) {
    throw new ConfigInvalidError({
      setting: 'ringHash replicas',
      value: replicas,
      expected: 'an integer from 1 to 10000',
    });
  }
  const random = pickRandom(options.random);
  return {
    name: 'ring-hash',
    hashed: true,
    build(backends) {
      const sorted = byId(backends);
      return new HashTablePicker(sorted, buildRing(sorted, bits, replicas), 30 - bits, random);
    },
  };
}

function buildRing(backends: readonly Backend[], bits: number, replicas: number): Int32Array {
  const size = 1 << bits;
  const shift = 32 - bits;
  let maxWeight = 0;
  for (const b of backends) maxWeight = Math.max(maxWeight, b.weight);
  let counts = backends.map((b) => Math.max(1, Math.round((replicas * b.weight) / maxWeight)));
  const total = counts.reduce((sum, c) => sum + c, 0);
  if (total > MAX_POINTS)
    counts = counts.map((c) => Math.max(1, Math.floor((c * MAX_POINTS) / total)));

  // The lowest point in each slot, and whose it is; ties (two ids hashing alike) go to the
  // lower index, which is id order, so every client resolves them the same way.
  const owner = new Int32Array(size).fill(-1);
  const lowest = new Uint32Array(size);
  for (let i = 0; i < backends.length; i++) {
    const b = backends[i]!;
    for (let v = 0; v < counts[i]!; v++) {
      const point = mix32(b.hash ^ mix32((b.hash2 + Math.imul(v + 1, 0x9e3779b9)) | 0));
      const slot = point >>> shift;
      if (owner[slot] === -1 || point < lowest[slot]!) {
        owner[slot] = i;
        lowest[slot] = point;
      }
    }
  }
  // Slot s holds the owner of the first point at or after its start: the lowest point in the
  // first non-empty slot from s on, wrapping around past the top of the ring.
  const table = new Int32Array(size);
  let carry = -1;
  for (let s = 0; s < size && carry < 0; s++) carry = owner[s]!;
  for (let s = size - 1; s >= 0; s--) {
    if (owner[s] !== -1) carry = owner[s]!;
    table[s] = carry;
  }
  return table;
}
