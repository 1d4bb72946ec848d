import { AliasTable } from './alias.js';
import type { Backend } from './backend.js';
import {
  type Balancer,
  firstUntried,
  isExcluded,
  type Picker,
  type PickRequest,
} from './balancer.js';
import { pickRandom, type Random } from './random.js';

/** Golden-ratio steps: the fractional parts of k·φ spread as evenly as any sequence can. */
const PHI = 0.6180339887498949;
const PHI2 = 0.7548776662466927;

/**
 * Round robin, weighted when weights differ, O(1) per pick whatever the weights: turn k visits
 * column k mod n of an alias table, and the column's split between its own endpoint and its
 * alias is decided by a golden-ratio sequence rather than a random number. Equal weights make it
 * plain rotation; unequal ones give every endpoint exactly its share over time, evenly spread,
 * with no scan loop whose length grows with the weight ratio (EDF is O(log n), gRPC's stride
 * scheduler clamps weights to bound its loop). See docs/decisions/0013.
 */
class RoundRobinPicker implements Picker {
  readonly #backends: readonly Backend[];
  readonly #alias: AliasTable | undefined;
  #turn: number;

  constructor(backends: readonly Backend[], start: number) {
    this.#backends = backends;
    this.#alias = AliasTable.of(backends.map((b) => b.weight));
    this.#turn = start;
  }

  pick(request: PickRequest): Backend {
    const exclude = request.exclude;
    const first = this.#next();
    if (exclude === undefined || !isExcluded(first, exclude)) return first;
    for (let k = 0, tries = 4 * (exclude.length + 1); k < tries; k++) {
      const b = this.#next();
      if (!isExcluded(b, exclude)) return b;
    }
    return firstUntried(this.#backends, exclude, this.#turn);
  }

  #next(): Backend {
    const n = this.#backends.length;
    const turn = this.#turn++;
    const column = turn % n;
    if (!this.#alias) return this.#backends[column]!;
    const round = Math.floor(turn / n);
    const u = (round * PHI + column * PHI2) % 1;
    return this.#backends[this.#alias.inColumn(column, u)]!;
  }
}

/**
 * Round robin (weighted). Each rebuild starts at a random position so that a fleet of clients
 * built at the same moment does not move in lockstep onto the same endpoint.
 */
export function roundRobin(options: { random?: Random | undefined } = {}): Balancer {
  const random = pickRandom(options.random);
  return {
    name: 'round-robin',
    build: (backends) => new RoundRobinPicker(backends, Math.floor(random() * backends.length)),
  };
}
