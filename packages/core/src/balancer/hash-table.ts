import type { Backend } from './backend.js';
import { firstUntried, isExcluded, type Picker, type PickRequest } from './balancer.js';
import type { Random } from './random.js';

/** Slots walked to find an endpoint not yet tried before giving up on locality. */
const WALK = 64;

/**
 * The lookup half of ring hash and Maglev: a fixed-size table of endpoint indexes, so a pick is
 * one hash-to-slot step and one array read at 10 endpoints or 10,000. A retry of the same key
 * walks on to the next slot owned by an endpoint it has not tried (Envoy's ring walk), so
 * affinity bends for a retry but the key's other calls stay put. A call without a key gets a
 * random slot, which spreads it by weight.
 */
export class HashTablePicker implements Picker {
  readonly #backends: readonly Backend[];
  /** The backend of each slot, by reference: one read per pick, not an index and then the backend. */
  readonly #table: readonly Backend[];
  /** `hash >>> shift` for a power-of-two ring (the hash has 30 bits); `hash % size` (Maglev's prime) when negative. */
  readonly #shift: number;
  readonly #random: Random;

  constructor(backends: readonly Backend[], table: Int32Array, shift: number, random: Random) {
    this.#backends = backends;
    this.#table = Array.from(table, (i) => backends[i]!);
    this.#shift = shift;
    this.#random = random;
  }

  pick(request: PickRequest): Backend {
    const hash = request.hash;
    const size = this.#table.length;
    let slot =
      hash === undefined
        ? Math.floor(this.#random() * size)
        : this.#shift >= 0
          ? hash >>> this.#shift
          : hash % size;
    const owner = this.#table[slot]!;
    const exclude = request.exclude;
    if (exclude === undefined || !isExcluded(owner, exclude)) return owner;
    for (let k = 0; k < WALK; k++) {
      slot = slot + 1 === size ? 0 : slot + 1;
      const b = this.#table[slot]!;
      if (!isExcluded(b, exclude)) return b;
    }
    return firstUntried(this.#backends, exclude, this.#backends.indexOf(this.#table[slot]!));
  }

  /** For tests and `describe`: how many slots each backend owns. */
  shares(): Map<Backend, number> {
    const counts = new Map<Backend, number>();
    for (const b of this.#table) counts.set(b, (counts.get(b) ?? 0) + 1);
    return counts;
  }
}

/** Endpoints in id order: table builds then do not depend on the order discovery listed them in,
 * so every client of a fleet builds the same table and a key lands on the same endpoint. */
export function byId(backends: readonly Backend[]): Backend[] {
  return [...backends].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
