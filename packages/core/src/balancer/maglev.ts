import { ConfigInvalidError } from '../errors/errors.js';
import type { Backend } from './backend.js';
import type { Balancer } from './balancer.js';
import { byId, HashTablePicker } from './hash-table.js';
import { pickRandom, type Random } from './random.js';

export interface MaglevOptions {
  /** A prime; Envoy's and the paper's 65,537 by default. Aim for 100 × the endpoints or more. */
  tableSize?: number | undefined;
  random?: Random | undefined;
}

/**
 * Maglev hashing (Eisenbud et al., NSDI 2016; Envoy's `MAGLEV`): each endpoint walks its own
 * permutation of a prime-sized table, taking turns (more turns for more weight), until every
 * slot is owned. Slots are spread near-evenly, a pick is one modulo and one read, and adding an
 * endpoint moves little more than the 1/N of keys it must take.
 */
export function maglev(options: MaglevOptions = {}): Balancer {
  const size = options.tableSize ?? 65_537;
  if (!Number.isInteger(size) || size < 7 || size > 16_777_259 || !isPrime(size)) {
    throw new ConfigInvalidError({
      setting: 'maglev tableSize',
      value: size,
      expected: 'a prime from 7 to 16777259 (65537 is the usual choice)',
    });
  }
  const random = pickRandom(options.random);
  return {
    name: 'maglev',
    hashed: true,
    build(backends) {
      const sorted = byId(backends);
      return new HashTablePicker(sorted, buildTable(sorted, size), -1, random);
    },
  };
}

function buildTable(backends: readonly Backend[], size: number): Int32Array {
  const n = backends.length;
  const offset = new Float64Array(n);
  const skip = new Float64Array(n);
  const next = new Float64Array(n);
  const weight = new Float64Array(n);
  const target = new Float64Array(n);
  let maxWeight = 0;
  for (const b of backends) maxWeight = Math.max(maxWeight, b.weight);
  for (let i = 0; i < n; i++) {
    const b = backends[i]!;
    offset[i] = b.hash % size;
    skip[i] = (b.hash2 % (size - 1)) + 1;
    weight[i] = b.weight / maxWeight;
  }
  const table = new Int32Array(size).fill(-1);
  let filled = 0;
  // Envoy's weighted population: an endpoint of the highest weight takes a slot every round,
  // one of a third of it every third round.
  for (let round = 1; filled < size; round++) {
    for (let i = 0; i < n && filled < size; i++) {
      if (round * weight[i]! < target[i]!) continue;
      target[i]! += 1;
      let slot = (offset[i]! + skip[i]! * next[i]!) % size;
      while (table[slot] !== -1) {
        next[i]!++;
        slot = (offset[i]! + skip[i]! * next[i]!) % size;
      }
      table[slot] = i;
      next[i]!++;
      filled++;
    }
  }
  return table;
}

function isPrime(n: number): boolean {
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}
